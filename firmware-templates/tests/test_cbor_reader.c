/*
 * CBOR reader: RFC 8949 Appendix A examples (values and whole-item skip), Appendix F
 * not-well-formed examples (each rejected with the right status, nothing consumed), limits.
 */
#include "tf_test.h"

#include "tinyfleet/tf_cbor.h"

#include <stdio.h>
#include <string.h>

#define hex(h, out) tf_test_hex((h), (out), sizeof(out))

/* Every Appendix A example is one well-formed item: skip consumes exactly all of it. */
static void appendix_a_skip_whole_items(void) {
  static const char *const items[] = {
      "00", "01", "0a", "17", "1818", "1819", "1864", "1903e8", "1a000f4240", "1b000000e8d4a51000",
      "1bffffffffffffffff", "c249010000000000000000", "3bffffffffffffffff", "c349010000000000000000", "20", "29",
      "3863", "3903e7", "f90000", "f98000", "f93c00", "fb3ff199999999999a", "f93e00", "f97bff", "fa47c35000",
      "fa7f7fffff", "fb7e37e43c8800759c", "f90001", "f90400", "f9c400", "fbc010666666666666", "f97c00", "f97e00",
      "f9fc00", "fa7f800000", "fa7fc00000", "faff800000", "fb7ff0000000000000", "fb7ff8000000000000",
      "fbfff0000000000000", "f4", "f5", "f6", "f7", "f0", "f8ff", "c074323031332d30332d32315432303a30343a30305a",
      "c11a514b67b0", "c1fb41d452d9ec200000", "d74401020304", "d818456449455446",
      "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "40", "4401020304", "60", "6161", "6449455446",
      "62225c", "62c3bc", "63e6b0b4", "64f0908591", "80", "83010203", "8301820203820405",
      "98190102030405060708090a0b0c0d0e0f101112131415161718181819", "a0", "a201020304", "a26161016162820203",
      "826161a161626163", "a56161614161626142616361436164614461656145", "5f42010243030405ff",
      "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff", "9f01820203820405ff", "83018202039f0405ff",
      "83019f0203ff820405", "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
      "bf61610161629f0203ffff", "826161bf61626163ff", "bf6346756ef563416d7421ff",
  };
  uint8_t buf[64];
  tf_cbor_reader_t r;
  size_t i, n;

  for (i = 0; i < sizeof items / sizeof items[0]; i++) {
    n = hex(items[i], buf);
    TF_CHECK_OK(tf_cbor_reader_init(&r, buf, n, TF_CBOR_MAX_DEPTH));
    if (!TF_CHECK_OK(tf_cbor_skip(&r)) || !TF_CHECK_EQ(r.pos, n)) {
      printf("  item %s\n", items[i]);
    }
  }
}

static void appendix_a_integers(void) {
  static const struct {
    const char *hex;
    int negative;
    uint64_t arg;
  } v[] = {
      {"00", 0, 0},
      {"17", 0, 23},
      {"1818", 0, 24},
      {"1903e8", 0, 1000},
      {"1a000f4240", 0, 1000000},
      {"1b000000e8d4a51000", 0, 1000000000000u},
      {"1bffffffffffffffff", 0, UINT64_MAX},
      {"20", 1, 0},
      {"3863", 1, 99},
      {"3903e7", 1, 999},
      {"3bffffffffffffffff", 1, UINT64_MAX},
  };
  uint8_t buf[64];
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  size_t i, n;

  for (i = 0; i < sizeof v / sizeof v[0]; i++) {
    n = hex(v[i].hex, buf);
    tf_cbor_reader_init(&r, buf, n, 4);
    TF_CHECK_OK(tf_cbor_read(&r, &it));
    TF_CHECK_EQ(it.type, v[i].negative ? TF_CBOR_NINT : TF_CBOR_UINT);
    TF_CHECK_EQ(it.u, v[i].arg);
    TF_CHECK_EQ(r.pos, n);
  }
}

static void appendix_a_floats(void) {
  static const struct {
    const char *hex;
    double value;
    uint8_t width;
  } v[] = {
      {"f90000", 0.0, 2},
      {"f93c00", 1.0, 2},
      {"fb3ff199999999999a", 1.1, 8},
      {"f93e00", 1.5, 2},
      {"f97bff", 65504.0, 2},
      {"fa47c35000", 100000.0, 4},
      {"fa7f7fffff", 3.4028234663852886e+38, 4},
      {"fb7e37e43c8800759c", 1.0e+300, 8},
      {"f90001", 5.960464477539063e-8, 2},
      {"f90400", 0.00006103515625, 2},
      {"f9c400", -4.0, 2},
      {"fbc010666666666666", -4.1, 8},
      {"f903ff", 0.000060975551605224609375, 2}, /* largest half subnormal */
  };
  uint8_t buf[64];
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  double d = 0;
  size_t i, n;

  for (i = 0; i < sizeof v / sizeof v[0]; i++) {
    n = hex(v[i].hex, buf);
    tf_cbor_reader_init(&r, buf, n, 4);
    TF_CHECK_OK(tf_cbor_peek(&r, &it));
    TF_CHECK_EQ(it.type, TF_CBOR_FLOAT);
    TF_CHECK_EQ(it.float_bytes, v[i].width);
    TF_CHECK_OK(tf_cbor_read_float(&r, &d));
    if (!TF_CHECK(d == v[i].value)) {
      printf("  %s: got %.17g want %.17g\n", v[i].hex, d, v[i].value);
    }
  }
  /* -0.0, infinities, NaN */
  n = hex("f98000", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_float(&r, &d));
  TF_CHECK(d == 0.0 && 1.0 / d < 0);
  n = hex("f97c00", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_float(&r, &d));
  TF_CHECK(d > 1e308 && d - d != 0.0);
  n = hex("f9fc00", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_float(&r, &d));
  TF_CHECK(d < -1e308);
  n = hex("f97e00", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_float(&r, &d));
  TF_CHECK(d != d);
  n = hex("fb7ff8000000000000", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_float(&r, &d));
  TF_CHECK(d != d);
}

static void simple_values_and_tags(void) {
  uint8_t buf[64];
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  bool b = false;
  uint64_t tag = 0, v = 0;
  size_t n;

  n = hex("f4 f5 f6 f7 f0 f8ff c11a514b67b0", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_bool(&r, &b));
  TF_CHECK(!b);
  TF_CHECK_OK(tf_cbor_read_bool(&r, &b));
  TF_CHECK(b);
  TF_CHECK_OK(tf_cbor_read_null(&r));
  TF_CHECK_OK(tf_cbor_read(&r, &it));
  TF_CHECK(it.type == TF_CBOR_SIMPLE && it.u == TF_CBOR_SIMPLE_UNDEFINED);
  TF_CHECK_OK(tf_cbor_read(&r, &it));
  TF_CHECK(it.type == TF_CBOR_SIMPLE && it.u == 16u);
  TF_CHECK_OK(tf_cbor_read(&r, &it));
  TF_CHECK(it.type == TF_CBOR_SIMPLE && it.u == 255u);
  TF_CHECK_OK(tf_cbor_read_tag(&r, &tag));
  TF_CHECK_EQ(tag, 1u);
  TF_CHECK_OK(tf_cbor_read_uint(&r, &v));
  TF_CHECK_EQ(v, 1363896240u);
  TF_CHECK_EQ(tf_cbor_reader_remaining(&r), 0u);
  TF_CHECK_RC(tf_cbor_read(&r, &it), TF_STATUS_TRUNCATED);
}

static void strings_zero_copy(void) {
  uint8_t buf[64];
  tf_cbor_reader_t r;
  const uint8_t *data = NULL;
  const char *text = NULL;
  size_t n, len = 0;

  n = hex("4401020304 63e6b0b4 60", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_bytes(&r, &data, &len));
  TF_CHECK(data == buf + 1 && len == 4u);
  TF_CHECK_OK(tf_cbor_read_text(&r, &text, &len));
  TF_CHECK(len == 3u && memcmp(text, "\xe6\xb0\xb4", 3) == 0);
  TF_CHECK_OK(tf_cbor_read_text(&r, &text, &len));
  TF_CHECK_EQ(len, 0u);
}

/* Walk {"a": 1, "b": [2, 3]} with the cursor, find "b", skip what is not wanted. */
static void cursor_walks_a_map(void) {
  uint8_t buf[64];
  tf_cbor_reader_t r;
  size_t n, pairs = 0, count = 0, i, klen = 0;
  const char *key = NULL;
  uint64_t x = 0, y = 0;
  int found = 0;

  n = hex("a2 6161 01 6162 82 02 03", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_map(&r, &pairs));
  TF_CHECK_EQ(pairs, 2u);
  for (i = 0; i < pairs; i++) {
    TF_CHECK_OK(tf_cbor_read_text(&r, &key, &klen));
    if (klen == 1 && key[0] == 'b') {
      TF_CHECK_OK(tf_cbor_read_array(&r, &count));
      TF_CHECK_EQ(count, 2u);
      TF_CHECK_OK(tf_cbor_read_uint(&r, &x));
      TF_CHECK_OK(tf_cbor_read_uint(&r, &y));
      found = x == 2u && y == 3u;
    } else {
      TF_CHECK_OK(tf_cbor_skip(&r));
    }
  }
  TF_CHECK(found);
  TF_CHECK_EQ(tf_cbor_reader_remaining(&r), 0u);
}

static void typed_read_errors_consume_nothing(void) {
  uint8_t buf[64];
  tf_cbor_reader_t r;
  uint64_t u = 0;
  uint32_t u32 = 0;
  int64_t i64 = 0;
  size_t n, count = 0;
  const uint8_t *data = NULL;
  bool b = false;
  double d = 0;

  n = hex("6161", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_RC(tf_cbor_read_uint(&r, &u), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_int(&r, &i64), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_bytes(&r, &data, &count), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_array(&r, &count), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_map(&r, &count), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_bool(&r, &b), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_null(&r), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_float(&r, &d), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_cbor_read_tag(&r, &u), TF_STATUS_BAD_FIELD);
  TF_CHECK_EQ(r.pos, 0u);

  n = hex("1a00000001 1b0000000100000000", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_u32(&r, &u32));
  TF_CHECK_EQ(u32, 1u);
  TF_CHECK_RC(tf_cbor_read_u32(&r, &u32), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_EQ(r.pos, 5u);

  /* int64 limits: 2^63-1 and -2^63 fit, one beyond does not */
  n = hex("1b7fffffffffffffff 3b7fffffffffffffff 1b8000000000000000 3b8000000000000000", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_read_int(&r, &i64));
  TF_CHECK(i64 == INT64_MAX);
  TF_CHECK_OK(tf_cbor_read_int(&r, &i64));
  TF_CHECK(i64 == INT64_MIN);
  TF_CHECK_RC(tf_cbor_read_int(&r, &i64), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_EQ(r.pos, 18u);
  r.pos = 27;
  TF_CHECK_RC(tf_cbor_read_int(&r, &i64), TF_STATUS_OUT_OF_RANGE);

  /* an indefinite array is not a definite one */
  n = hex("9f01ff", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_RC(tf_cbor_read_array(&r, &count), TF_STATUS_BAD_FIELD);
}

/* RFC 8949 Appendix F: not-well-formed examples. */
static void appendix_f_rejected(void) {
  static const char *const truncated[] = {
      "18", "19", "1a", "1b", "1901", "1a0102", "1b01020304050607", "38", "58", "78", "98", "9a01ff00", "b8", "d8",
      "f8", "f900", "fa0000", "fb000000000000", "41", "61", "5affffffff00", "5bffffffffffffffff010203",
      "7affffffff00", "7b7fffffffffffffff010203", "81", "818181818181818181", "8200", "a1", "a20102", "a100",
      "a2000000", "c0", "5f4100", "7f6100", "9f", "9f0102", "bf", "bf01020102", "819f", "9f8000",
      "9f9f9f9f9fffffffff", "9f819f819f9fffffff",
      /* listed under "break in a definite-length map" in Appendix F; the reader sees first that
       * the announced pairs cannot fit in the bytes left */
      "a1ff", "a20000ff",
  };
  static const char *const malformed[] = {
      "1c", "1d", "1e", "3c", "3d", "3e", "5c", "5d", "5e", "7c", "7d", "7e", "9c", "9d", "9e", "bc", "bd", "be",
      "dc", "dd", "de", "fc", "fd", "fe", "f800", "f801", "f818", "f81f", "5f00ff", "5f21ff", "5f6100ff", "5f80ff",
      "5fa0ff", "5fc000ff", "5fe0ff", "7f4100ff", "5f5f4100ffff", "7f7f6100ffff", "ff", "81ff", "8200ff",
      "a1ff00", "a100ff", "9f81ff", "9f829f819f9fffffffff", "bf00ff", "bf000000ff", "1f", "3f", "df",
      "9fc0ff",
  };
  uint8_t buf[64];
  tf_cbor_reader_t r;
  size_t i, n;

  for (i = 0; i < sizeof truncated / sizeof truncated[0]; i++) {
    n = hex(truncated[i], buf);
    tf_cbor_reader_init(&r, buf, n, TF_CBOR_MAX_DEPTH);
    if (!TF_CHECK_RC(tf_cbor_skip(&r), TF_STATUS_TRUNCATED) || !TF_CHECK_EQ(r.pos, 0u)) {
      printf("  input %s\n", truncated[i]);
    }
  }
  for (i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    n = hex(malformed[i], buf);
    tf_cbor_reader_init(&r, buf, n, TF_CBOR_MAX_DEPTH);
    if (!TF_CHECK_RC(tf_cbor_skip(&r), TF_STATUS_MALFORMED) || !TF_CHECK_EQ(r.pos, 0u)) {
      printf("  input %s\n", malformed[i]);
    }
  }
}

static void depth_limit(void) {
  static uint8_t deep[2000];
  tf_cbor_reader_t r;
  size_t i;

  /* [[[...[0]...]]] with 16 levels passes at depth 16, fails at 15 */
  for (i = 0; i < 16; i++) {
    deep[i] = 0x81;
  }
  deep[16] = 0x00;
  tf_cbor_reader_init(&r, deep, 17, 16);
  TF_CHECK_OK(tf_cbor_skip(&r));
  TF_CHECK_EQ(r.pos, 17u);
  tf_cbor_reader_init(&r, deep, 17, 15);
  TF_CHECK_RC(tf_cbor_skip(&r), TF_STATUS_TOO_LARGE);
  TF_CHECK_EQ(r.pos, 0u);
  /* 1999 levels of indefinite arrays: rejected quickly, no recursion */
  memset(deep, 0x9F, sizeof deep);
  tf_cbor_reader_init(&r, deep, sizeof deep, TF_CBOR_MAX_DEPTH);
  TF_CHECK_RC(tf_cbor_skip(&r), TF_STATUS_TOO_LARGE);
  /* tags do not nest containers: a long chain of tags is fine */
  memset(deep, 0xC6, 1000);
  deep[1000] = 0x01;
  tf_cbor_reader_init(&r, deep, 1001, 1);
  TF_CHECK_OK(tf_cbor_skip(&r));
  TF_CHECK_EQ(r.pos, 1001u);
  TF_CHECK_RC(tf_cbor_reader_init(&r, deep, 10, 0), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_RC(tf_cbor_reader_init(&r, deep, 10, TF_CBOR_MAX_DEPTH + 1u), TF_STATUS_OUT_OF_RANGE);
}

static void huge_counts_are_bounded(void) {
  uint8_t buf[64];
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  size_t n;

  n = hex("9b0000000100000000 00", buf); /* 2^32 elements announced, one byte follows */
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_RC(tf_cbor_read(&r, &it), TF_STATUS_TRUNCATED);
  n = hex("bb8000000000000000 0000", buf); /* 2^63 pairs: 2n would overflow */
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_RC(tf_cbor_skip(&r), TF_STATUS_TRUNCATED);
  n = hex("5bffffffffffffffff 00", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_RC(tf_cbor_read(&r, &it), TF_STATUS_TRUNCATED);
  /* counts that fit are returned as they are */
  n = hex("82 00 00", buf);
  tf_cbor_reader_init(&r, buf, n, 4);
  TF_CHECK_OK(tf_cbor_peek(&r, &it));
  TF_CHECK_EQ(it.u, 2u);
  TF_CHECK_EQ(r.pos, 0u);
}

/* Every prefix of a valid message is truncated, never accepted, never a crash. */
static void every_prefix_truncated(void) {
  uint8_t buf[64];
  tf_cbor_reader_t r;
  size_t n, cut;

  n = hex("bf6346756ef563416d7421ff", buf);
  for (cut = 0; cut < n; cut++) {
    tf_cbor_reader_init(&r, buf, cut, 8);
    TF_CHECK_RC(tf_cbor_skip(&r), TF_STATUS_TRUNCATED);
  }
  n = hex("a56161614161626142616361436164614461656145", buf);
  for (cut = 0; cut < n; cut++) {
    tf_cbor_reader_init(&r, buf, cut, 8);
    TF_CHECK_RC(tf_cbor_skip(&r), TF_STATUS_TRUNCATED);
  }
}

/* Random bytes: skip never reads out of bounds (run under ASan) and always terminates. */
static void random_input_is_safe(void) {
  static uint8_t buf[256];
  tf_cbor_reader_t r;
  uint32_t seed = 99;
  size_t trial, i, n;
  tf_status_t rc;
  unsigned ok = 0;

  for (trial = 0; trial < 20000; trial++) {
    n = 1u + trial % sizeof buf;
    for (i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      buf[i] = (uint8_t)(seed >> 16);
    }
    tf_cbor_reader_init(&r, buf, n, 8);
    while ((rc = tf_cbor_skip(&r)) == TF_OK && r.pos < n) {
    }
    ok += rc == TF_OK || rc == TF_STATUS_MALFORMED || rc == TF_STATUS_TRUNCATED || rc == TF_STATUS_TOO_LARGE;
  }
  TF_CHECK_EQ(ok, 20000u);
}

int main(void) {
  TF_TEST_RUN(appendix_a_skip_whole_items);
  TF_TEST_RUN(appendix_a_integers);
  TF_TEST_RUN(appendix_a_floats);
  TF_TEST_RUN(simple_values_and_tags);
  TF_TEST_RUN(strings_zero_copy);
  TF_TEST_RUN(cursor_walks_a_map);
  TF_TEST_RUN(typed_read_errors_consume_nothing);
  TF_TEST_RUN(appendix_f_rejected);
  TF_TEST_RUN(depth_limit);
  TF_TEST_RUN(huge_counts_are_bounded);
  TF_TEST_RUN(every_prefix_truncated);
  TF_TEST_RUN(random_input_is_safe);
  return tf_test_finish();
}
