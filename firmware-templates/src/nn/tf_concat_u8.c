/* CONCAT, PROTOCOL.md §6.3.9: copy an input with the output's qparams, requantize any other (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

#include <string.h>

tf_status_t tf_concat_u8(const tf_concat_input_t *inputs, uint32_t count, uint32_t outer, int32_t y_zero, uint8_t *y) {
  uint32_t o, k, i;

  for (o = 0; o < outer; o++) {
    for (k = 0; k < count; k++) {
      const tf_concat_input_t *in = &inputs[k];
      const uint8_t *x = in->x + (size_t)o * in->chunk;
      if (!in->requant) {
        memcpy(y, x, in->chunk);
      } else {
        for (i = 0; i < in->chunk; i++) {
          int32_t v = y_zero + tf_requantize((int32_t)x[i] - in->x_zero, &in->rq);
          y[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
      }
      y += in->chunk;
    }
  }
  return TF_OK;
}
