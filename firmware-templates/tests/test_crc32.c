/* CRC-32 (PROTOCOL.md §1.2): check value, zlib values, incremental use, bitwise reference. */
#include "tf_test.h"

#include "tinyfleet/tf_crc32.h"

#include <string.h>

/* The textbook bit-at-a-time reflected CRC-32, independent of the table in the core. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  int k;

  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (k = 0; k < 8; k++) {
      c = (c & 1u) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
  }
  return c ^ 0xFFFFFFFFu;
}

static void fill(uint8_t *p, size_t n, uint32_t seed) {
  size_t i;

  for (i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    p[i] = (uint8_t)(seed >> 24);
  }
}

static void check_value(void) {
  TF_CHECK_EQ(tf_crc32("123456789", 9), 0xCBF43926u);
}

static void empty_input(void) {
  TF_CHECK_EQ(tf_crc32(NULL, 0), 0u);
  TF_CHECK_EQ(tf_crc32_update(0x12345678u, NULL, 0), 0x12345678u);
}

static void zlib_values(void) {
  static const char fox[] = "The quick brown fox jumps over the lazy dog";
  uint8_t all[1024];
  size_t i;

  for (i = 0; i < sizeof all; i++) {
    all[i] = (uint8_t)i;
  }
  TF_CHECK_EQ(tf_crc32("a", 1), 0xE8B7BE43u);
  TF_CHECK_EQ(tf_crc32(fox, strlen(fox)), 0x414FA339u);
  TF_CHECK_EQ(tf_crc32(all, sizeof all), 0xB70B4C26u); /* zlib.crc32(bytes(range(256)) * 4) */
}

static void incremental_equals_one_shot(void) {
  uint8_t data[300];
  uint32_t whole, c;
  size_t split;

  fill(data, sizeof data, 7);
  whole = tf_crc32(data, sizeof data);
  for (split = 0; split <= sizeof data; split++) {
    c = tf_crc32_update(0, data, split);
    c = tf_crc32_update(c, data + split, sizeof data - split);
    if (!TF_CHECK_EQ(c, whole)) {
      break;
    }
  }
}

static void matches_bitwise_reference(void) {
  uint8_t data[257];
  size_t n;

  for (n = 0; n <= sizeof data; n += 3) {
    fill(data, n, (uint32_t)n);
    if (!TF_CHECK_EQ(tf_crc32(data, n), crc32_bitwise(data, n))) {
      break;
    }
  }
}

int main(void) {
  TF_TEST_RUN(check_value);
  TF_TEST_RUN(empty_input);
  TF_TEST_RUN(zlib_values);
  TF_TEST_RUN(incremental_equals_one_shot);
  TF_TEST_RUN(matches_bitwise_reference);
  return tf_test_finish();
}
