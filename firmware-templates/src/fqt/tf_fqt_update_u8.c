/*
 * PROTOCOL.md §6.6.6 steps 2-4 (+ §6.6.10): the real-valued step of the selected structures, the
 * weight range tracker, requantization of the whole tensor (nearest or stochastic) and the bias.
 * Only the selected structures' new real values are held (k * es binary32, in the direction buffer);
 * every other weight is dequantized on the fly.
 */
#include "tinyfleet/tf_fqt.h"

/* Row of structure s among the ascending idx[0..k), or -1. */
static int32_t row_of(const uint16_t *idx, uint32_t k, uint32_t s) {
  uint32_t lo = 0, hi = k;

  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2u;
    if (idx[mid] == s) return (int32_t)mid;
    if (idx[mid] < s) lo = mid + 1u;
    else hi = mid;
  }
  return -1;
}

static float dequant(uint8_t q, const tf_fqt_qparams_t *qp) {
  return qp->scale * (float)((int32_t)q - qp->zero);
}

void tf_fqt_update_u8(tf_fqt_layer_t *l, const tf_fqt_update_t *u, float *delta) {
  uint32_t n = l->n_struct * l->es, r, j, i, s;
  tf_fqt_qparams_t old = l->wq, nq;
  float lo = 0.0f, hi = 0.0f, old_bias_scale, new_bias_scale;

  /* step 2: real = f32(real - f32(lr * d)) for the selected structures, in place in d */
  for (r = 0; r < u->k; r++) {
    for (j = 0; j < l->es; j++) {
      uint32_t at = l->layout == TF_FQT_1HWC ? j * l->n_struct + u->idx[r] : u->idx[r] * l->es + j;
      float step = u->lr * u->d[r * l->es + j];
      u->d[r * l->es + j] = dequant(l->w[at], &old) - step;
    }
  }
  /* step 3: observed range over the whole tensor, tracker, new qparams, requantize in index order */
  for (i = 0; i < n; i++) {
    int32_t row;
    float v;
    s = l->layout == TF_FQT_1HWC ? i % l->n_struct : i / l->es;
    j = l->layout == TF_FQT_1HWC ? i / l->n_struct : i % l->es;
    row = row_of(u->idx, u->k, s);
    v = row >= 0 ? u->d[(uint32_t)row * l->es + j] : dequant(l->w[i], &old);
    if (i == 0 || v < lo) lo = v;
    if (i == 0 || v > hi) hi = v;
  }
  tf_fqt_range_update(&l->range, lo, hi, u->rate);
  nq = tf_fqt_range_qparams(&l->range);
  for (i = 0; i < n; i++) {
    int32_t row, q;
    float v, before = dequant(l->w[i], &old);
    s = l->layout == TF_FQT_1HWC ? i % l->n_struct : i / l->es;
    j = l->layout == TF_FQT_1HWC ? i / l->n_struct : i % l->es;
    row = row_of(u->idx, u->k, s);
    v = row >= 0 ? u->d[(uint32_t)row * l->es + j] : before;
    if (row >= 0 && u->rng != NULL) { /* §6.6.10: one draw per selected weight, index order */
      q = tf_fqt_round_stochastic(v / nq.scale, tf_fqt_xorshift32(u->rng));
      q = q > 255 - nq.zero ? 255 : q + nq.zero;
      l->w[i] = (uint8_t)(q < 0 ? 0 : q);
    } else {
      l->w[i] = tf_fqt_quantize(v, &nq);
    }
    if (row >= 0 && delta != NULL) { /* §6.6.9 DELTA: dequantized after - before */
      delta[(uint32_t)row * l->es + j] = dequant(l->w[i], &nq) - before;
    }
  }
  /* step 4: bias in real units, SGD on the selected structures, rescaled to f32(s_x * s_w') */
  old_bias_scale = u->x_scale * old.scale;
  new_bias_scale = u->x_scale * nq.scale;
  for (s = 0; s < l->n_struct; s++) {
    int32_t row = row_of(u->idx, u->k, s);
    float b = old_bias_scale * (float)l->bias[s];
    if (row >= 0) {
      float step = u->lr_b * u->gb[row];
      b = b - step;
    }
    l->bias[s] = tf_fqt_round_sat32(b / new_bias_scale);
  }
  l->wq = nq;
}
