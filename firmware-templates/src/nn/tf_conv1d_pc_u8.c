/* CONV1D = CONV2D with H = 1, PROTOCOL.md §5.4 / §6.3.2 (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

tf_status_t tf_conv1d_pc_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
               const uint8_t *x, const tf_dims_t *wd, const int8_t *w, const int32_t *bias,
               const tf_dims_t *yd, uint8_t *y) {
  tf_status_t rc = TF_STATUS_BAD_FIELD;

  /* §5.4: CONV1D works on the W axis; stride_h = dilation_h = 1, no H padding */
  if (xd->h == 1 && wd->h == 1 && yd->h == 1 && p->stride_h == 1 && p->dilation_h == 1 && p->pad_top == 0) {
    rc = tf_conv2d_pc_u8(p, q, xd, x, wd, w, bias, yd, y);
  }
  return rc;
}
