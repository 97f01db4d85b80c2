/*
 * COBS decoding (Cheshire and Baker 1999): one-shot and streaming. Both read a code byte c,
 * copy c-1 data bytes, and emit the implied 0x00 of a group with c < 0xFF only when another
 * group follows (the last group's implied zero is the frame end).
 */
#include "tinyfleet/tf_cobs.h"

tf_status_t tf_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len) {
  tf_status_t rc = TF_OK;
  size_t in = 0;
  size_t out = 0;
  uint8_t code;
  size_t n;

  if (src == NULL || dst == NULL || out_len == NULL) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (len == 0) {
    rc = TF_STATUS_MALFORMED;
    goto out;
  }
  while (in < len) {
    code = src[in++];
    if (code == 0) {
      rc = TF_STATUS_MALFORMED;
      goto out;
    }
    n = (size_t)code - 1u;
    if (n > len - in) {
      rc = TF_STATUS_MALFORMED; /* the group runs past the end */
      goto out;
    }
    if (n > cap - out) {
      rc = TF_STATUS_NO_SPACE;
      goto out;
    }
    for (; n > 0; n--) {
      if (src[in] == 0) {
        rc = TF_STATUS_MALFORMED;
        goto out;
      }
      dst[out++] = src[in++]; /* out <= in always holds, so in-place decoding is safe */
    }
    if (code != 0xFF && in < len) {
      if (out >= cap) {
        rc = TF_STATUS_NO_SPACE;
        goto out;
      }
      dst[out++] = 0;
    }
  }
  *out_len = out;
out:
  return rc;
}

tf_status_t tf_cobs_decoder_init(tf_cobs_decoder_t *dec, uint8_t *buf, size_t cap) {
  tf_status_t rc = TF_OK;

  if (dec == NULL || buf == NULL || cap == 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  dec->buf = buf;
  dec->cap = cap;
  tf_cobs_decoder_reset(dec);
out:
  return rc;
}

void tf_cobs_decoder_reset(tf_cobs_decoder_t *dec) {
  dec->len = 0;
  dec->left = 0;
  dec->code = 0;
  dec->error = 0;
}

/* Stores one decoded byte, or marks the frame too large (its bytes are then dropped). */
static void put_decoded(tf_cobs_decoder_t *dec, uint8_t byte) {
  if (dec->error != 0) {
    return;
  }
  if (dec->len >= dec->cap) {
    dec->error = (uint8_t)TF_ERR_TOO_LARGE;
    return;
  }
  dec->buf[dec->len++] = byte;
}

tf_status_t tf_cobs_decoder_put(tf_cobs_decoder_t *dec, uint8_t byte, size_t *frame_len) {
  tf_status_t rc = TF_OK;
  uint8_t error;

  *frame_len = 0;
  if (byte == 0) {
    /* delimiter: the frame ends here, good or bad; the next byte starts a new one */
    error = dec->error;
    if (error == 0 && dec->left != 0) {
      error = (uint8_t)TF_ERR_MALFORMED; /* cut inside a group */
    }
    if (error != 0) {
      rc = (tf_status_t) - (int)error;
    } else if (dec->code != 0) {
      *frame_len = dec->len; /* 0 for an empty payload (0x01): ignored like an empty frame */
    }
    dec->len = 0;
    dec->left = 0;
    dec->code = 0;
    dec->error = 0;
    goto out;
  }
  if (dec->left == 0) {
    /* a code byte; the previous group's implied zero is real now that a group follows */
    if (dec->code != 0 && dec->code != 0xFF) {
      put_decoded(dec, 0);
    }
    dec->code = byte;
    dec->left = (uint8_t)(byte - 1u);
  } else {
    put_decoded(dec, byte);
    dec->left--;
  }
out:
  return rc;
}

tf_status_t tf_cobs_decoder_feed(tf_cobs_decoder_t *dec, const uint8_t *data, size_t len, size_t *consumed,
                                 size_t *frame_len) {
  tf_status_t rc = TF_OK;
  size_t i = 0;

  *frame_len = 0;
  while (i < len) {
    rc = tf_cobs_decoder_put(dec, data[i++], frame_len);
    if (rc != TF_OK || *frame_len != 0) {
      break;
    }
  }
  *consumed = i;
  return rc;
}
