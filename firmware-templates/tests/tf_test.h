/*
 * Minimal test harness for the host unit tests. Each test binary registers cases with
 * TF_TEST_RUN(fn) and ends with `return tf_test_finish();`, which prints the closing line
 * "N passed, M failed" (N, M count test cases) and returns the process exit code.
 * A failed check prints file:line, the expression and, for the _EQ forms, both values.
 */
#ifndef TF_TEST_H
#define TF_TEST_H

#include "tinyfleet/tf_status.h"

#include <stddef.h>
#include <stdint.h>

void tf_test_begin(const char *name);
void tf_test_end(void);
int tf_test_check(int ok, const char *expr, const char *file, int line);
int tf_test_check_u64(uint64_t got, uint64_t want, const char *expr, const char *file, int line);
int tf_test_check_rc(tf_status_t got, tf_status_t want, const char *expr, const char *file, int line);
/* Compares byte buffers; on mismatch prints the first differing index and both bytes. */
int tf_test_check_mem(const void *got, const void *want, size_t len, const char *expr, const char *file, int line);
int tf_test_finish(void);
/* Parses a hex string ("ba78 16bf ...", spaces ignored) into out; returns the byte count. */
size_t tf_test_hex(const char *hex, uint8_t *out, size_t cap);

#define TF_TEST_RUN(fn)                                                                                      \
  do {                                                                                                       \
    tf_test_begin(#fn);                                                                                      \
    fn();                                                                                                    \
    tf_test_end();                                                                                           \
  } while (0)
#define TF_CHECK(cond) tf_test_check((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
#define TF_CHECK_EQ(got, want) tf_test_check_u64((uint64_t)(got), (uint64_t)(want), #got " == " #want, __FILE__, __LINE__)
#define TF_CHECK_RC(expr, want) tf_test_check_rc((expr), (want), #expr, __FILE__, __LINE__)
#define TF_CHECK_OK(expr) tf_test_check_rc((expr), TF_OK, #expr, __FILE__, __LINE__)
#define TF_CHECK_MEM(got, want, len) tf_test_check_mem((got), (want), (len), #got " == " #want, __FILE__, __LINE__)

#endif /* TF_TEST_H */
