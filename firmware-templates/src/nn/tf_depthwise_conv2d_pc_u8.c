/* DEPTHWISE_CONV2D (multiplier 1), INT8 weights per channel, PROTOCOL.md §6.3.3 (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_depthwise_conv2d_pc_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
               const uint8_t *x, const tf_dims_t *wd, const int8_t *w, const int32_t *bias,
               const tf_dims_t *yd, uint8_t *y) {
  const int32_t C = xd->c;
  int32_t b, oy, ox, c, ky, kx;

  for (b = 0; b < xd->n; b++) {
    const uint8_t *xb = x + (size_t)b * xd->h * xd->w * C;
    for (oy = 0; oy < yd->h; oy++) {
      for (ox = 0; ox < yd->w; ox++) {
        uint8_t *out = y + (((size_t)b * yd->h + oy) * yd->w + ox) * C;
        for (c = 0; c < C; c++) {
          const int32_t wz = 0;
          uint32_t acc = bias != NULL ? (uint32_t)bias[c] : 0u; /* int32, wraps modulo 2^32 */
          for (ky = 0; ky < wd->h; ky++) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
            if (iy < 0 || iy >= xd->h) {
              continue; /* padded taps contribute 0 (§6.3.2) */
            }
            for (kx = 0; kx < wd->w; kx++) {
              const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
              if (ix < 0 || ix >= xd->w) {
                continue;
              }
              acc += (uint32_t)(((int32_t)xb[((size_t)iy * xd->w + ix) * C + c] - p->x_zero) *
                                ((int32_t)w[((size_t)ky * wd->w + kx) * C + c] - wz));
            }
          }
          out[c] = tf_output_stage((int32_t)acc, &q->rq[c], p->y_zero, p->act_min, p->act_max); /* §6.3.1 */
        }
      }
    }
  }
  return TF_OK;
}
