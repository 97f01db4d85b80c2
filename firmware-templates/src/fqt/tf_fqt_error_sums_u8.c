/* PROTOCOL.md §6.6.4 bias sums B[s] and §4.4.1 magnitudes m_s of an output error, per structure. */
#include "tinyfleet/tf_fqt.h"

void tf_fqt_error_sums_u8(const uint8_t *e, int32_t e_zero, uint32_t positions, uint32_t n, int32_t *bsum,
                          uint32_t *mag) {
  uint32_t p, s;

  for (s = 0; s < n; s++) {
    bsum[s] = 0;
  }
  for (p = 0; p < positions; p++) {
    for (s = 0; s < n; s++) {
      int32_t d = (int32_t)e[p * n + s] - e_zero;
      bsum[s] += d;
      if (mag != NULL) {
        mag[s] += (uint32_t)(d < 0 ? -d : d);
      }
    }
  }
}
