/* DENSE, INT8 weights per output channel, PROTOCOL.md §6.3.4 (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_dense_pc_u8(const tf_dense_params_t *p, const tf_weight_quant_t *q, int32_t batches, int32_t inputs,
               const uint8_t *x, int32_t units, const int8_t *w, const int32_t *bias, uint8_t *y) {
  int32_t b, o, i;

  for (b = 0; b < batches; b++) {
    const uint8_t *xb = x + (size_t)b * inputs;
    for (o = 0; o < units; o++) {
      const int32_t wz = 0;
      const int8_t *wr = w + (size_t)o * inputs;
      uint32_t acc = bias != NULL ? (uint32_t)bias[o] : 0u; /* int32, wraps modulo 2^32 */
      for (i = 0; i < inputs; i++) {
        acc += (uint32_t)(((int32_t)xb[i] - p->x_zero) * ((int32_t)wr[i] - wz));
      }
      y[(size_t)b * units + o] = tf_output_stage((int32_t)acc, &q->rq[o], p->y_zero, p->act_min, p->act_max); /* §6.3.1 */
    }
  }
  return TF_OK;
}
