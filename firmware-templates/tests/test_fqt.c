/*
 * Unit tests of the FQT kernels (tf_fqt.h, PROTOCOL.md §6.6) beyond the golden vectors of
 * test_nn_vectors: the exact binary32 helpers against libm, rounding edge cases, the xorshift32
 * stream of §6.6.10, top-k ties, GRAD_UPDATE qparams, MAXPOOL routing, and an update that must
 * leave a tensor unchanged.
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
  float d[3] = {0.5f, 0.5f, 0.5f}, gb[1] = {0.0f}, delta[3];
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
  u.idx = idx, u.k = 1, u.d = d, u.gb = gb, u.lr = 0.1f, u.lr_b = 0.1f, u.rate = 0.0f, u.x_scale = 0.5f, u.rng = NULL;
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
  TF_TEST_RUN(test_loss_uniform);
  TF_TEST_RUN(test_update_keeps_a_flat_row);
  return tf_test_finish();
}
