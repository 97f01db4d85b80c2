/* Link frame codec, HELLO payload and deframer (tf_link.h). PROTOCOL.md §3.1-§3.3, §3.6.1, §3.7. */
#include "tinyfleet/tf_link.h"

#include "tinyfleet/tf_crc32.h"

#include <string.h>

static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_u16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int32_t tf_link_seq_diff(uint16_t a, uint16_t b) {
  /* PROTOCOL.md §3.5.1: ((a - b + 2^15) mod 2^16) - 2^15 */
  return (int32_t)(uint16_t)(a - b + 0x8000u) - 0x8000;
}

/* Streams the COBS encoding of the raw frame (header, payload, CRC) without building it first:
 * the encoder of §3.1.2, fed byte by byte. */
typedef struct cobs_out {
  uint8_t *out;
  size_t cap;
  size_t pos;      /* next write position */
  size_t code_pos; /* position of the current block's code byte */
  uint8_t code;    /* 1 + bytes in the current block */
  bool overflow;
} cobs_out_t;

static void co_emit(cobs_out_t *c, size_t at, uint8_t b) {
  if (at < c->cap) {
    c->out[at] = b;
  } else {
    c->overflow = true;
  }
}

static void co_start(cobs_out_t *c) {
  c->code_pos = c->pos++;
  c->code = 1;
}

static void co_byte(cobs_out_t *c, uint8_t b, bool last) {
  if (b == 0) {
    co_emit(c, c->code_pos, c->code);
    co_start(c);
    return;
  }
  co_emit(c, c->pos++, b);
  c->code++;
  /* §3.1.2 rule 1: a full 254-byte block; a new block is opened only if more input follows. */
  if (c->code == 0xFF) {
    co_emit(c, c->code_pos, c->code);
    if (!last) {
      co_start(c);
    } else {
      c->code = 0;
    }
  }
}

static void co_finish(cobs_out_t *c) {
  if (c->code != 0) {
    co_emit(c, c->code_pos, c->code);
  }
}

tf_status_t tf_link_frame_encode(const tf_link_header_t *h, const uint8_t *payload, size_t len,
                                 bool leading_delimiter, uint8_t *out, size_t cap, size_t *out_len) {
  tf_status_t rc = TF_OK;
  uint8_t head[TF_LINK_HEADER_BYTES];
  uint8_t crc_bytes[TF_LINK_CRC_BYTES];
  uint32_t crc;
  cobs_out_t c;
  size_t i;
  size_t total;

  *out_len = 0;
  if (len > TF_LINK_MAX_FRAME_PAYLOAD || (len > 0 && payload == NULL)) {
    rc = TF_STATUS_TOO_LARGE;
    goto out;
  }
  /* PROTOCOL.md §3.2.1: header, little-endian */
  head[0] = h->version;
  head[1] = h->type;
  head[2] = h->flags;
  head[3] = h->rwnd;
  put_u16(head + 4, h->seq);
  put_u16(head + 6, h->ack);
  put_u16(head + 8, (uint16_t)len);
  /* PROTOCOL.md §3.3: CRC-32 over header and payload, little-endian after the payload */
  crc = tf_crc32_update(0, head, sizeof head);
  crc = tf_crc32_update(crc, payload, len);
  put_u32(crc_bytes, crc);

  memset(&c, 0, sizeof c);
  c.out = out;
  c.cap = cap;
  if (leading_delimiter) {
    co_emit(&c, c.pos++, 0); /* PROTOCOL.md §3.7.3 */
  }
  co_start(&c);
  total = TF_LINK_OVERHEAD + len;
  for (i = 0; i < total; i++) {
    uint8_t b;
    if (i < TF_LINK_HEADER_BYTES) {
      b = head[i];
    } else if (i < TF_LINK_HEADER_BYTES + len) {
      b = payload[i - TF_LINK_HEADER_BYTES];
    } else {
      b = crc_bytes[i - TF_LINK_HEADER_BYTES - len];
    }
    co_byte(&c, b, i + 1 == total);
  }
  co_finish(&c);
  co_emit(&c, c.pos++, 0); /* PROTOCOL.md §3.1.1: delimiter */
  if (c.overflow) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  *out_len = c.pos;
out:
  return rc;
}

tf_status_t tf_link_frame_decode(const uint8_t *raw, size_t len, size_t max_payload, tf_link_frame_t *f,
                                 bool *after_crc) {
  tf_status_t rc = TF_OK;
  tf_link_header_t *h = &f->h;
  size_t plen;
  bool ack_valid;

  memset(f, 0, sizeof *f);
  *after_crc = false;
  if (len >= TF_LINK_HEADER_BYTES) {
    h->version = raw[0];
    h->type = raw[1];
    h->flags = raw[2];
    h->rwnd = raw[3];
    h->seq = get_u16(raw + 4);
    h->ack = get_u16(raw + 6);
    h->length = get_u16(raw + 8);
    f->payload = raw + TF_LINK_HEADER_BYTES;
  }
  /* PROTOCOL.md §3.7.2, steps in order; the first failure decides the code */
  if (len < TF_LINK_OVERHEAD) { /* step 2 */
    rc = TF_STATUS_TRUNCATED;
    goto out;
  }
  plen = len - TF_LINK_OVERHEAD;
  if (plen > max_payload) { /* step 3 */
    rc = TF_STATUS_TOO_LARGE;
    goto out;
  }
  if (tf_crc32(raw, len - TF_LINK_CRC_BYTES) != get_u32(raw + len - TF_LINK_CRC_BYTES)) { /* step 4, §3.3 */
    rc = TF_STATUS_CRC_MISMATCH;
    goto out;
  }
  *after_crc = true;
  if (h->version != TF_PROTOCOL_VERSION) { /* step 5 */
    rc = TF_STATUS_UNSUPPORTED_VERSION;
    goto out;
  }
  if (h->type < TF_FRAME_DATA || h->type > TF_FRAME_ERROR) { /* step 6 */
    rc = TF_STATUS_UNKNOWN_TYPE;
    goto out;
  }
  if (h->length != plen) { /* step 7 */
    rc = TF_STATUS_MALFORMED;
    goto out;
  }
  if ((h->flags & (uint8_t)~(TF_FLAG_ACK_VALID | TF_FLAG_MORE)) != 0) { /* step 8 */
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (h->rwnd > TF_LINK_MAX_WINDOW) { /* step 9 */
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  ack_valid = (h->flags & TF_FLAG_ACK_VALID) != 0;
  if (!ack_valid && (h->ack != 0 || h->rwnd != 0)) { /* step 10 */
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (h->type == TF_FRAME_ACK) { /* steps 11, 12 */
    if (h->flags != TF_FLAG_ACK_VALID || h->seq != 0) {
      rc = TF_STATUS_BAD_FIELD;
    } else if (plen != TF_LINK_ACK_PAYLOAD_BYTES) {
      rc = TF_STATUS_MALFORMED;
    }
  } else if (h->type != TF_FRAME_DATA) {
    if (h->flags != 0 || h->seq != 0) {
      rc = TF_STATUS_BAD_FIELD;
    } else if (h->type == TF_FRAME_ERROR ? plen < 2u : plen != TF_LINK_HELLO_PAYLOAD_BYTES) {
      rc = TF_STATUS_MALFORMED;
    }
  }
out:
  return rc;
}

void tf_link_hello_write(const tf_link_hello_t *h, uint8_t out[16]) {
  /* PROTOCOL.md §3.6.1 */
  out[0] = h->version;
  out[1] = h->window;
  put_u16(out + 2, h->max_frame_payload);
  put_u32(out + 4, h->max_message_bytes);
  put_u32(out + 8, h->epoch);
  put_u32(out + 12, h->peer_epoch);
}

void tf_link_hello_read(const uint8_t in[16], tf_link_hello_t *h) {
  h->version = in[0];
  h->window = in[1];
  h->max_frame_payload = get_u16(in + 2);
  h->max_message_bytes = get_u32(in + 4);
  h->epoch = get_u32(in + 8);
  h->peer_epoch = get_u32(in + 12);
}

tf_status_t tf_link_hello_check(const tf_link_hello_t *h) {
  /* PROTOCOL.md §3.6.2 */
  if (h->version == 0) {
    return TF_STATUS_UNSUPPORTED_VERSION;
  }
  if (h->window < 1 || h->window > TF_LINK_MAX_WINDOW || h->max_frame_payload < TF_LINK_MIN_FRAME_PAYLOAD ||
      h->max_frame_payload > TF_LINK_MAX_FRAME_PAYLOAD || h->max_message_bytes < TF_LINK_MIN_FRAME_PAYLOAD ||
      h->max_message_bytes > TF_LINK_MAX_MESSAGE_BYTES) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  if (h->epoch == 0) {
    return TF_STATUS_BAD_FIELD;
  }
  return TF_OK;
}

void tf_link_deframer_init(tf_link_deframer_t *d) {
  (void)tf_cobs_decoder_init(&d->cobs, d->buf, sizeof d->buf);
}

tf_status_t tf_link_deframer_feed(tf_link_deframer_t *d, const uint8_t *data, size_t len, size_t *consumed,
                                  size_t *raw_len) {
  /* PROTOCOL.md §3.7.1: collect to the next 0x00; the COBS decoder drops oversize frames */
  return tf_cobs_decoder_feed(&d->cobs, data, len, consumed, raw_len);
}
