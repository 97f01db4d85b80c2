/* COBS: published examples, round trips, error handling, streaming decoder resync. */
#include "tf_test.h"

#include "tinyfleet/tf_cobs.h"

#include <string.h>

static uint32_t g_seed = 12345u;

static uint32_t rnd(void) {
  g_seed = g_seed * 1664525u + 1013904223u;
  return g_seed >> 8;
}

static void expect_encoding(const uint8_t *raw, size_t n, const uint8_t *enc, size_t m) {
  uint8_t buf[600];
  uint8_t back[600];
  size_t len = 0;

  if (!TF_CHECK_OK(tf_cobs_encode(raw, n, buf, sizeof buf, &len))) {
    return;
  }
  TF_CHECK_EQ(len, m);
  TF_CHECK_MEM(buf, enc, m);
  TF_CHECK_OK(tf_cobs_decode(enc, m, back, sizeof back, &len));
  TF_CHECK_EQ(len, n);
  TF_CHECK_MEM(back, raw, n);
}

static void small_examples(void) {
  static const struct {
    const char *raw, *enc;
  } v[] = {
      {"", "01"},
      {"00", "01 01"},
      {"00 00", "01 01 01"},
      {"00 11 00", "01 02 11 01"},
      {"11 22 00 33", "03 11 22 02 33"},
      {"11 22 33 44", "05 11 22 33 44"},
      {"11 00 00 00", "02 11 01 01 01"},
  };
  uint8_t raw[8], enc[8];
  size_t i, n, m;

  for (i = 0; i < sizeof v / sizeof v[0]; i++) {
    n = tf_test_hex(v[i].raw, raw, sizeof raw);
    m = tf_test_hex(v[i].enc, enc, sizeof enc);
    expect_encoding(raw, n, enc, m);
  }
}

/* The 254-byte run boundary examples (Cheshire and Baker; Wikipedia's COBS examples). */
static void long_runs(void) {
  uint8_t raw[256], enc[260];
  size_t i;

  for (i = 0; i < 254; i++) {
    raw[i] = (uint8_t)(i + 1); /* 01..FE */
  }
  enc[0] = 0xFF;
  memcpy(enc + 1, raw, 254);
  expect_encoding(raw, 254, enc, 255); /* shortest form: no trailing 01 group */

  raw[0] = 0x00; /* 00 01..FE */
  for (i = 1; i < 255; i++) {
    raw[i] = (uint8_t)i;
  }
  enc[0] = 0x01;
  enc[1] = 0xFF;
  memcpy(enc + 2, raw + 1, 254);
  expect_encoding(raw, 255, enc, 256);

  for (i = 0; i < 255; i++) {
    raw[i] = (uint8_t)(i + 1); /* 01..FF */
  }
  enc[0] = 0xFF;
  memcpy(enc + 1, raw, 254);
  enc[255] = 0x02;
  enc[256] = 0xFF;
  expect_encoding(raw, 255, enc, 257);

  for (i = 0; i < 254; i++) {
    raw[i] = (uint8_t)(i + 2); /* 02..FF 00 */
  }
  raw[254] = 0x00;
  enc[0] = 0xFF;
  memcpy(enc + 1, raw, 254);
  enc[255] = 0x01;
  enc[256] = 0x01;
  expect_encoding(raw, 255, enc, 257);

  for (i = 0; i < 253; i++) {
    raw[i] = (uint8_t)(i + 3); /* 03..FF 00 01 */
  }
  raw[253] = 0x00;
  raw[254] = 0x01;
  enc[0] = 0xFE;
  memcpy(enc + 1, raw, 253);
  enc[254] = 0x02;
  enc[255] = 0x01;
  expect_encoding(raw, 255, enc, 256);
}

static void decoder_accepts_trailing_empty_group(void) {
  uint8_t enc[256], out[300];
  size_t i, len = 0;

  enc[0] = 0xFF;
  for (i = 0; i < 254; i++) {
    enc[1 + i] = (uint8_t)(i + 1);
  }
  enc[255] = 0x01; /* the non-shortest form some encoders produce */
  TF_CHECK_OK(tf_cobs_decode(enc, 256, out, sizeof out, &len));
  TF_CHECK_EQ(len, 254u);
  TF_CHECK_MEM(out, enc + 1, 254);
}

static void round_trips(void) {
  static uint8_t raw[1200], enc[1300], back[1200];
  size_t trial, n, i, len = 0, dlen = 0;
  uint32_t zero_every;

  for (trial = 0; trial < 300; trial++) {
    n = rnd() % sizeof raw;
    zero_every = 1u + rnd() % 400u;
    for (i = 0; i < n; i++) {
      raw[i] = rnd() % zero_every == 0 ? 0 : (uint8_t)(1u + rnd() % 255u);
    }
    if (!TF_CHECK_OK(tf_cobs_encode(raw, n, enc, sizeof enc, &len))) {
      return;
    }
    TF_CHECK(len <= TF_COBS_MAX_ENCODED_LEN(n));
    TF_CHECK(memchr(enc, 0, len) == NULL);
    TF_CHECK_OK(tf_cobs_decode(enc, len, back, sizeof back, &dlen));
    TF_CHECK_EQ(dlen, n);
    if (!TF_CHECK_MEM(back, raw, n)) {
      return;
    }
  }
}

static void worst_case_size(void) {
  static uint8_t raw[1000], enc[TF_COBS_MAX_ENCODED_LEN(1000)];
  size_t n, len = 0;

  memset(raw, 0x55, sizeof raw); /* no zeros at all: the most code bytes */
  for (n = 0; n <= sizeof raw; n++) {
    if (!TF_CHECK_OK(tf_cobs_encode(raw, n, enc, TF_COBS_MAX_ENCODED_LEN(n), &len))) {
      return;
    }
    TF_CHECK(len <= TF_COBS_MAX_ENCODED_LEN(n));
  }
}

static void encode_buffer_too_small(void) {
  static const uint8_t raw[6] = {1, 0, 2, 3, 0, 4};
  uint8_t enc[16];
  size_t len = 0, need = 0, cap;

  TF_CHECK_OK(tf_cobs_encode(raw, sizeof raw, enc, sizeof enc, &need));
  for (cap = 0; cap < need; cap++) {
    TF_CHECK_RC(tf_cobs_encode(raw, sizeof raw, enc, cap, &len), TF_STATUS_NO_SPACE);
  }
  TF_CHECK_RC(tf_cobs_encode(NULL, 3, enc, sizeof enc, &len), TF_STATUS_BAD_FIELD);
}

static void decode_errors(void) {
  uint8_t in[8] = {0}, out[8];
  size_t n, len = 0;

  TF_CHECK_RC(tf_cobs_decode(in, 0, out, sizeof out, &len), TF_STATUS_MALFORMED);
  n = tf_test_hex("05 11 22", in, sizeof in); /* group runs past the end */
  TF_CHECK_RC(tf_cobs_decode(in, n, out, sizeof out, &len), TF_STATUS_MALFORMED);
  n = tf_test_hex("03 11 00 02 33", in, sizeof in); /* a zero inside */
  TF_CHECK_RC(tf_cobs_decode(in, n, out, sizeof out, &len), TF_STATUS_MALFORMED);
  n = tf_test_hex("00", in, sizeof in);
  TF_CHECK_RC(tf_cobs_decode(in, n, out, sizeof out, &len), TF_STATUS_MALFORMED);
  n = tf_test_hex("03 11 22 02 33", in, sizeof in);
  TF_CHECK_RC(tf_cobs_decode(in, n, out, 3, &len), TF_STATUS_NO_SPACE);
  TF_CHECK_RC(tf_cobs_decode(in, n, out, 2, &len), TF_STATUS_NO_SPACE);
  TF_CHECK_OK(tf_cobs_decode(in, n, out, 4, &len));
}

static void decode_in_place(void) {
  uint8_t buf[8];
  size_t n, len = 0;
  static const uint8_t raw[4] = {0x11, 0x22, 0x00, 0x33};

  n = tf_test_hex("03 11 22 02 33", buf, sizeof buf);
  TF_CHECK_OK(tf_cobs_decode(buf, n, buf, sizeof buf, &len));
  TF_CHECK_EQ(len, 4u);
  TF_CHECK_MEM(buf, raw, 4);
}

/* Feeds a stream and collects the results: frames (as length) and errors. */
typedef struct events {
  size_t frames;
  size_t errors_malformed;
  size_t errors_too_large;
  uint8_t last[64];
  size_t last_len;
} events_t;

static void feed_all(tf_cobs_decoder_t *d, const uint8_t *s, size_t n, size_t max_chunk, events_t *ev) {
  size_t at = 0, used = 0, flen = 0, chunk;
  tf_status_t rc;

  memset(ev, 0, sizeof *ev);
  while (at < n) {
    chunk = max_chunk == 0 ? n - at : 1u + rnd() % max_chunk;
    if (chunk > n - at) {
      chunk = n - at;
    }
    rc = tf_cobs_decoder_feed(d, s + at, chunk, &used, &flen);
    at += used;
    if (rc == TF_STATUS_MALFORMED) {
      ev->errors_malformed++;
    } else if (rc == TF_STATUS_TOO_LARGE) {
      ev->errors_too_large++;
    } else if (flen > 0) {
      ev->frames++;
      ev->last_len = flen < sizeof ev->last ? flen : sizeof ev->last;
      memcpy(ev->last, d->buf, ev->last_len);
    }
  }
}

static void stream_frames_and_resync(void) {
  uint8_t stream[64], frame[16];
  tf_cobs_decoder_t d;
  events_t ev;
  size_t n, chunk;
  static const uint8_t raw[4] = {0x11, 0x22, 0x00, 0x33};

  /* garbage, delimiter, empty frames, two good frames */
  n = tf_test_hex("78 79 7A 00 00 00 03 11 22 02 33 00 00 05 01 02 03 04 00", stream, sizeof stream);
  for (chunk = 0; chunk <= 3; chunk++) {
    TF_CHECK_OK(tf_cobs_decoder_init(&d, frame, sizeof frame));
    feed_all(&d, stream, n, chunk, &ev);
    TF_CHECK_EQ(ev.frames, 2u);
    TF_CHECK_EQ(ev.errors_malformed, 1u);
    TF_CHECK_EQ(ev.last_len, 4u);
  }
  /* one byte at a time with put() */
  {
    size_t i, flen = 0, good = 0;
    TF_CHECK_OK(tf_cobs_decoder_init(&d, frame, sizeof frame));
    for (i = 0; i < n; i++) {
      tf_status_t rc = tf_cobs_decoder_put(&d, stream[i], &flen);
      if (rc == TF_OK && flen == 4u && memcmp(frame, raw, 4) == 0) {
        good++;
      }
    }
    TF_CHECK_EQ(good, 1u);
  }
}

static void stream_too_large_then_recovers(void) {
  uint8_t stream[64], frame[4];
  tf_cobs_decoder_t d;
  events_t ev;
  size_t n;

  /* 5 decoded bytes do not fit in 4, then a 4-byte frame fits exactly, then 3 + implied zero + 1 = 5 */
  n = tf_test_hex("06 01 02 03 04 05 00 05 01 02 03 04 00 04 01 02 03 02 04 00", stream, sizeof stream);
  TF_CHECK_OK(tf_cobs_decoder_init(&d, frame, sizeof frame));
  feed_all(&d, stream, n, 0, &ev);
  TF_CHECK_EQ(ev.errors_too_large, 2u);
  TF_CHECK_EQ(ev.frames, 1u);
  TF_CHECK_EQ(ev.last_len, 4u);
  TF_CHECK_EQ(ev.last[3], 4u);
}

static void stream_truncated_group(void) {
  uint8_t stream[16], frame[16];
  tf_cobs_decoder_t d;
  events_t ev;
  size_t n;

  n = tf_test_hex("05 01 02 00 02 09 00", stream, sizeof stream);
  TF_CHECK_OK(tf_cobs_decoder_init(&d, frame, sizeof frame));
  feed_all(&d, stream, n, 0, &ev);
  TF_CHECK_EQ(ev.errors_malformed, 1u);
  TF_CHECK_EQ(ev.frames, 1u);
  TF_CHECK_EQ(ev.last[0], 9u);
  TF_CHECK_RC(tf_cobs_decoder_init(&d, NULL, 4), TF_STATUS_BAD_FIELD);
}

static void stream_random_round_trip(void) {
  static uint8_t raw[300], stream[4000], frame[300];
  tf_cobs_decoder_t d;
  size_t lens[10], at = 0, k, i, len = 0, used = 0, flen = 0, seen = 0, pos = 0, chunk;
  tf_status_t rc;

  /* ten frames back to back, each from a fresh random payload with the same seed rule */
  for (k = 0; k < 10; k++) {
    lens[k] = 1u + rnd() % sizeof raw;
    for (i = 0; i < lens[k]; i++) {
      raw[i] = (uint8_t)((k * 31u + i * 7u) % 5u == 0 ? 0 : k * 13u + i);
    }
    TF_CHECK_OK(tf_cobs_encode(raw, lens[k], stream + at, sizeof stream - at, &len));
    at += len;
    stream[at++] = 0;
  }
  TF_CHECK_OK(tf_cobs_decoder_init(&d, frame, sizeof frame));
  while (pos < at) {
    chunk = 1u + rnd() % 50u;
    chunk = chunk < at - pos ? chunk : at - pos;
    rc = tf_cobs_decoder_feed(&d, stream + pos, chunk, &used, &flen);
    pos += used;
    TF_CHECK_OK(rc);
    if (flen > 0) {
      TF_CHECK_EQ(flen, lens[seen]);
      for (i = 0; i < flen; i++) {
        raw[i] = (uint8_t)((seen * 31u + i * 7u) % 5u == 0 ? 0 : seen * 13u + i);
      }
      TF_CHECK_MEM(frame, raw, flen);
      seen++;
    }
  }
  TF_CHECK_EQ(seen, 10u);
}

int main(void) {
  TF_TEST_RUN(small_examples);
  TF_TEST_RUN(long_runs);
  TF_TEST_RUN(decoder_accepts_trailing_empty_group);
  TF_TEST_RUN(round_trips);
  TF_TEST_RUN(worst_case_size);
  TF_TEST_RUN(encode_buffer_too_small);
  TF_TEST_RUN(decode_errors);
  TF_TEST_RUN(decode_in_place);
  TF_TEST_RUN(stream_frames_and_resync);
  TF_TEST_RUN(stream_too_large_then_recovers);
  TF_TEST_RUN(stream_truncated_group);
  TF_TEST_RUN(stream_random_round_trip);
  return tf_test_finish();
}
