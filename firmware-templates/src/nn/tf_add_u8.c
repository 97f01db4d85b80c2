/* ADD, PROTOCOL.md §6.3.8 (TFLite's form with a left shift of 20) (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_add_u8(const tf_add_params_t *p, const uint8_t *a, const uint8_t *b, uint8_t *y, uint32_t n) {
  const int32_t k = (int32_t)1 << TF_ADD_LEFT_SHIFT;
  uint32_t i;

  for (i = 0; i < n; i++) {
    int32_t ra = tf_requantize(((int32_t)a[i] - p->a_zero) * k, &p->a);
    int32_t rb = tf_requantize(((int32_t)b[i] - p->b_zero) * k, &p->b);
    int32_t v = p->y_zero + tf_requantize(ra + rb, &p->y);
    y[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
  return TF_OK;
}
