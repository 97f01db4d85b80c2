/**
 * @file tf_requant.h
 * @brief Integer requantization of PROTOCOL.md §6.2: a Q31 multiplier and a power-of-two shift
 *        derived from the bits of float32 scales with integer steps only (so Cortex-M0+ cores
 *        without an FPU derive the same values), the saturating rounding doubling high multiply
 *        (SRDHM) and the rounding divide by a power of two (RDBP).
 *
 * Ranges: `multiplier` is 0 or in [2^30, 2^31); `shift` in [-31, 30]; `requant(x) ≈ x * M * 2^-31 * 2^shift`.
 * Implementation-defined C behaviour relied on (as gcc, clang and arm-none-eabi-gcc do it): `>>` of a
 * negative int32 is an arithmetic shift, and converting a uint32 above INT32_MAX to int32 wraps.
 */
#ifndef TF_REQUANT_H
#define TF_REQUANT_H

#include "tinyfleet/tf_status.h"

#include <stdint.h>

/** A requantization: real ratio ≈ multiplier * 2^-31 * 2^shift (PROTOCOL.md §6.2). */
typedef struct tf_requant {
  int32_t multiplier;
  int32_t shift;
} tf_requant_t;

/** Bits of the float32 constants the runtime needs (binary32, PROTOCOL.md §6.3.11). */
#define TF_F32_ONE_BITS 0x3F800000u
#define TF_F32_LOG2E_BITS 0x3FB8AA3Bu

/**
 * §6.2.1: decodes the bits of a positive finite float32 into m * 2^e with 2^23 <= m < 2^24.
 * @return TF_OK, or TF_STATUS_OUT_OF_RANGE for a sign bit, an exponent of 255 or zero.
 */
tf_status_t tf_scale_decode(uint32_t bits, uint32_t *m, int32_t *e);

/**
 * §6.2.2: (M, k) for the ratio a * b * 2^p / c of three float32 scales given by their bits (b = 1.0,
 * TF_F32_ONE_BITS, for a ratio of two). 64-bit integer arithmetic only.
 * @return TF_OK, or TF_STATUS_OUT_OF_RANGE for an invalid scale or a shift above 30.
 */
tf_status_t tf_requant_derive(uint32_t a_bits, uint32_t b_bits, uint32_t c_bits, int32_t p, tf_requant_t *out);

/** §6.2.3: floor((a*b + 2^30) / 2^31), ties toward +infinity; SRDHM(INT32_MIN, INT32_MIN) = INT32_MAX. */
static inline int32_t tf_srdhm(int32_t a, int32_t b) {
  int64_t ab;
  int64_t nudge;

  if (a == INT32_MIN && b == INT32_MIN) {
    return INT32_MAX;
  }
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C division truncates: §6.2.3's C form */
}

/** §6.2.4: x / 2^n rounded to nearest, ties away from zero, 0 <= n <= 31. */
static inline int32_t tf_rdbp(int32_t x, int32_t n) {
  int32_t mask = (int32_t)((1u << n) - 1u);
  int32_t rem = x & mask;
  int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);

  return (x >> n) + (rem > thr ? 1 : 0);
}

/** §6.2.5: RDBP(SRDHM(sat32(x * 2^max(k, 0)), M), max(-k, 0)); 0 when M = 0. */
static inline int32_t tf_requantize(int32_t x, const tf_requant_t *r) {
  int64_t v;

  if (r->multiplier == 0) {
    return 0;
  }
  if (r->shift > 0) {
    v = (int64_t)x * ((int64_t)1 << r->shift); /* |x| < 2^31, shift <= 30: no overflow */
    v = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v;
    return tf_srdhm((int32_t)v, r->multiplier);
  }
  return tf_rdbp(tf_srdhm(x, r->multiplier), -r->shift);
}

#endif /* TF_REQUANT_H */
