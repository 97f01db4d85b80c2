/* PROTOCOL.md §6.6.3 DEPTHWISE_CONV2D error propagation (1HWC weights, per channel). */
#include "tinyfleet/tf_fqt.h"

#include <string.h>

static int32_t wrap_add(int32_t acc, int32_t v) {
  return (int32_t)((uint32_t)acc + (uint32_t)v);
}

uint32_t tf_fqt_depthwise_conv2d_eprop_u8(const tf_fqt_conv_geom_t *g, const uint8_t *w, int32_t w_zero,
                                          const uint8_t *e, int32_t e_zero, int32_t *acc) {
  int32_t oy, ox, ky, kx, c, C = g->in_c;
  uint32_t macs = 0;

  memset(acc, 0, (size_t)g->in_h * (size_t)g->in_w * (size_t)C * sizeof *acc);
  for (oy = 0; oy < g->out_h; oy++) {
    for (ox = 0; ox < g->out_w; ox++) {
      for (ky = 0; ky < g->kernel_h; ky++) {
        int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
        if (iy < 0 || iy >= g->in_h) continue;
        for (kx = 0; kx < g->kernel_w; kx++) {
          int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
          if (ix < 0 || ix >= g->in_w) continue;
          for (c = 0; c < C; c++) {
            int32_t ev = (int32_t)e[(oy * g->out_w + ox) * C + c] - e_zero;
            int32_t i = (iy * g->in_w + ix) * C + c;
            acc[i] = wrap_add(acc[i], ((int32_t)w[(ky * g->kernel_w + kx) * C + c] - w_zero) * ev);
          }
          macs += (uint32_t)C;
        }
      }
    }
  }
  return macs;
}
