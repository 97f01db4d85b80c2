/* PROTOCOL.md §6.6.3 CONV2D / CONV1D error propagation: the int32 accumulators of the input error (transposed
 * forward taps; padded taps contribute nothing; sums wrap modulo 2^32 as §6.3.2). */
#include "tinyfleet/tf_fqt.h"

#include <string.h>

static int32_t wrap_add(int32_t acc, int32_t v) {
  return (int32_t)((uint32_t)acc + (uint32_t)v);
}

uint32_t tf_fqt_conv2d_eprop_u8(const tf_fqt_conv_geom_t *g, const uint8_t *w, int32_t w_zero, const uint8_t *e,
                                int32_t e_zero, int32_t *acc) {
  int32_t oy, ox, o, ky, kx, c;
  uint32_t macs = 0;

  memset(acc, 0, (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c * sizeof *acc);
  for (oy = 0; oy < g->out_h; oy++) {
    for (ox = 0; ox < g->out_w; ox++) {
      for (o = 0; o < g->out_c; o++) {
        int32_t ev = (int32_t)e[(oy * g->out_w + ox) * g->out_c + o] - e_zero;
        for (ky = 0; ky < g->kernel_h; ky++) {
          int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
          if (iy < 0 || iy >= g->in_h) continue;
          for (kx = 0; kx < g->kernel_w; kx++) {
            int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
            int32_t *a;
            const uint8_t *wr;
            if (ix < 0 || ix >= g->in_w) continue;
            a = acc + (iy * g->in_w + ix) * g->in_c;
            wr = w + ((o * g->kernel_h + ky) * g->kernel_w + kx) * g->in_c;
            for (c = 0; c < g->in_c; c++) {
              a[c] = wrap_add(a[c], ((int32_t)wr[c] - w_zero) * ev);
            }
            macs += (uint32_t)g->in_c;
          }
        }
      }
    }
  }
  return macs;
}
