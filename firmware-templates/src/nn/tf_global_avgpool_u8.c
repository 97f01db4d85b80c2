/* GLOBAL_AVGPOOL, PROTOCOL.md §6.3.7: y[c] = RoundedDiv(sum over H, W of x[h, w, c], H*W) (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_global_avgpool_u8(const tf_dims_t *xd, const uint8_t *x, uint8_t *y) {
  const int32_t positions = xd->h * xd->w;
  int32_t b, c, i;

  for (b = 0; b < xd->n; b++) {
    const uint8_t *xb = x + (size_t)b * positions * xd->c;
    for (c = 0; c < xd->c; c++) {
      int32_t sum = 0;
      for (i = 0; i < positions; i++) {
        sum += xb[(size_t)i * xd->c + c];
      }
      y[(size_t)b * xd->c + c] = (uint8_t)tf_rounded_div(sum, positions);
    }
  }
  return TF_OK;
}
