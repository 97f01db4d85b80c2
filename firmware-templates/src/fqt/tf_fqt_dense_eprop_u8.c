/* PROTOCOL.md §6.6.3 DENSE error propagation: acc[i] = Σ_o (w[o, i] - z_w)(e[o] - z_e). */
#include "tinyfleet/tf_fqt.h"

#include <string.h>

static int32_t wrap_add(int32_t acc, int32_t v) {
  return (int32_t)((uint32_t)acc + (uint32_t)v);
}

uint32_t tf_fqt_dense_eprop_u8(int32_t inputs, int32_t units, const uint8_t *w, int32_t w_zero, const uint8_t *e,
                               int32_t e_zero, int32_t *acc) {
  int32_t o, i;

  memset(acc, 0, (size_t)inputs * sizeof *acc);
  for (o = 0; o < units; o++) {
    int32_t ev = (int32_t)e[o] - e_zero;
    const uint8_t *wr = w + o * inputs;
    for (i = 0; i < inputs; i++) {
      acc[i] = wrap_add(acc[i], ((int32_t)wr[i] - w_zero) * ev);
    }
  }
  return (uint32_t)inputs * (uint32_t)units;
}
