/* CONV2D, INT8 symmetric weights per output channel, PROTOCOL.md §6.3.2 (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_conv2d_pc_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
               const uint8_t *x, const tf_dims_t *wd, const int8_t *w, const int32_t *bias,
               const tf_dims_t *yd, uint8_t *y) {
  int32_t b, oy, ox, o, ky, kx, c;

  for (b = 0; b < xd->n; b++) {
    const uint8_t *xb = x + (size_t)b * xd->h * xd->w * xd->c;
    for (oy = 0; oy < yd->h; oy++) {
      for (ox = 0; ox < yd->w; ox++) {
        uint8_t *out = y + (((size_t)b * yd->h + oy) * yd->w + ox) * yd->c;
        for (o = 0; o < yd->c; o++) {
          const int32_t wz = 0;
          uint32_t acc = bias != NULL ? (uint32_t)bias[o] : 0u; /* int32, wraps modulo 2^32 (§6.3.2) */
          for (ky = 0; ky < wd->h; ky++) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
            if (iy < 0 || iy >= xd->h) {
              continue; /* taps in the padding contribute 0 (§6.3.2) */
            }
            for (kx = 0; kx < wd->w; kx++) {
              const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
              const uint8_t *xp;
              const int8_t *wp;
              if (ix < 0 || ix >= xd->w) {
                continue;
              }
              xp = xb + ((size_t)iy * xd->w + ix) * xd->c;
              wp = w + (((size_t)o * wd->h + ky) * wd->w + kx) * wd->c;
              for (c = 0; c < xd->c; c++) {
                acc += (uint32_t)(((int32_t)xp[c] - p->x_zero) * ((int32_t)wp[c] - wz));
              }
            }
          }
          out[o] = tf_output_stage((int32_t)acc, &q->rq[o], p->y_zero, p->act_min, p->act_max); /* §6.3.1 */
        }
      }
    }
  }
  return TF_OK;
}
