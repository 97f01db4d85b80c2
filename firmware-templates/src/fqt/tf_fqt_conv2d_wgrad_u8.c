/* PROTOCOL.md §6.6.4 CONV2D weight gradient of the selected structures (OHWI rows), int32 sums. */
#include "tinyfleet/tf_fqt.h"

static int32_t wrap_add(int32_t acc, int32_t v) {
  return (int32_t)((uint32_t)acc + (uint32_t)v);
}

uint32_t tf_fqt_conv2d_wgrad_u8(const tf_fqt_conv_geom_t *g, const uint8_t *x, int32_t x_zero, const uint8_t *e,
                                int32_t e_zero, const uint16_t *idx, uint32_t k, int32_t *grad) {
  int32_t es = g->kernel_h * g->kernel_w * g->in_c;
  int32_t oy, ox, ky, kx, c;
  uint32_t r, macs = 0;

  for (r = 0; r < k; r++) {
    int32_t o = idx[r];
    int32_t *row = grad + (int32_t)r * es;
    for (oy = 0; oy < g->out_h; oy++) {
      for (ox = 0; ox < g->out_w; ox++) {
        int32_t ev = (int32_t)e[(oy * g->out_w + ox) * g->out_c + o] - e_zero;
        for (ky = 0; ky < g->kernel_h; ky++) {
          int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
          if (iy < 0 || iy >= g->in_h) continue;
          for (kx = 0; kx < g->kernel_w; kx++) {
            int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
            const uint8_t *xr;
            int32_t *gr;
            if (ix < 0 || ix >= g->in_w) continue;
            xr = x + (iy * g->in_w + ix) * g->in_c;
            gr = row + (ky * g->kernel_w + kx) * g->in_c;
            for (c = 0; c < g->in_c; c++) {
              gr[c] = wrap_add(gr[c], ((int32_t)xr[c] - x_zero) * ev);
            }
            macs += (uint32_t)g->in_c;
          }
        }
      }
    }
  }
  return macs;
}
