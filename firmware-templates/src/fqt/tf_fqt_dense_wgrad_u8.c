/* PROTOCOL.md §6.6.4 DENSE weight gradient of the selected rows: G[r, i] = (x[i] - z_x)(e[o] - z_e). */
#include "tinyfleet/tf_fqt.h"

static int32_t wrap_add(int32_t acc, int32_t v) {
  return (int32_t)((uint32_t)acc + (uint32_t)v);
}

uint32_t tf_fqt_dense_wgrad_u8(int32_t inputs, const uint8_t *x, int32_t x_zero, const uint8_t *e, int32_t e_zero,
                               const uint16_t *idx, uint32_t k, int32_t *grad) {
  uint32_t r;
  int32_t i;

  for (r = 0; r < k; r++) {
    int32_t ev = (int32_t)e[idx[r]] - e_zero;
    int32_t *row = grad + (int32_t)r * inputs;
    for (i = 0; i < inputs; i++) {
      row[i] = wrap_add(row[i], ((int32_t)x[i] - x_zero) * ev);
    }
  }
  return (uint32_t)inputs * k;
}
