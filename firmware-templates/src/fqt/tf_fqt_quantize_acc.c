/*
 * PROTOCOL.md §6.6.3 range tracking and quantization of int32 accumulators (no float tensor), and the
 * forward accumulator bounds of the logits producer (§6.6.7, `ea`).
 */
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

static int32_t wrap_add(int32_t acc, int32_t v) {
  return (int32_t)((uint32_t)acc + (uint32_t)v);
}

static void observe(tf_fqt_bounds_t *b, int32_t acc) {
  if (b->n == 0u || acc < b->mn) b->mn = acc;
  if (b->n == 0u || acc > b->mx) b->mx = acc;
  b->n++;
}

void tf_fqt_acc_bounds_u8(const tf_fqt_conv_geom_t *g, int32_t inputs, int32_t units, const uint8_t *x,
                          int32_t x_zero, const uint8_t *w, int32_t w_zero, const int32_t *bias, tf_fqt_bounds_t *b) {
  int32_t o, i, oy, ox, ky, kx, c;

  if (g == NULL) {
    for (o = 0; o < units; o++) {
      int32_t acc = bias != NULL ? bias[o] : 0;
      for (i = 0; i < inputs; i++) acc = wrap_add(acc, ((int32_t)x[i] - x_zero) * ((int32_t)w[o * inputs + i] - w_zero));
      observe(b, acc);
    }
    return;
  }
  for (oy = 0; oy < g->out_h; oy++) {
    for (ox = 0; ox < g->out_w; ox++) {
      for (o = 0; o < g->out_c; o++) {
        int32_t acc = bias != NULL ? bias[o] : 0;
        for (ky = 0; ky < g->kernel_h; ky++) {
          int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
          if (iy < 0 || iy >= g->in_h) continue;
          for (kx = 0; kx < g->kernel_w; kx++) {
            int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w, xb, wb;
            if (ix < 0 || ix >= g->in_w) continue;
            xb = (iy * g->in_w + ix) * g->in_c;
            wb = ((o * g->kernel_h + ky) * g->kernel_w + kx) * g->in_c;
            for (c = 0; c < g->in_c; c++) acc = wrap_add(acc, ((int32_t)x[xb + c] - x_zero) * ((int32_t)w[wb + c] - w_zero));
          }
        }
        observe(b, acc);
      }
    }
  }
}
