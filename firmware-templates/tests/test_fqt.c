/*
 * Unit tests of the FQT kernels (tf_fqt.h, PROTOCOL.md §6.6) beyond the golden vectors of
 * test_nn_vectors: the exact binary32 helpers against libm, rounding edge cases, the xorshift32
 * stream of §6.6.10, top-k ties, GRAD_UPDATE qparams, MAXPOOL routing (overlapping windows and the
 * scratch-free disjoint ones), an update that must leave a tensor unchanged, and the update kernel
 * (tables, recomputed directions, DELTA over the gradients) against a plain per-weight transcription
 * of §6.6.6 on random layers.
 */
#include "tf_test.h"

#include "tinyfleet/tf_fqt.h"

#include <math.h>
#include <string.h>

static float from_bits(uint32_t b) {
  float v;
  memcpy(&v, &b, sizeof v);
  return v;
}

static void test_sqrt_matches_libm(void) {
  uint32_t x = 12345u, i, bad = 0;

  for (i = 0; i < 200000u; i++) { /* positive finite floats, normal and subnormal */
    uint32_t b;
    float v, want;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b = x & 0x7F7FFFFFu;
    v = from_bits(b);
    if (!(v > 0.0f)) continue;
    want = (float)sqrt((double)v); /* double rounding is exact for sqrt (53 >= 2 * 24 + 2) */
    bad += tf_fqt_sqrtf(v) != want;
  }
  TF_CHECK_EQ(bad, 0);
  TF_CHECK(tf_fqt_sqrtf(4.0f) == 2.0f);
  TF_CHECK(tf_fqt_sqrtf(0.0f) == 0.0f);
  TF_CHECK(tf_fqt_sqrtf(from_bits(1u)) == (float)sqrt((double)from_bits(1u)));
}

static void test_rounding(void) {
  TF_CHECK_EQ(tf_fqt_round_sat32(0.5f), 0);
  TF_CHECK_EQ(tf_fqt_round_sat32(1.5f), 2);
  TF_CHECK_EQ(tf_fqt_round_sat32(2.5f), 2);
  TF_CHECK(tf_fqt_round_sat32(-1.5f) == -2);
  TF_CHECK(tf_fqt_round_sat32(-2.5f) == -2);
  TF_CHECK(tf_fqt_round_sat32(-2.6f) == -3);
  TF_CHECK_EQ(tf_fqt_round_sat32(3e9f), INT32_MAX);
  TF_CHECK(tf_fqt_round_sat32(-3e9f) == INT32_MIN);
  TF_CHECK_EQ(tf_fqt_round_sat32(1e30f * 1e30f), INT32_MAX);
  TF_CHECK(tf_fqt_floorf(-0.25f) == -1.0f);
  TF_CHECK(tf_fqt_floorf(16777216.0f) == 16777216.0f);
}

static void test_xorshift_and_stochastic(void) {
  uint32_t s = tf_fqt_seed(1);

  /* §6.6.10: seed 1 gives 270369, 67634689, 2647435461 */
  TF_CHECK_EQ(tf_fqt_xorshift32(&s), 270369u);
  TF_CHECK_EQ(tf_fqt_xorshift32(&s), 67634689u);
  TF_CHECK_EQ(tf_fqt_xorshift32(&s), 2647435461u);
  TF_CHECK_EQ(tf_fqt_seed(0), 0x9E3779B9u);
  TF_CHECK_EQ(tf_fqt_round_stochastic(3.0f, 0u), 3); /* an integral value never moves */
  TF_CHECK_EQ(tf_fqt_round_stochastic(3.25f, 0u), 4); /* frac > u = 0 */
  TF_CHECK_EQ(tf_fqt_round_stochastic(3.25f, 0x40000000u), 3); /* u = 0.25: not above */
  TF_CHECK(tf_fqt_round_stochastic(-0.5f, 0xFFFFFFFFu) == -1); /* u just below 1 */
  TF_CHECK(tf_fqt_round_stochastic(-0.5f, 0x7FFFFF00u) == 0);  /* u just below 0.5 */
}

static void test_qparams_and_topk(void) {
  tf_fqt_range_t r = {0.0f, 0.0f};
  tf_fqt_qparams_t q = tf_fqt_range_qparams(&r);
  const uint32_t mag[8] = {5, 9, 9, 1, 7, 9, 0, 7};
  uint16_t idx[8];

  TF_CHECK(q.scale > 0.0f);
  TF_CHECK_EQ(q.zero, 0);
  r.lo = -1.0f, r.hi = 1.0f;
  q = tf_fqt_range_qparams(&r);
  TF_CHECK_EQ(tf_fqt_quantize(0.0f, &q), (uint32_t)q.zero); /* 0 is exact */
  tf_fqt_range_update(&r, -3.0f, 3.0f, 0.0f); /* rate 0 keeps */
  TF_CHECK(r.lo == -1.0f && r.hi == 1.0f);
  tf_fqt_range_update(&r, -3.0f, 3.0f, 1.0f); /* rate 1 replaces */
  TF_CHECK(r.lo == -3.0f && r.hi == 3.0f);
  TF_CHECK_EQ(tf_fqt_updated_structures(8, 0.5f, 0.5f, 0.0f), 4);
  TF_CHECK_EQ(tf_fqt_updated_structures(5, 0.1f, 0.1f, 0.0f), 1); /* floor(0.5) -> at least 1 */
  tf_fqt_topk(mag, 8, 4, idx); /* ties to the lower index, ascending */
  TF_CHECK(idx[0] == 1 && idx[1] == 2 && idx[2] == 4 && idx[3] == 5);
}

static void test_grad_quantize(void) {
  const float zeros[3] = {0.0f, 0.0f, 0.0f};
  const float v[4] = {-1.0f, 0.0f, 0.5f, 1.0f};
  uint8_t q[4];
  float scale;
  int32_t zero;

  tf_fqt_grad_quantize(zeros, 3, q, &scale, &zero);
  TF_CHECK(scale == 1.0f);
  TF_CHECK_EQ(zero, 0);
  TF_CHECK(q[0] == 0 && q[2] == 0);
  tf_fqt_grad_quantize(v, 4, q, &scale, &zero);
  TF_CHECK_EQ(q[1], (uint32_t)zero); /* 0 exact (§4.4.7 item 3) */
  TF_CHECK(q[0] <= 1 && q[3] >= 254);
}

static void test_maxpool_routing(void) {
  /* 2x2 input, one channel, 2x2 window stride 1 with no padding: one window; ties -> first */
  const tf_fqt_pool_geom_t g = {2, 2, 1, 1, 1, 2, 2, 1, 1, 0, 0};
  const uint8_t x[4] = {7, 9, 9, 1};
  const uint8_t e[1] = {140};
  uint8_t dx[4];
  int32_t scratch[4];

  TF_CHECK_EQ(tf_fqt_maxpool2d_bwd_get_buffer_size(&g), sizeof scratch);
  tf_fqt_maxpool2d_bwd_u8(&g, x, e, 128, dx, scratch);
  TF_CHECK(dx[0] == 128 && dx[1] == 140 && dx[2] == 128 && dx[3] == 128);
}

static void test_maxpool_disjoint(void) {
  /* 4x4 input, 2x2 windows stride 2: no overlap, no scratch; dx = e at each first largest, z_e elsewhere */
  const tf_fqt_pool_geom_t g = {4, 4, 1, 2, 2, 2, 2, 2, 2, 0, 0};
  const uint8_t x[16] = {1, 5, 3, 3, 5, 2, 3, 0, 0, 0, 9, 8, 0, 0, 9, 9};
  const uint8_t e[4] = {200, 3, 128, 255};
  uint8_t dx[16];

  TF_CHECK_EQ(tf_fqt_maxpool2d_bwd_get_buffer_size(&g), 0u);
  memset(dx, 0xA5, sizeof dx);
  tf_fqt_maxpool2d_bwd_u8(&g, x, e, 128, dx, NULL);
  TF_CHECK(dx[1] == 200 && dx[4] == 128 && dx[2] == 3 && dx[3] == 128 && dx[8] == 128 && dx[10] == 255);
  TF_CHECK(dx[0] == 128 && dx[5] == 128 && dx[6] == 128 && dx[11] == 128 && dx[14] == 128 && dx[15] == 128);
}

/* §6.6.6 transcribed per weight as apps/cloud/src/ml/fqt/update.ts does it (every weight through real[]). */
#define T_MAX 2048u
static void plain_update(tf_fqt_layer_t *l, const tf_fqt_update_t *u, float *delta) {
  static float real[T_MAX], before[T_MAX], d[T_MAX], b_real[64];
  static uint8_t sel[T_MAX];
  uint32_t n = l->n_struct * l->es, i, r, j, s;
  tf_fqt_qparams_t nq;
  float lo, hi, obs, nbs, sum;

  for (i = 0; i < n; i++) real[i] = before[i] = l->wq.scale * (float)((int32_t)l->w[i] - l->wq.zero), sel[i] = 0;
  for (r = 0; r < u->k; r++) {
    tf_fqt_direction(u->rule, u->g + r * l->es, l->es, d);
    for (j = 0; j < l->es; j++) {
      i = l->layout == TF_FQT_1HWC ? j * l->n_struct + u->idx[r] : u->idx[r] * l->es + j;
      real[i] = real[i] - u->lr * d[j];
      sel[i] = 1;
    }
  }
  for (j = 0; u->mean != NULL && j < l->es; j++) { /* step 2a (rows) */
    for (sum = 0.0f, s = 0; s < l->n_struct; s++) sum = sum + real[s * l->es + j];
    sum = sum / (float)l->n_struct;
    for (s = 0; s < l->n_struct; s++) real[s * l->es + j] = real[s * l->es + j] - sum;
  }
  for (lo = hi = real[0], i = 0; i < n; i++) lo = real[i] < lo ? real[i] : lo, hi = real[i] > hi ? real[i] : hi;
  tf_fqt_range_update(&l->range, lo, hi, u->rate);
  nq = tf_fqt_range_qparams(&l->range);
  for (i = 0; i < n; i++) {
    if (sel[i] && u->rng != NULL) {
      int32_t q = tf_fqt_round_stochastic(real[i] / nq.scale, tf_fqt_xorshift32(u->rng));
      q = q > 255 - nq.zero ? 255 : q + nq.zero;
      l->w[i] = (uint8_t)(q < 0 ? 0 : q);
    } else {
      l->w[i] = tf_fqt_quantize(real[i], &nq);
    }
  }
  obs = u->x_scale * l->wq.scale, nbs = u->x_scale * nq.scale, sum = 0.0f;
  for (s = 0, r = 0; s < l->n_struct; s++) {
    b_real[s] = obs * (float)l->bias[s];
    if (r < u->k && u->idx[r] == s) b_real[s] = b_real[s] - u->lr_b * u->gb[r++];
    sum = sum + b_real[s];
  }
  sum = u->mean != NULL ? sum / (float)l->n_struct : 0.0f;
  for (s = 0; s < l->n_struct; s++) l->bias[s] = tf_fqt_round_sat32((b_real[s] - sum) / nbs);
  for (r = 0; r < u->k && delta != NULL; r++) {
    for (j = 0; j < l->es; j++) {
      i = l->layout == TF_FQT_1HWC ? j * l->n_struct + u->idx[r] : u->idx[r] * l->es + j;
      delta[r * l->es + j] = nq.scale * (float)((int32_t)l->w[i] - nq.zero) - before[i];
    }
  }
  l->wq = nq;
}

static void test_update_matches_plain(void) {
  static uint8_t w0[T_MAX], w1[T_MAX];
  static float g[T_MAX], g1[T_MAX], delta[T_MAX], stats[128], mean[256];
  int32_t b0[64], b1[64];
  uint16_t idx[64];
  float gb[64];
  uint32_t x = 7u, trial, i, bad = 0, draws0, draws1;

  for (trial = 0; trial < 400u; trial++) {
    tf_fqt_layer_t l0, l1;
    tf_fqt_update_t u;
    uint32_t n, s;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    memset(&l0, 0, sizeof l0);
    memset(&u, 0, sizeof u);
    l0.n_struct = 1u + x % 40u, l0.es = 1u + (x >> 8) % 48u;
    l0.layout = (x >> 16) % 3u == 0u ? TF_FQT_1HWC : TF_FQT_ROWS;
    l0.wq.scale = 0.001f * (float)(1u + (x >> 20) % 50u), l0.wq.zero = (int32_t)((x >> 4) % 256u);
    l0.range.lo = l0.wq.scale * (float)(0 - l0.wq.zero), l0.range.hi = l0.wq.scale * (float)(255 - l0.wq.zero);
    if (trial % 8u == 3u) { /* new scale 2^-5 over the old 2^-6 (rate 0 keeps the tracker): odd codes tie */
      l0.wq.scale = 0.015625f, l0.wq.zero = 128, l0.range.lo = -4.0f, l0.range.hi = 3.96875f;
    }
    n = l0.n_struct * l0.es;
    for (i = 0; i < n; i++) x ^= x << 13, x ^= x >> 17, x ^= x << 5, w0[i] = (uint8_t)(x >> 3);
    for (s = 0, u.k = 0; s < l0.n_struct; s++) { /* a random ascending selection (at least one) */
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      if (x % 5u == 0u || (s + 1u == l0.n_struct && u.k == 0u)) idx[u.k++] = (uint16_t)s;
      b0[s] = (int32_t)(x >> 12) - (1 << 19);
    }
    for (i = 0; i < u.k * l0.es; i++) x ^= x << 13, x ^= x >> 17, x ^= x << 5, g[i] = (float)(int32_t)(x >> 16) / 9000.0f;
    if (trial % 7u == 0u) for (i = 0; i < l0.es; i++) g[i] = 0.25f; /* a flat row: std 0 */
    for (i = 0; i < u.k; i++) gb[i] = (float)(int32_t)((x >> i) & 255u) / 300.0f;
    u.idx = idx, u.g = g, u.stats = stats, u.gb = gb, u.rule = (tf_fqt_rule_t)(trial % 3u);
    u.lr = 0.01f * (float)(1u + trial % 9u), u.lr_b = 0.02f, u.rate = trial % 4u == 0u ? 1.0f : 0.3f;
    u.rate = trial % 8u == 3u ? 0.0f : u.rate;
    u.x_scale = 0.02f;
    u.mean = l0.layout == TF_FQT_ROWS && trial % 2u == 0u ? mean : NULL;
    draws0 = draws1 = 1u + trial;
    u.rng = trial % 5u == 1u ? &draws0 : NULL;
    l1 = l0;
    memcpy(w1, w0, n), memcpy(b1, b0, sizeof b0), memcpy(g1, g, u.k * l0.es * sizeof g[0]);
    l0.w = w0, l0.bias = b0, l1.w = w1, l1.bias = b1;
    plain_update(&l0, &u, delta);
    u.g = g1, u.rng = u.rng != NULL ? &draws1 : NULL;
    tf_fqt_update_u8(&l1, &u, g1); /* DELTA over the gradient rows */
    if (memcmp(w0, w1, n) != 0 || memcmp(b0, b1, l0.n_struct * 4u) != 0 || memcmp(delta, g1, u.k * l0.es * 4u) != 0 ||
        memcmp(&l0.range, &l1.range, sizeof l0.range) != 0 || memcmp(&l0.wq, &l1.wq, sizeof l0.wq) != 0 ||
        draws0 != draws1) {
      bad++;
    }
  }
  TF_CHECK_EQ(bad, 0u);
}

static void test_loss_uniform(void) {
  tf_softmax_params_t sp;
  const uint8_t x[4] = {100, 100, 100, 100};
  uint8_t p[4];
  int32_t err[4], scratch[64], correct = 9;
  float loss = 0.0f;

  TF_CHECK_OK(tf_requant_derive(0x3DCCCCCDu /* 0.1f */, TF_F32_LOG2E_BITS, TF_F32_ONE_BITS, 16, &sp.rq));
  TF_CHECK(tf_softmax_u8_get_buffer_size(4) <= sizeof scratch);
  TF_CHECK_OK(tf_fqt_loss_u8(&sp, 4, x, 2, p, err, &loss, &correct, scratch));
  TF_CHECK(err[2] == (int32_t)p[2] - 256);
  TF_CHECK(loss == tf_fqt_neg_ln(p[2]));
  TF_CHECK_EQ(correct, 0); /* the first largest logit is index 0 */
  TF_CHECK(tf_fqt_neg_ln(0) == tf_fqt_neg_ln(1));
  TF_CHECK(tf_fqt_neg_ln(256) == 0.0f);
}

static void test_update_keeps_a_flat_row(void) {
  /* a constant gradient row standardizes to 0 (std = 0); rate 0 keeps the qparams: nothing moves */
  uint8_t w[6] = {10, 200, 128, 3, 77, 255};
  int32_t bias[2] = {1000, -20};
  float d[3] = {0.5f, 0.5f, 0.5f}, g[3] = {0.5f, 0.5f, 0.5f}, gb[1] = {0.0f}, delta[3], stats[2];
  uint16_t idx[1] = {1};
  tf_fqt_layer_t l;
  tf_fqt_update_t u;

  memset(&l, 0, sizeof l);
  l.w = w, l.bias = bias, l.n_struct = 2, l.es = 3, l.layout = TF_FQT_ROWS;
  l.wq.scale = 0.01f, l.wq.zero = 128;
  l.range.lo = 0.01f * -128.0f, l.range.hi = 0.01f * 127.0f;
  l.wq = tf_fqt_range_qparams(&l.range);
  tf_fqt_direction(TF_FQT_STANDARDIZED, d, 3, d);
  TF_CHECK(d[0] == 0.0f && d[1] == 0.0f && d[2] == 0.0f);
  u.idx = idx, u.k = 1, u.g = g, u.rule = TF_FQT_STANDARDIZED, u.stats = stats, u.gb = gb, u.lr = 0.1f, u.lr_b = 0.1f, u.rate = 0.0f, u.x_scale = 0.5f, u.rng = NULL;
  u.mean = NULL;
  tf_fqt_update_u8(&l, &u, delta);
  TF_CHECK(w[0] == 10 && w[1] == 200 && w[3] == 3 && w[5] == 255);
  TF_CHECK(bias[0] == 1000 && bias[1] == -20);
  TF_CHECK(delta[0] == 0.0f && delta[2] == 0.0f);
}

int main(void) {
  TF_TEST_RUN(test_sqrt_matches_libm);
  TF_TEST_RUN(test_rounding);
  TF_TEST_RUN(test_xorshift_and_stochastic);
  TF_TEST_RUN(test_qparams_and_topk);
  TF_TEST_RUN(test_grad_quantize);
  TF_TEST_RUN(test_maxpool_routing);
  TF_TEST_RUN(test_maxpool_disjoint);
  TF_TEST_RUN(test_loss_uniform);
  TF_TEST_RUN(test_update_keeps_a_flat_row);
  TF_TEST_RUN(test_update_matches_plain);
  return tf_test_finish();
}
