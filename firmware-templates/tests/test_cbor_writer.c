/* CBOR writer: RFC 8949 Appendix A encodings, preferred floats, overflow handling, round trips. */
#include "tf_test.h"

#include "tinyfleet/tf_cbor.h"

#include <stdio.h>
#include <string.h>

#define HEX(h, out) tf_test_hex((h), (out), sizeof(out))

static uint8_t g_buf[128];
static tf_cbor_writer_t g_w;

static void start(void) {
  memset(g_buf, 0xEE, sizeof g_buf);
  tf_cbor_writer_init(&g_w, g_buf, sizeof g_buf);
}

static void expect(const char *hex) {
  uint8_t want[64];
  size_t n = HEX(hex, want);

  TF_CHECK_OK(tf_cbor_writer_status(&g_w));
  if (!TF_CHECK_EQ(tf_cbor_writer_len(&g_w), n) || !TF_CHECK_MEM(g_buf, want, n)) {
    printf("  expected %s\n", hex);
  }
}

static void integers(void) {
  static const struct {
    int64_t v;
    const char *hex;
  } s[] = {
      {0, "00"},         {1, "01"},          {10, "0a"},          {23, "17"},
      {24, "1818"},      {25, "1819"},       {100, "1864"},       {1000, "1903e8"},
      {1000000, "1a000f4240"}, {1000000000000, "1b000000e8d4a51000"}, {-1, "20"}, {-10, "29"},
      {-100, "3863"},    {-1000, "3903e7"},  {INT64_MIN, "3b7fffffffffffffff"}, {INT64_MAX, "1b7fffffffffffffff"},
      {255, "18ff"},     {256, "190100"},    {65535, "19ffff"},   {65536, "1a00010000"},
      {4294967295, "1affffffff"}, {4294967296, "1b0000000100000000"}, {-24, "37"}, {-25, "3818"},
  };
  size_t i;

  for (i = 0; i < sizeof s / sizeof s[0]; i++) {
    start();
    tf_cbor_write_int(&g_w, s[i].v);
    expect(s[i].hex);
  }
  start();
  tf_cbor_write_uint(&g_w, UINT64_MAX);
  expect("1bffffffffffffffff");
}

static void floats_preferred(void) {
  static const struct {
    double v;
    const char *hex;
  } s[] = {
      {0.0, "f90000"},
      {-0.0, "f98000"},
      {1.0, "f93c00"},
      {1.1, "fb3ff199999999999a"},
      {1.5, "f93e00"},
      {65504.0, "f97bff"},
      {100000.0, "fa47c35000"},
      {3.4028234663852886e+38, "fa7f7fffff"},
      {1.0e+300, "fb7e37e43c8800759c"},
      {5.960464477539063e-8, "f90001"},
      {0.00006103515625, "f90400"},
      {-4.0, "f9c400"},
      {-4.1, "fbc010666666666666"},
      {65505.0, "fa477fe100"},        /* between halves: single */
      {2.98023223876953125e-8, "fa33000000"}, /* 2^-25: below the half range */
      {0.000060975551605224609375, "f903ff"},
      {1e-45, "fb3696d601ad376ab9"}, /* not exact as single */
  };
  size_t i;
  double inf = 1e308 * 10.0;

  for (i = 0; i < sizeof s / sizeof s[0]; i++) {
    start();
    tf_cbor_write_float(&g_w, s[i].v);
    expect(s[i].hex);
  }
  start();
  tf_cbor_write_float(&g_w, inf);
  tf_cbor_write_float(&g_w, -inf);
  tf_cbor_write_float(&g_w, inf - inf);
  expect("f97c00 f9fc00 f97e00");
  start();
  tf_cbor_write_float32(&g_w, 1.5f);
  tf_cbor_write_float64(&g_w, 1.5);
  expect("fa3fc00000 fb3ff8000000000000");
}

static void strings_and_containers(void) {
  static const uint8_t b4[4] = {1, 2, 3, 4};

  start();
  tf_cbor_write_bytes(&g_w, b4, 0);
  tf_cbor_write_bytes(&g_w, b4, 4);
  tf_cbor_write_cstr(&g_w, "");
  tf_cbor_write_cstr(&g_w, "IETF");
  tf_cbor_write_text(&g_w, "\xe6\xb0\xb4", 3);
  expect("40 4401020304 60 6449455446 63e6b0b4");

  start(); /* {"a": 1, "b": [2, 3]} */
  tf_cbor_write_map(&g_w, 2);
  tf_cbor_write_cstr(&g_w, "a");
  tf_cbor_write_uint(&g_w, 1);
  tf_cbor_write_cstr(&g_w, "b");
  tf_cbor_write_array(&g_w, 2);
  tf_cbor_write_uint(&g_w, 2);
  tf_cbor_write_uint(&g_w, 3);
  expect("a26161016162820203");

  start(); /* [_ 1, [2, 3], [_ 4, 5]] and {_ "Fun": true, "Amt": -2} */
  tf_cbor_write_array_indefinite(&g_w);
  tf_cbor_write_uint(&g_w, 1);
  tf_cbor_write_array(&g_w, 2);
  tf_cbor_write_uint(&g_w, 2);
  tf_cbor_write_uint(&g_w, 3);
  tf_cbor_write_array_indefinite(&g_w);
  tf_cbor_write_uint(&g_w, 4);
  tf_cbor_write_uint(&g_w, 5);
  tf_cbor_write_break(&g_w);
  tf_cbor_write_break(&g_w);
  tf_cbor_write_map_indefinite(&g_w);
  tf_cbor_write_cstr(&g_w, "Fun");
  tf_cbor_write_bool(&g_w, true);
  tf_cbor_write_cstr(&g_w, "Amt");
  tf_cbor_write_int(&g_w, -2);
  tf_cbor_write_break(&g_w);
  expect("9f018202039f0405ffff bf6346756ef563416d7421ff");

  start();
  tf_cbor_write_array(&g_w, 25);
  expect("9819");
}

static void tags_and_simple(void) {
  start();
  tf_cbor_write_tag(&g_w, 1);
  tf_cbor_write_uint(&g_w, 1363896240);
  tf_cbor_write_tag(&g_w, 32);
  tf_cbor_write_bool(&g_w, false);
  tf_cbor_write_null(&g_w);
  tf_cbor_write_undefined(&g_w);
  tf_cbor_write_simple(&g_w, 16);
  tf_cbor_write_simple(&g_w, 255);
  expect("c11a514b67b0 d820 f4 f6 f7 f0 f8ff");
  start();
  TF_CHECK_RC(tf_cbor_write_simple(&g_w, 24), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_RC(tf_cbor_write_uint(&g_w, 1), TF_STATUS_OUT_OF_RANGE); /* sticky */
  TF_CHECK_EQ(tf_cbor_writer_len(&g_w), 0u);
}

static size_t write_message(tf_cbor_writer_t *w) {
  static const uint8_t blob[40] = {0};
  tf_cbor_write_map(w, 3);
  tf_cbor_write_cstr(w, "v");
  tf_cbor_write_uint(w, 1);
  tf_cbor_write_cstr(w, "blob");
  tf_cbor_write_bytes(w, blob, sizeof blob);
  tf_cbor_write_cstr(w, "f");
  tf_cbor_write_float(w, 1.1);
  return tf_cbor_writer_len(w);
}

static void overflow_is_sticky_and_clean(void) {
  uint8_t buf[80];
  tf_cbor_writer_t w;
  size_t need, cap, i, len;

  tf_cbor_writer_init(&w, NULL, 0); /* measure */
  need = write_message(&w);
  TF_CHECK_OK(tf_cbor_writer_status(&w));
  TF_CHECK_EQ(need, 1u + 2u + 1u + 5u + 2u + 40u + 2u + 9u);
  for (cap = 0; cap < need; cap++) {
    memset(buf, 0xEE, sizeof buf);
    tf_cbor_writer_init(&w, buf, cap);
    len = write_message(&w);
    TF_CHECK_RC(tf_cbor_writer_status(&w), TF_STATUS_NO_SPACE);
    TF_CHECK(len <= cap);
    for (i = cap; i < sizeof buf; i++) {
      if (!TF_CHECK_EQ(buf[i], 0xEEu)) {
        break; /* nothing written past the capacity */
      }
    }
    TF_CHECK_RC(tf_cbor_write_uint(&w, 0), TF_STATUS_NO_SPACE);
    TF_CHECK_EQ(tf_cbor_writer_len(&w), len);
  }
  tf_cbor_writer_init(&w, buf, need);
  TF_CHECK_EQ(write_message(&w), need);
  TF_CHECK_OK(tf_cbor_writer_status(&w));
}

/* Write a pseudo-random sequence of items, read it back with the reader. */
static void round_trip_random_items(void) {
  static uint8_t buf[8192];
  tf_cbor_writer_t w;
  tf_cbor_reader_t r;
  uint32_t seed = 5;
  int64_t vals[500], got = 0;
  uint64_t u = 0;
  size_t i, n = 500;

  tf_cbor_writer_init(&w, buf, sizeof buf);
  tf_cbor_write_array(&w, n);
  for (i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    u = ((uint64_t)seed << (seed % 40u)) & 0x3FFFFFFFFFFFFFFFu;
    vals[i] = (seed & 1u) != 0 ? -(int64_t)u : (int64_t)u;
    tf_cbor_write_int(&w, vals[i]);
  }
  TF_CHECK_OK(tf_cbor_writer_status(&w));
  tf_cbor_reader_init(&r, buf, tf_cbor_writer_len(&w), 4);
  TF_CHECK_OK(tf_cbor_read_array(&r, &n));
  TF_CHECK_EQ(n, 500u);
  for (i = 0; i < n; i++) {
    TF_CHECK_OK(tf_cbor_read_int(&r, &got));
    if (!TF_CHECK(got == vals[i])) {
      break;
    }
  }
  TF_CHECK_EQ(tf_cbor_reader_remaining(&r), 0u);
  tf_cbor_reader_init(&r, buf, tf_cbor_writer_len(&w), 4);
  TF_CHECK_OK(tf_cbor_skip(&r));
  TF_CHECK_EQ(tf_cbor_reader_remaining(&r), 0u);
}

static void float_round_trip_exact(void) {
  static const double v[] = {0.5, -2.75, 1.0 / 3.0, 123456.789, 1e-7, 6.103515625e-05, 3.0e38, -1e-310};
  uint8_t buf[32];
  tf_cbor_writer_t w;
  tf_cbor_reader_t r;
  double d = 0;
  size_t i;

  for (i = 0; i < sizeof v / sizeof v[0]; i++) {
    tf_cbor_writer_init(&w, buf, sizeof buf);
    tf_cbor_write_float(&w, v[i]);
    tf_cbor_reader_init(&r, buf, tf_cbor_writer_len(&w), 1);
    TF_CHECK_OK(tf_cbor_read_float(&r, &d));
    TF_CHECK(d == v[i]);
  }
}

int main(void) {
  TF_TEST_RUN(integers);
  TF_TEST_RUN(floats_preferred);
  TF_TEST_RUN(strings_and_containers);
  TF_TEST_RUN(tags_and_simple);
  TF_TEST_RUN(overflow_is_sticky_and_clean);
  TF_TEST_RUN(round_trip_random_items);
  TF_TEST_RUN(float_round_trip_exact);
  return tf_test_finish();
}
