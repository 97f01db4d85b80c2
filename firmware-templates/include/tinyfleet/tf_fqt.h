/**
 * @file tf_fqt.h
 * @brief Fully quantized training (FQT) reference kernels of PROTOCOL.md §6.6: error propagation
 *        with range tracking, activation masks and pool routing, weight gradients per structure,
 *        the loss and logits error from the integer softmax, top-k selection, and the weight update
 *        with requantization. Bit-exact with the TypeScript reference (apps/cloud/src/ml/fqt).
 *
 * Numbers: tensors are UINT8 with a per-tensor (scale, zero point); accumulators are int32 and wrap
 * modulo 2^32 as in §6.3.2. Every real-valued step is one binary32 operation rounded to nearest even,
 * in the order of §6.6 (build with FLT_EVAL_METHOD 0 and -ffp-contract=off). No libm: the square
 * root, floor and rounding helpers below are exact integer implementations.
 *
 * Layouts (§5.4): conv OHWI, depthwise 1HWC (multiplier 1), dense OI; activations and errors NHWC
 * with N = 1. A structure (§4.4.1) is an output channel (conv / depthwise) or an output unit (dense);
 * its elements are its kh*kw*c (conv), kh*kw (depthwise) or `inputs` (dense) weights.
 *
 * Kernels are Eval functions: they trust shapes and buffer sizes (the agent checks them when a session
 * starts). Scratch is caller-owned; a kernel that needs some has a `_get_buffer_size` companion.
 */
#ifndef TF_FQT_H
#define TF_FQT_H

#include "tinyfleet/tf_nn.h"
#include "tinyfleet/tf_requant.h"
#include "tinyfleet/tf_status.h"

#include <stddef.h>
#include <stdint.h>

/** A binary32 range tracker [lo, hi] (§6.6.7). */
typedef struct tf_fqt_range {
  float lo, hi;
} tf_fqt_range_t;

/** UINT8 quantization parameters of a tracked tensor (§6.6.7). */
typedef struct tf_fqt_qparams {
  float scale;
  int32_t zero;
} tf_fqt_qparams_t;

/** Result of quantizing int32 accumulators into a uint8 error tensor (§6.6.3). */
typedef struct tf_fqt_quant {
  tf_fqt_qparams_t qp; /**< the error tensor's new (s_e, z_e) */
  tf_requant_t rq;     /**< (M, k) of r = a * b * 2^p / s_e */
} tf_fqt_quant_t;

/** Geometry of a CONV2D / DEPTHWISE_CONV2D / CONV1D backward (§6.3.2 indices). */
typedef struct tf_fqt_conv_geom {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
} tf_fqt_conv_geom_t;

/** Geometry of a MAXPOOL2D / AVGPOOL2D / GLOBAL_AVGPOOL backward (§6.3.6). */
typedef struct tf_fqt_pool_geom {
  int32_t in_h, in_w, c;
  int32_t out_h, out_w;
  int32_t window_h, window_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
} tf_fqt_pool_geom_t;

/** Update rules of §6.6.10. */
typedef enum tf_fqt_rule { TF_FQT_STANDARDIZED = 0, TF_FQT_CENTERED = 1, TF_FQT_SGD = 2 } tf_fqt_rule_t;

/** Weight layout of a trained op: element j of structure s is at s * es + j (OI / OHWI) or j * N + s (1HWC). */
typedef enum tf_fqt_layout { TF_FQT_ROWS = 0, TF_FQT_1HWC = 1 } tf_fqt_layout_t;

/** Fraction bits of the AVGPOOL backward accumulator (§6.6.3: a unit is worth s_e * 2^-16). */
#define TF_FQT_AVG_FRAC_BITS 16

/* ---- binary32 helpers (src/fqt/tf_fqt_numerics.c) ---- */

/** round_half_even of a binary32, saturated to int32 (a NaN gives 0). */
int32_t tf_fqt_round_sat32(float v);
/** floor of a binary32 as a binary32 (exact). */
float tf_fqt_floorf(float v);
/** Correctly rounded binary32 square root of v >= 0 (integer arithmetic). */
float tf_fqt_sqrtf(float v);
/** §6.6.7: tracker update with rate r (0 keeps, 1 replaces, else the binary32 EMA). */
void tf_fqt_range_update(tf_fqt_range_t *t, float lo_obs, float hi_obs, float rate);
/** §6.6.7: qparams of a tracker. */
tf_fqt_qparams_t tf_fqt_range_qparams(const tf_fqt_range_t *t);
/** §6.6.6 step 3: clamp(round_half_even(f32(v / s)) + z, 0, 255). */
uint8_t tf_fqt_quantize(float v, const tf_fqt_qparams_t *qp);
/** §6.6.10: next draw of a xorshift32 state (13, 17, 5). */
uint32_t tf_fqt_xorshift32(uint32_t *state);
/** §6.6.10: session start state of a seed (0 -> 0x9E3779B9). */
uint32_t tf_fqt_seed(uint32_t seed);
/** §6.6.10: stochastic rounding of v with one draw r. */
int32_t tf_fqt_round_stochastic(float v, uint32_t r);
/** §6.6.5: NEG_LN[p] = binary32 nearest to -ln(max(p, 1) / 256), p = 0..256. */
float tf_fqt_neg_ln(uint32_t p);
/** §4.4.1 step 3: k = max(1, floor(f32(min(λmin + |eps| (λmax - λmin), 1) * N))). */
uint32_t tf_fqt_updated_structures(uint32_t n, float lambda_min, float lambda_max, float eps);
/** §6.6.8: a / b in binary32, 0 when b <= 0. */
float tf_fqt_ratio(float a, float b);

/* ---- §6.6.3 range tracking (src/fqt/tf_fqt_quantize_acc.c) ---- */

/**
 * Quantizes `n` >= 1 int32 accumulators worth a * b * 2^p each into uint8 errors `e`: observed range
 * from the integer min / max, tracker `trk` updated with `rate`, qparams from the tracker, (M, k) by
 * §6.2.2. @return TF_OK, or TF_STATUS_OUT_OF_RANGE when the ratio's shift exceeds 30.
 */
tf_status_t tf_fqt_quantize_acc(const int32_t *acc, uint32_t n, float a, float b, int32_t p, tf_fqt_range_t *trk,
                                float rate, uint8_t *e, tf_fqt_quant_t *out);

/** Integer min / max of forward accumulators, `n` observations so far (§6.6.7 logits tracking). */
typedef struct tf_fqt_bounds {
  int32_t mn, mx;
  uint32_t n;
} tf_fqt_bounds_t;

/**
 * §6.6.7: folds the int32 accumulators `bias[o] + Σ (x - z_x)(w - z_w)` (§6.3.2 / §6.3.4, wrapping;
 * `bias` NULL = 0) of every output of a DENSE (`g` NULL: `inputs`, `units`, weights OI) or CONV2D /
 * CONV1D (`g`, weights OHWI) forward into `b`.
 */
void tf_fqt_acc_bounds_u8(const tf_fqt_conv_geom_t *g, int32_t inputs, int32_t units, const uint8_t *x,
                          int32_t x_zero, const uint8_t *w, int32_t w_zero, const int32_t *bias, tf_fqt_bounds_t *b);

/* ---- §6.6.3 error propagation (one file each in src/fqt/); `acc` is zeroed, returns the MACs ---- */

/** CONV2D / CONV1D: acc [in_h*in_w*in_c] from w (OHWI) and the output error e [out_h*out_w*out_c]. */
uint32_t tf_fqt_conv2d_eprop_u8(const tf_fqt_conv_geom_t *g, const uint8_t *w, int32_t w_zero, const uint8_t *e,
                                int32_t e_zero, int32_t *acc);
/** DEPTHWISE_CONV2D (1HWC weights, out_c = in_c). */
uint32_t tf_fqt_depthwise_conv2d_eprop_u8(const tf_fqt_conv_geom_t *g, const uint8_t *w, int32_t w_zero,
                                          const uint8_t *e, int32_t e_zero, int32_t *acc);
/** DENSE: acc[i] = Σ_o (w[o, i] - z_w)(e[o] - z_e). */
uint32_t tf_fqt_dense_eprop_u8(int32_t inputs, int32_t units, const uint8_t *w, int32_t w_zero, const uint8_t *e,
                               int32_t e_zero, int32_t *acc);

/* ---- §6.6.4 weight gradients (one file each); add into `grad` (rows of es), return the MACs ---- */

uint32_t tf_fqt_conv2d_wgrad_u8(const tf_fqt_conv_geom_t *g, const uint8_t *x, int32_t x_zero, const uint8_t *e,
                                int32_t e_zero, const uint16_t *idx, uint32_t k, int32_t *grad);
uint32_t tf_fqt_depthwise_conv2d_wgrad_u8(const tf_fqt_conv_geom_t *g, const uint8_t *x, int32_t x_zero,
                                          const uint8_t *e, int32_t e_zero, const uint16_t *idx, uint32_t k,
                                          int32_t *grad);
uint32_t tf_fqt_dense_wgrad_u8(int32_t inputs, const uint8_t *x, int32_t x_zero, const uint8_t *e, int32_t e_zero,
                               const uint16_t *idx, uint32_t k, int32_t *grad);
/**
 * §6.6.4 / §4.4.1: per structure s of an error e [positions * n], the bias sum B[s] = Σ (e - z_e)
 * (written) and the magnitude m[s] += Σ |e - z_e| (added; NULL to skip).
 */
void tf_fqt_error_sums_u8(const uint8_t *e, int32_t e_zero, uint32_t positions, uint32_t n, int32_t *bsum,
                          uint32_t *mag);

/* ---- §6.6.3 masks and pass-through ops (one file each) ---- */

/** e[i] = z_e where y[i] <= lower (lower >= 0) or, upper < 255, y[i] >= upper. */
void tf_fqt_mask_u8(const uint8_t *y, int32_t lower, int32_t upper, uint8_t *e, int32_t e_zero, uint32_t n);
/**
 * MAXPOOL2D routing into dx (same qparams as e). Scratch: int32 per input element when windows overlap
 * (a stride smaller than the window); none (NULL allowed) when they do not, since an input then takes
 * at most one error and dx is that error or z_e.
 */
void tf_fqt_maxpool2d_bwd_u8(const tf_fqt_pool_geom_t *g, const uint8_t *x, const uint8_t *e, int32_t e_zero,
                             uint8_t *dx, int32_t *scratch);
uint32_t tf_fqt_maxpool2d_bwd_get_buffer_size(const tf_fqt_pool_geom_t *g);
/** AVGPOOL2D / GLOBAL_AVGPOOL backward into acc [in_h*in_w*c] (units s_e * 2^-16). */
void tf_fqt_avgpool2d_bwd_u8(const tf_fqt_pool_geom_t *g, const uint8_t *e, int32_t e_zero, int32_t *acc);

/* ---- §6.6.5 loss (src/fqt/tf_fqt_loss_u8.c) ---- */

/**
 * Integer softmax of the logits x [n] (p in 1/256, written to `p`), the logits error err[i] =
 * p[i] - 256 [i = label], the sample loss NEG_LN[p[label]] and whether the first largest logit is
 * the label. Scratch: tf_softmax_u8_get_buffer_size(n) bytes.
 */
tf_status_t tf_fqt_loss_u8(const tf_softmax_params_t *sp, uint32_t n, const uint8_t *x, uint32_t label, uint8_t *p,
                           int32_t *err, float *loss, int32_t *correct, int32_t *scratch);

/* ---- §6.6.8 selection (src/fqt/tf_fqt_numerics.c) ---- */

/** The k largest magnitudes, ties to the lower index, ascending in idx[0..k). */
void tf_fqt_topk(const uint32_t *mag, uint32_t n, uint32_t k, uint16_t *idx);

/* ---- §6.6.6 update (src/fqt/tf_fqt_direction.c, tf_fqt_update_u8.c) ---- */

/** §6.6.6 step 1: step direction d of one structure's n gradients by `rule` (d may alias g). */
void tf_fqt_direction(tf_fqt_rule_t rule, const float *g, uint32_t n, float *d);

/**
 * §6.6.6 step 1 without storing d: the row's binary32 `mean` and `std` (STANDARDIZED: both; CENTERED:
 * the mean, std 1; SGD: 0 and 1); tf_fqt_direction_at() then gives d of one element, bit-exact with
 * tf_fqt_direction().
 */
void tf_fqt_direction_stats(tf_fqt_rule_t rule, const float *g, uint32_t n, float stats[2]);
float tf_fqt_direction_at(tf_fqt_rule_t rule, const float stats[2], float g);

/** One trained op's tensors and trackers, updated in place. */
typedef struct tf_fqt_layer {
  uint8_t *w;              /**< n_struct * es uint8 weights (RAM copy) */
  tf_fqt_qparams_t wq;     /**< weight (s_w, z_w) */
  int32_t *bias;           /**< n_struct int32 (scale f32(s_x * s_w)) */
  tf_fqt_range_t range;    /**< weight tracker (§6.6.7) */
  uint32_t n_struct, es;   /**< N structures of es elements */
  tf_fqt_layout_t layout;
} tf_fqt_layer_t;

/** Update inputs of one step. */
typedef struct tf_fqt_update {
  const uint16_t *idx; /**< k selected structures, ascending */
  uint32_t k;
  const float *g;      /**< k * es mean gradients (§6.6.4), rows of the selected structures; read only */
  tf_fqt_rule_t rule;  /**< step 1 direction (§6.6.10) */
  float *stats;        /**< 2k binary32 scratch: each row's tf_fqt_direction_stats() */
  const float *gb;     /**< k mean bias gradients */
  float lr, lr_b, rate, x_scale;
  uint32_t *rng;       /**< xorshift32 state for STOCHASTIC rounding, NULL for NEAREST */
  float *mean;         /**< es binary32 scratch: re-centre the logits producer (step 2a); NULL: no */
} tf_fqt_update_t;

/**
 * §6.6.6 steps 1-4 (+ §6.6.10 rounding): moves the selected structures by their directions (computed
 * per element from `stats`, never stored: the new real values are recomputed where needed), re-centres
 * every structure when `mean` is set (step 2a), tracks the weight range, requantizes every weight and
 * the bias. Weights outside the selected structures go through a 256-entry table of their new code
 * (no re-centring) or one binary32 subtraction and quantization each. `delta` (k * es, may be NULL,
 * may alias `g`) receives §6.6.9 DELTA rows.
 */
void tf_fqt_update_u8(tf_fqt_layer_t *l, const tf_fqt_update_t *u, float *delta);

/* ---- §4.4.7 item 3 / §6.6.9 GRAD_UPDATE values (src/fqt/tf_fqt_numerics.c) ---- */

/** qparams of n values (lo = min(v, 0), hi = max(v, 0), qs = f32(hi - lo) / 255 or 1), then q[i]. */
void tf_fqt_grad_quantize(const float *v, uint32_t n, uint8_t *q, float *scale, int32_t *zero);

#endif /* TF_FQT_H */
