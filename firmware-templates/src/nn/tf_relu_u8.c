/* RELU, PROTOCOL.md §6.3.5: clamp to [lo, hi] (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_relu_u8(const tf_relu_params_t *p, const uint8_t *x, uint8_t *y, uint32_t n) {
  uint32_t i;

  for (i = 0; i < n; i++) {
    int32_t v = x[i];
    y[i] = (uint8_t)(v < p->lo ? p->lo : v > p->hi ? p->hi : v);
  }
  return TF_OK;
}
