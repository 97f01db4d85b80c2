/* MAXPOOL2D, PROTOCOL.md §6.3.6: padded positions are ignored (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_maxpool2d_u8(const tf_pool_params_t *p, const tf_dims_t *xd, const uint8_t *x, const tf_dims_t *yd,
               uint8_t *y) {
  int32_t b, oy, ox, c, ky, kx;

  for (b = 0; b < xd->n; b++) {
    const uint8_t *xb = x + (size_t)b * xd->h * xd->w * xd->c;
    for (oy = 0; oy < yd->h; oy++) {
      for (ox = 0; ox < yd->w; ox++) {
        for (c = 0; c < xd->c; c++) {
          int32_t v = 0;
          int32_t n = 0;
          for (ky = 0; ky < p->window_h; ky++) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky;
            if (iy < 0 || iy >= xd->h) {
              continue;
            }
            for (kx = 0; kx < p->window_w; kx++) {
              const int32_t ix = ox * p->stride_w - p->pad_left + kx;
              int32_t t;
              if (ix < 0 || ix >= xd->w) {
                continue;
              }
              t = xb[((size_t)iy * xd->w + ix) * xd->c + c];
              v = t > v ? t : v;
              n++;
            }
          }
          (void)n; /* the largest in-window value */
          v = v < p->act_min ? p->act_min : v > p->act_max ? p->act_max : v;
          y[(((size_t)b * yd->h + oy) * yd->w + ox) * yd->c + c] = (uint8_t)v;
        }
      }
    }
  }
  return TF_OK;
}
