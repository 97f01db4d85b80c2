/* PROTOCOL.md §6.6.3 AVGPOOL2D / GLOBAL_AVGPOOL backward in units of s_e * 2^-16. */
#include "tinyfleet/tf_fqt.h"

#include <string.h>

void tf_fqt_avgpool2d_bwd_u8(const tf_fqt_pool_geom_t *g, const uint8_t *e, int32_t e_zero, int32_t *acc) {
  int32_t oy, ox, c, iy, ix;

  memset(acc, 0, (size_t)g->in_h * (size_t)g->in_w * (size_t)g->c * sizeof *acc);
  for (oy = 0; oy < g->out_h; oy++) {
    for (ox = 0; ox < g->out_w; ox++) {
      int32_t y0 = oy * g->stride_h - g->pad_top, x0 = ox * g->stride_w - g->pad_left;
      int32_t y1 = y0 + g->window_h < g->in_h ? y0 + g->window_h : g->in_h;
      int32_t x1 = x0 + g->window_w < g->in_w ? x0 + g->window_w : g->in_w;
      int32_t ya = y0 > 0 ? y0 : 0, xa = x0 > 0 ? x0 : 0;
      int32_t n = (y1 - ya) * (x1 - xa);
      if (y1 <= ya || x1 <= xa) continue;
      for (c = 0; c < g->c; c++) {
        int32_t d = (int32_t)e[(oy * g->out_w + ox) * g->c + c] - e_zero;
        int32_t share = tf_rounded_div(d * (1 << TF_FQT_AVG_FRAC_BITS), n);
        for (iy = ya; iy < y1; iy++) {
          for (ix = xa; ix < x1; ix++) {
            int32_t i = (iy * g->in_w + ix) * g->c + c;
            acc[i] = (int32_t)((uint32_t)acc[i] + (uint32_t)share);
          }
        }
      }
    }
  }
}
