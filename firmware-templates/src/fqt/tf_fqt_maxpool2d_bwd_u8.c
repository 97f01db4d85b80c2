/* PROTOCOL.md §6.6.3 MAXPOOL2D routing: the first largest input of each window, sums clamped. */
#include "tinyfleet/tf_fqt.h"

#include <string.h>

/* Windows that do not overlap (stride >= window on both axes): every input is in at most one window. */
static int disjoint(const tf_fqt_pool_geom_t *g) {
  return g->stride_h >= g->window_h && g->stride_w >= g->window_w;
}

uint32_t tf_fqt_maxpool2d_bwd_get_buffer_size(const tf_fqt_pool_geom_t *g) {
  return disjoint(g) ? 0u : (uint32_t)g->in_h * (uint32_t)g->in_w * (uint32_t)g->c * (uint32_t)sizeof(int32_t);
}

void tf_fqt_maxpool2d_bwd_u8(const tf_fqt_pool_geom_t *g, const uint8_t *x, const uint8_t *e, int32_t e_zero,
                             uint8_t *dx, int32_t *scratch) {
  int32_t oy, ox, c, ky, kx, i, n = g->in_h * g->in_w * g->c;
  int32_t one = disjoint(g); /* then dx = clamp(z_e + (e - z_e)) = e at the chosen input, z_e elsewhere */

  if (one) {
    memset(dx, (int)(uint8_t)e_zero, (size_t)n); /* e_zero is in [0, 255] */
  } else {
    memset(scratch, 0, (size_t)n * sizeof *scratch);
  }
  for (oy = 0; oy < g->out_h; oy++) {
    for (ox = 0; ox < g->out_w; ox++) {
      for (c = 0; c < g->c; c++) {
        int32_t best = -1, at = -1;
        for (ky = 0; ky < g->window_h; ky++) {
          int32_t iy = oy * g->stride_h - g->pad_top + ky;
          if (iy < 0 || iy >= g->in_h) continue;
          for (kx = 0; kx < g->window_w; kx++) {
            int32_t ix = ox * g->stride_w - g->pad_left + kx;
            if (ix < 0 || ix >= g->in_w) continue;
            i = (iy * g->in_w + ix) * g->c + c;
            if ((int32_t)x[i] > best) {
              best = x[i];
              at = i;
            }
          }
        }
        if (at >= 0 && one) {
          dx[at] = e[(oy * g->out_w + ox) * g->c + c];
        } else if (at >= 0) {
          scratch[at] += (int32_t)e[(oy * g->out_w + ox) * g->c + c] - e_zero;
        }
      }
    }
  }
  for (i = 0; i < n && !one; i++) {
    int32_t v = e_zero + scratch[i];
    dx[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}
