/* Host test harness (tf_test.h). */
#include "tf_test.h"

#include <stdio.h>
#include <string.h>

static const char *g_name = "?";
static int g_case_failed;
static unsigned g_passed;
static unsigned g_failed;

void tf_test_begin(const char *name) {
  g_name = name;
  g_case_failed = 0;
}

void tf_test_end(void) {
  if (g_case_failed) {
    g_failed++;
    printf("FAIL %s\n", g_name);
  } else {
    g_passed++;
    printf("ok   %s\n", g_name);
  }
  fflush(stdout);
}

int tf_test_check(int ok, const char *expr, const char *file, int line) {
  if (!ok) {
    g_case_failed = 1;
    printf("  %s:%d: %s: check failed: %s\n", file, line, g_name, expr);
  }
  return ok;
}

int tf_test_check_u64(uint64_t got, uint64_t want, const char *expr, const char *file, int line) {
  if (got != want) {
    g_case_failed = 1;
    printf("  %s:%d: %s: %s: got %llu (0x%llx), want %llu (0x%llx)\n", file, line, g_name, expr,
           (unsigned long long)got, (unsigned long long)got, (unsigned long long)want, (unsigned long long)want);
    return 0;
  }
  return 1;
}

int tf_test_check_rc(tf_status_t got, tf_status_t want, const char *expr, const char *file, int line) {
  if (got != want) {
    g_case_failed = 1;
    printf("  %s:%d: %s: %s: got %s (%d), want %s (%d)\n", file, line, g_name, expr, tf_status_name(got), (int)got,
           tf_status_name(want), (int)want);
    return 0;
  }
  return 1;
}

int tf_test_check_mem(const void *got, const void *want, size_t len, const char *expr, const char *file, int line) {
  const uint8_t *g = (const uint8_t *)got;
  const uint8_t *w = (const uint8_t *)want;
  size_t i;

  for (i = 0; i < len; i++) {
    if (g[i] != w[i]) {
      g_case_failed = 1;
      printf("  %s:%d: %s: %s: first mismatch at index %zu: got 0x%02x, want 0x%02x\n", file, line, g_name, expr, i,
             g[i], w[i]);
      return 0;
    }
  }
  return 1;
}

int tf_test_finish(void) {
  printf("%u passed, %u failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

size_t tf_test_hex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1, v;

  for (; *hex != '\0'; hex++) {
    v = hexval(*hex);
    if (v < 0) {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      if (n < cap) {
        out[n] = (uint8_t)(hi * 16 + v);
      }
      n++;
      hi = -1;
    }
  }
  return n;
}
