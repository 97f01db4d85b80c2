/* PROTOCOL.md §6.6.3 range tracking and quantization of int32 accumulators (no float tensor). */
#include "tinyfleet/tf_fqt.h"

#include <string.h>

static uint32_t f2u(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

/* 2^p as a binary32, -126 <= p <= 127 */
static float pow2f(int32_t p) {
  uint32_t b = (uint32_t)(p + 127) << 23;
  float v;
  memcpy(&v, &b, sizeof v);
  return v;
}

tf_status_t tf_fqt_quantize_acc(const int32_t *acc, uint32_t n, float a, float b, int32_t p, tf_fqt_range_t *trk,
                                float rate, uint8_t *e, tf_fqt_quant_t *out) {
  int32_t mn = acc[0], mx = acc[0];
  float u, lo, hi;
  uint32_t i;
  tf_status_t rc;

  for (i = 1; i < n; i++) {
    mn = acc[i] < mn ? acc[i] : mn;
    mx = acc[i] > mx ? acc[i] : mx;
  }
  /* u = f32(f32(a * b) * 2^p); observed [f32(u * f(mn)), f32(u * f(mx))] */
  u = a * b;
  u = u * pow2f(p);
  lo = u * (float)mn;
  hi = u * (float)mx;
  tf_fqt_range_update(trk, lo, hi, rate);
  out->qp = tf_fqt_range_qparams(trk);
  rc = tf_requant_derive(f2u(a), f2u(b), f2u(out->qp.scale), p, &out->rq);
  if (rc != TF_OK) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  for (i = 0; i < n; i++) {
    int32_t v = out->qp.zero + tf_requantize(acc[i], &out->rq);
    e[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
  return TF_OK;
}
