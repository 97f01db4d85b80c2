/* PROTOCOL.md §6.6.4 DEPTHWISE_CONV2D weight gradient of the selected channels (rows of kh*kw). */
#include "tinyfleet/tf_fqt.h"

static int32_t wrap_add(int32_t acc, int32_t v) {
  return (int32_t)((uint32_t)acc + (uint32_t)v);
}

uint32_t tf_fqt_depthwise_conv2d_wgrad_u8(const tf_fqt_conv_geom_t *g, const uint8_t *x, int32_t x_zero,
                                          const uint8_t *e, int32_t e_zero, const uint16_t *idx, uint32_t k,
                                          int32_t *grad) {
  int32_t C = g->in_c, oy, ox, ky, kx;
  uint32_t r, macs = 0;

  for (r = 0; r < k; r++) {
    int32_t c = idx[r];
    int32_t *row = grad + (int32_t)r * g->kernel_h * g->kernel_w;
    for (oy = 0; oy < g->out_h; oy++) {
      for (ox = 0; ox < g->out_w; ox++) {
        int32_t ev = (int32_t)e[(oy * g->out_w + ox) * C + c] - e_zero;
        for (ky = 0; ky < g->kernel_h; ky++) {
          int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
          if (iy < 0 || iy >= g->in_h) continue;
          for (kx = 0; kx < g->kernel_w; kx++) {
            int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
            int32_t j = ky * g->kernel_w + kx;
            if (ix < 0 || ix >= g->in_w) continue;
            row[j] = wrap_add(row[j], ((int32_t)x[(iy * g->in_w + ix) * C + c] - x_zero) * ev);
            macs++;
          }
        }
      }
    }
  }
  return macs;
}
