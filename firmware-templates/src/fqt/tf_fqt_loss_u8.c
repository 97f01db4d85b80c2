/* PROTOCOL.md §6.6.5: loss and logits error from the integer softmax of §6.3.11. */
#include "tinyfleet/tf_fqt.h"

tf_status_t tf_fqt_loss_u8(const tf_softmax_params_t *sp, uint32_t n, const uint8_t *x, uint32_t label, uint8_t *p,
                           int32_t *err, float *loss, int32_t *correct, int32_t *scratch) {
  uint32_t i, best = 0;
  tf_status_t rc = tf_softmax_u8(sp, 1, n, x, p, scratch);

  if (rc != TF_OK) {
    return rc;
  }
  for (i = 0; i < n; i++) {
    err[i] = (int32_t)p[i] - (i == label ? 256 : 0);
    if (x[i] > x[best]) {
      best = i; /* the first largest logit */
    }
  }
  *loss = tf_fqt_neg_ln(p[label]);
  *correct = best == label;
  return TF_OK;
}
