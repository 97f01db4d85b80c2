/*
 * PROTOCOL.md §6.6.6 steps 1-4 (+ §6.6.10): the real-valued step of the selected structures, the
 * re-centring of the logits producer (step 2a), the weight range tracker, requantization of the whole
 * tensor (nearest or stochastic) and the bias. Bit-exact with apps/cloud/src/ml/fqt/update.ts.
 *
 * Nothing but the caller's gradient rows is held: the new real value of a selected weight,
 * f32(real - f32(lr * d)) with d from the row's step-1 statistics, is recomputed in each pass (the
 * same binary32 operations give the same value). A weight outside the selected structures keeps its
 * real value f32(s_w * (w - z_w)), a function of its code alone: one 256-entry table per step gives
 * it, the tensor's observed range takes the dequantized smallest and largest of those codes
 * (dequantization is monotonic), and without re-centring a second 256-entry table gives its new code.
 */
#include "tinyfleet/tf_fqt.h"

typedef struct ctx {
  const tf_fqt_layer_t *l;
  const tf_fqt_update_t *u;
  float deq[256]; /* §6.6.6: real = f32(s_w * (q - z_w)), old qparams */
  float lo, hi;   /* step 3 observed range */
} ctx_t;

/*
 * §6.6.6 step 3: clamp(round_half_even(f32(v / s)) + z, 0, 255), as tf_fqt_quantize: below 512 in
 * magnitude, adding 1.5 * 2^23 rounds half to even (the spacing there is 1) and the rest is exact.
 */
static uint8_t q8(float v, const tf_fqt_qparams_t *qp) {
  float x = v / qp->scale;
  int32_t r;

  if (!(x > -512.0f && x < 512.0f)) return tf_fqt_quantize(v, qp);
  x = x + 12582912.0f;
  r = (int32_t)(x - 12582912.0f) + qp->zero;
  return (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
}

/* Step 2 of element j of selected row r (weight index at): f32(real - f32(lr * d)), d of step 1 (§6.6.10,
 * the operations of tf_fqt_direction_at). */
static float moved(const ctx_t *c, uint32_t r, uint32_t j, uint32_t at) {
  const tf_fqt_update_t *u = c->u;
  const float *st = u->stats + 2u * r;
  float d = u->g[r * c->l->es + j], step;

  if (u->rule != TF_FQT_SGD) {
    d = d - st[0];
    if (u->rule == TF_FQT_STANDARDIZED) d = st[1] == 0.0f ? 0.0f : d / st[1];
  }
  step = u->lr * d;
  return c->deq[c->l->w[at]] - step;
}

/* Selected row of structure s given the cursor *r over the ascending idx (s visited ascending). */
static int32_t row_at(const tf_fqt_update_t *u, uint32_t s, uint32_t *r) {
  while (*r < u->k && u->idx[*r] < s) (*r)++;
  return *r < u->k && u->idx[*r] == s ? (int32_t)*r : -1;
}

/* Index of element j of structure s. */
static uint32_t at_of(const tf_fqt_layer_t *l, uint32_t s, uint32_t j) {
  return l->layout == TF_FQT_1HWC ? j * l->n_struct + s : s * l->es + j;
}

/* [lo, hi] takes v as a scan does after its first value (a NaN after the first is never taken). */
#define FOLD(lo, hi, v) ((lo) = (v) < (lo) ? (v) : (lo), (hi) = (v) > (hi) ? (v) : (hi))

/*
 * Steps 2a and 3's range for the re-centred logits producer (rows: DENSE, CONV2D, CONV1D), one column j
 * at a time: mean[j] = f32(Σ_s ascending real[s, j]) / f(N), then the column's values f32(real - mean[j]).
 * A scan in index order takes its first value (element 0) for both ends, then v < lo / v > hi, so the
 * rest may come in any order; for fixed j the value is monotonic in the code, so the unselected
 * structures of a column contribute through their smallest and largest code only.
 */
static void centre_range(ctx_t *c) {
  const tf_fqt_layer_t *l = c->l;
  const tf_fqt_update_t *u = c->u;
  uint32_t s, j, r, es = l->es, n = l->n_struct, k = u->k;
  float fn = (float)n, lo = 0.0f, hi = 0.0f, *mean = u->mean;

  for (j = 0; j < es; j++) {
    const uint8_t *w = l->w + j;
    float sum = 0.0f, v; /* 0 + x = x: the sum starts at its first term */
    uint32_t cmin = 255u, cmax = 0u;
    for (s = 0, r = 0; r <= k; r++) {
      uint32_t end = r < k ? u->idx[r] : n;
      for (; s < end; s++) { /* unselected: real = f32(s_w * (w - z_w)) */
        uint32_t q = w[s * es];
        sum = sum + c->deq[q];
        cmin = q < cmin ? q : cmin;
        cmax = q > cmax ? q : cmax;
      }
      if (r < k) sum = sum + moved(c, r, j, s * es + j), s++;
    }
    mean[j] = sum / fn;
    if (j == 0u) {
      lo = hi = (k > 0u && u->idx[0] == 0u ? moved(c, 0u, 0u, 0u) : c->deq[l->w[0]]) - mean[0];
    }
    if (k < n) {
      v = c->deq[cmin] - mean[j];
      FOLD(lo, hi, v);
      v = c->deq[cmax] - mean[j];
      FOLD(lo, hi, v);
    }
    for (r = 0; r < k; r++) {
      v = moved(c, r, j, u->idx[r] * es + j) - mean[j];
      FOLD(lo, hi, v);
    }
  }
  c->lo = lo, c->hi = hi;
}

/* Step 3 range without re-centring: element 0, the selected values, the unselected codes' extremes. */
static void range_plain(ctx_t *c) {
  const tf_fqt_layer_t *l = c->l;
  const tf_fqt_update_t *u = c->u;
  uint32_t s, j, r = 0, cmin = 255u, cmax = 0u, any = 0u;
  float lo, hi;

  lo = hi = u->k > 0u && u->idx[0] == 0u ? moved(c, 0u, 0u, 0u) : c->deq[l->w[0]]; /* element 0 is (0, 0) */
  for (s = 0; s < l->n_struct; s++) {
    int32_t row = row_at(u, s, &r);
    if (row >= 0) {
      for (j = 0; j < l->es; j++) {
        float v = moved(c, (uint32_t)row, j, at_of(l, s, j));
        FOLD(lo, hi, v);
      }
      continue;
    }
    for (j = 0; j < l->es; j++) { /* dequantization is monotonic: only the extreme codes matter */
      uint32_t q = l->layout == TF_FQT_ROWS ? l->w[s * l->es + j] : l->w[j * l->n_struct + s];
      cmin = q < cmin ? q : cmin;
      cmax = q > cmax ? q : cmax;
    }
    any = 1u;
  }
  if (any != 0u) {
    FOLD(lo, hi, c->deq[cmin]);
    FOLD(lo, hi, c->deq[cmax]);
  }
  c->lo = lo, c->hi = hi;
}

/* Step 3 of selected element (row, j) at index i (§6.6.10: stochastic, one draw, in index order), and
 * its DELTA (§6.6.9: dequantized after - before; may overwrite g[row, j], read first). */
static void write_moved(const ctx_t *c, const tf_fqt_qparams_t *nq, uint32_t row, uint32_t j, uint32_t i,
                        float *delta) {
  const tf_fqt_layer_t *l = c->l;
  const tf_fqt_update_t *u = c->u;
  uint8_t old = l->w[i];
  float v = moved(c, row, j, i);

  if (u->mean != NULL) v = v - u->mean[j];
  if (u->rng == NULL) {
    l->w[i] = q8(v, nq);
  } else {
    int32_t q = tf_fqt_round_stochastic(v / nq->scale, tf_fqt_xorshift32(u->rng));
    q = q > 255 - nq->zero ? 255 : q + nq->zero;
    l->w[i] = (uint8_t)(q < 0 ? 0 : q);
  }
  if (delta != NULL) {
    float after = nq->scale * (float)((int32_t)l->w[i] - nq->zero);
    delta[row * l->es + j] = after - c->deq[old];
  }
}

/* Step 3 requantization in tensor index order (the stochastic draws follow it). */
static void write(const ctx_t *c, const tf_fqt_qparams_t *nq, float *delta) {
  const tf_fqt_layer_t *l = c->l;
  const tf_fqt_update_t *u = c->u;
  const float *mean = u->mean;
  uint8_t lut[256];
  uint32_t i, s, j, r = 0, es = l->es, n = l->n_struct;

  if (mean == NULL) { /* the new code of an unselected weight from its old code */
    for (i = 0; i < 256u; i++) lut[i] = q8(c->deq[i], nq);
  }
  if (l->layout == TF_FQT_1HWC) { /* index j * N + s: j outer */
    for (j = 0; j < es; j++) {
      r = 0;
      for (s = 0; s < n; s++) {
        int32_t row = row_at(u, s, &r);
        i = j * n + s;
        if (row >= 0) write_moved(c, nq, (uint32_t)row, j, i, delta);
        else l->w[i] = mean != NULL ? q8(c->deq[l->w[i]] - mean[j], nq) : lut[l->w[i]];
      }
    }
    return;
  }
  for (s = 0; s < n; s++) { /* index s * es + j: rows */
    int32_t row = row_at(u, s, &r);
    uint8_t *w = l->w + s * es;
    if (row >= 0) {
      for (j = 0; j < es; j++) write_moved(c, nq, (uint32_t)row, j, s * es + j, delta);
    } else if (mean != NULL) { /* q8 of f32(real - mean[j]), written out for the hot loop */
      for (j = 0; j < es; j++) {
        float v = c->deq[w[j]] - mean[j], x = v / nq->scale;
        int32_t q;
        if (!(x > -512.0f && x < 512.0f)) {
          w[j] = tf_fqt_quantize(v, nq);
          continue;
        }
        x = x + 12582912.0f;
        q = (int32_t)(x - 12582912.0f) + nq->zero;
        w[j] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
      }
    } else {
      for (j = 0; j < es; j++) w[j] = lut[w[j]];
    }
  }
}

void tf_fqt_update_u8(tf_fqt_layer_t *l, const tf_fqt_update_t *u, float *delta) {
  ctx_t c;
  uint32_t r, s, pass, i;
  tf_fqt_qparams_t old = l->wq, nq;
  float old_bias_scale, new_bias_scale, b_sum = 0.0f, b_mean = 0.0f;

  c.l = l, c.u = u, c.lo = 0.0f, c.hi = 0.0f;
  for (i = 0; i < 256u; i++) c.deq[i] = old.scale * (float)((int32_t)i - old.zero);
  for (r = 0; r < u->k; r++) { /* step 1: the row's direction statistics */
    tf_fqt_direction_stats(u->rule, u->g + r * l->es, l->es, u->stats + 2u * r);
  }
  if (u->mean != NULL) { /* step 2a (rows layout: DENSE, CONV2D, CONV1D) */
    centre_range(&c);
  } else {
    range_plain(&c);
  }
  /* step 3: tracker update with rate ew, new qparams, requantize */
  tf_fqt_range_update(&l->range, c.lo, c.hi, u->rate);
  nq = tf_fqt_range_qparams(&l->range);
  write(&c, &nq, delta);
  /* step 4: bias in real units, SGD on the selected structures, rescaled to f32(s_x * s_w') */
  old_bias_scale = u->x_scale * old.scale;
  new_bias_scale = u->x_scale * nq.scale;
  for (pass = u->mean != NULL ? 0u : 1u; pass < 2u; pass++) { /* pass 0: the mean of step 2a */
    r = 0;
    for (s = 0; s < l->n_struct; s++) {
      int32_t row = row_at(u, s, &r);
      float b = old_bias_scale * (float)l->bias[s];
      if (row >= 0) {
        float step = u->lr_b * u->gb[row];
        b = b - step;
      }
      if (pass == 0u) {
        b_sum = b_sum + b;
      } else {
        l->bias[s] = tf_fqt_round_sat32((b - b_mean) / new_bias_scale);
      }
    }
    b_mean = pass == 0u ? b_sum / (float)l->n_struct : b_mean;
  }
  l->wq = nq;
}
