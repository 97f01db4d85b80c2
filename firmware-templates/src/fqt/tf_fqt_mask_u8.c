/* PROTOCOL.md §6.6.3 activation masks (fused clamp, RELU, RELU6), in place on the error. */
#include "tinyfleet/tf_fqt.h"

void tf_fqt_mask_u8(const uint8_t *y, int32_t lower, int32_t upper, uint8_t *e, int32_t e_zero, uint32_t n) {
  uint32_t i;

  for (i = 0; i < n; i++) {
    int32_t v = y[i];
    if ((lower >= 0 && v <= lower) || (upper < 255 && v >= upper)) {
      e[i] = (uint8_t)e_zero;
    }
  }
}
