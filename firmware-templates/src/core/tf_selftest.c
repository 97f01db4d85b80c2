/*
 * Boot-time known-answer tests of the portable primitives (tf_runtime.h). The expected values
 * are the published check values: CRC-32 (PROTOCOL.md §1.2), SHA-256 "abc" (FIPS 180-4
 * example, NIST CSRC), COBS and CBOR bytes worked out from the papers/RFC 8949 by hand.
 */
#include "tinyfleet/tf_cbor.h"
#include "tinyfleet/tf_cobs.h"
#include "tinyfleet/tf_crc32.h"
#include "tinyfleet/tf_runtime.h"
#include "tinyfleet/tf_sha256.h"

#include <string.h>

static void check(tf_selftest_result_t *r, bool ok, const char *name) {
  if (ok) {
    r->passed++;
  } else {
    r->failed++;
    if (r->first_failure == NULL) {
      r->first_failure = name;
    }
  }
}

static bool test_crc32(void) {
  return tf_crc32("123456789", 9) == 0xCBF43926u;
}

static bool test_sha256(void) {
  static const uint8_t expect[TF_SHA256_DIGEST_BYTES] = {
      0xBA, 0x78, 0x16, 0xBF, 0x8F, 0x01, 0xCF, 0xEA, 0x41, 0x41, 0x40, 0xDE, 0x5D, 0xAE, 0x22, 0x23,
      0xB0, 0x03, 0x61, 0xA3, 0x96, 0x17, 0x7A, 0x9C, 0xB4, 0x10, 0xFF, 0x61, 0xF2, 0x00, 0x15, 0xAD,
  };
  uint8_t d[TF_SHA256_DIGEST_BYTES];

  tf_sha256("abc", 3, d);
  return memcmp(d, expect, sizeof d) == 0;
}

static bool test_cobs(void) {
  static const uint8_t raw[4] = {0x11, 0x22, 0x00, 0x33};
  static const uint8_t enc[5] = {0x03, 0x11, 0x22, 0x02, 0x33};
  static const uint8_t stream[] = {0x42, 0x00, 0x03, 0x11, 0x22, 0x02, 0x33, 0x00};
  uint8_t buf[8];
  uint8_t frame[8];
  tf_cobs_decoder_t dec;
  size_t n = 0, used = 0, flen = 0, at = 0;
  tf_status_t rc;
  bool ok;

  ok = tf_cobs_encode(raw, sizeof raw, buf, sizeof buf, &n) == TF_OK && n == sizeof enc &&
       memcmp(buf, enc, n) == 0;
  ok = ok && tf_cobs_decode(enc, sizeof enc, buf, sizeof buf, &n) == TF_OK && n == sizeof raw &&
       memcmp(buf, raw, n) == 0;
  /* stream: a torn frame (0x42 claims 65 bytes), its delimiter, then a good frame */
  ok = ok && tf_cobs_decoder_init(&dec, frame, sizeof frame) == TF_OK;
  rc = tf_cobs_decoder_feed(&dec, stream, sizeof stream, &used, &flen);
  ok = ok && rc == TF_STATUS_MALFORMED && used == 2u;
  at = used;
  rc = tf_cobs_decoder_feed(&dec, stream + at, sizeof stream - at, &used, &flen);
  ok = ok && rc == TF_OK && flen == sizeof raw && memcmp(frame, raw, flen) == 0;
  return ok;
}

static bool test_cbor(void) {
  /* {1: -500, "a": [h'0102', 1.5]} in preferred serialization (RFC 8949 §4.1) */
  static const uint8_t expect[] = {0xA2, 0x01, 0x39, 0x01, 0xF3, 0x61, 0x61, 0x82,
                                   0x42, 0x01, 0x02, 0xF9, 0x3E, 0x00};
  static const uint8_t bytes[2] = {0x01, 0x02};
  uint8_t buf[32];
  tf_cbor_writer_t w;
  tf_cbor_reader_t r;
  size_t pairs = 0, count = 0, blen = 0;
  uint64_t key = 0;
  int64_t v = 0;
  const uint8_t *b = NULL;
  double f = 0;
  bool ok;

  tf_cbor_writer_init(&w, buf, sizeof buf);
  (void)tf_cbor_write_map(&w, 2);
  (void)tf_cbor_write_uint(&w, 1);
  (void)tf_cbor_write_int(&w, -500);
  (void)tf_cbor_write_cstr(&w, "a");
  (void)tf_cbor_write_array(&w, 2);
  (void)tf_cbor_write_bytes(&w, bytes, sizeof bytes);
  (void)tf_cbor_write_float(&w, 1.5);
  ok = tf_cbor_writer_status(&w) == TF_OK && tf_cbor_writer_len(&w) == sizeof expect &&
       memcmp(buf, expect, sizeof expect) == 0;
  ok = ok && tf_cbor_reader_init(&r, expect, sizeof expect, 4) == TF_OK;
  ok = ok && tf_cbor_read_map(&r, &pairs) == TF_OK && pairs == 2u;
  ok = ok && tf_cbor_read_uint(&r, &key) == TF_OK && key == 1u;
  ok = ok && tf_cbor_read_int(&r, &v) == TF_OK && v == -500;
  ok = ok && tf_cbor_skip(&r) == TF_OK; /* "a" */
  ok = ok && tf_cbor_read_array(&r, &count) == TF_OK && count == 2u;
  ok = ok && tf_cbor_read_bytes(&r, &b, &blen) == TF_OK && blen == 2u && b[1] == 0x02;
  ok = ok && tf_cbor_read_float(&r, &f) == TF_OK && f == 1.5;
  ok = ok && tf_cbor_reader_remaining(&r) == 0u;
  ok = ok && tf_cbor_reader_init(&r, expect, sizeof expect, 4) == TF_OK && tf_cbor_skip(&r) == TF_OK &&
       r.pos == sizeof expect;
  return ok;
}

void tf_selftest_run(tf_selftest_result_t *result) {
  result->passed = 0;
  result->failed = 0;
  result->first_failure = NULL;
  check(result, test_crc32(), "crc32");
  check(result, test_sha256(), "sha256");
  check(result, test_cobs(), "cobs");
  check(result, test_cbor(), "cbor");
}
