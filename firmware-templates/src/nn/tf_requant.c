/* Requantization parameters from float32 bits, PROTOCOL.md §6.2.1-§6.2.2 (tf_requant.h). */
#include "tinyfleet/tf_requant.h"

tf_status_t tf_scale_decode(uint32_t bits, uint32_t *m, int32_t *e) {
  uint32_t biased = (bits >> 23) & 0xFFu;
  uint32_t frac = bits & 0x7FFFFFu;
  tf_status_t rc = TF_OK;

  /* §6.2.1: a sign bit, E = 255 or zero is invalid */
  if ((bits >> 31) != 0 || biased == 0xFFu || (bits & 0x7FFFFFFFu) == 0) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  if (biased == 0) { /* subnormal: normalise m into [2^23, 2^24) */
    *m = frac;
    *e = -149;
    while (*m < 0x800000u) {
      *m <<= 1;
      *e -= 1;
    }
  } else {
    *m = frac | 0x800000u;
    *e = (int32_t)biased - 150;
  }
out:
  return rc;
}

tf_status_t tf_requant_derive(uint32_t a_bits, uint32_t b_bits, uint32_t c_bits, int32_t p, tf_requant_t *out) {
  uint32_t ma, mb, mc;
  int32_t ea, eb, ec, t, k;
  uint64_t num, den, scaled, q, rem;
  tf_status_t rc;

  out->multiplier = 0;
  out->shift = 0;
  rc = tf_scale_decode(a_bits, &ma, &ea);
  if (rc == TF_OK) rc = tf_scale_decode(b_bits, &mb, &eb);
  if (rc == TF_OK) rc = tf_scale_decode(c_bits, &mc, &ec);
  if (rc != TF_OK) {
    goto out;
  }
  /* §6.2.2 step 1: 2^46 <= num < 2^48 */
  num = (uint64_t)ma * mb;
  den = mc;
  /* step 2: the smallest t of 6, 7, 8 with num * 2^t >= den * 2^30 */
  t = 6;
  while (t < 8 && (num << t) < (den << 30)) {
    t++;
  }
  /* step 3: round half up; num * 2^8 < 2^56 fits */
  scaled = num << t;
  q = scaled / den;
  rem = scaled - q * den;
  if (2u * rem >= den) {
    q++;
  }
  if (q == ((uint64_t)1 << 31)) {
    q = (uint64_t)1 << 30;
    t--;
  }
  /* step 4 */
  k = 31 - t + ea + eb - ec + p;
  /* step 5 */
  if (k > 30) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  if (k >= -31) {
    out->multiplier = (int32_t)q;
    out->shift = k;
  }
out:
  return rc;
}
