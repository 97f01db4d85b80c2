/**
 * @file tf_train.h
 * @brief On-device fully quantized training of PROTOCOL.md §6.6 on a prepared interpreter
 *        (tf_interp.h) with the FQT kernels of tf_fqt.h: forward op by op keeping the chain's values,
 *        loss and logits error (§6.6.5), backward with range tracking (§6.6.3), weight gradients of
 *        the selected structures (§6.6.4, §6.6.8), update with the re-centring of the logits producer
 *        and requantization (§6.6.6), the logits range tracker (`ea`, §6.6.7), and the requantization
 *        multipliers of the trained ops and of the logits derived again (§6.2.2).
 *
 * Prepare validates, Eval runs: tf_train_prepare() checks the chain of §6.6.2 (from the first trained
 * op to the logits: CONV2D, CONV1D, DEPTHWISE_CONV2D, DENSE, RELU, RELU6, MAXPOOL2D, AVGPOOL2D,
 * GLOBAL_AVGPOOL, RESHAPE, each reading the previous op's output, a trailing SOFTMAX excluded), that
 * trained weights are UINT8 per tensor in RAM (RAM_COPY, §5.5) with a RAM_COPY INT32 bias, and finds
 * the artifact's training plan (§5.6): the SAVED copies the backward pass reads and the ERROR tensors
 * of the chain, at their offsets in the arena the interpreter runs in (which must hold
 * `arena_train_bytes`). Its scratch is carved out of the caller's `buf` (no allocation), in this
 * order, each 16-aligned (the planner, apps/cloud/src/ml/plan/training.ts `trainScratchBytes`, counts
 * the same bytes): int32 accumulators (the largest of the logits, the input of every propagating
 * weighted or average pool op and the MAXPOOL2D routing sums), one int32 gradient row (the largest
 * es), the softmax probabilities and scratch of the logits, the es binary32 means of a trained logits
 * producer (§6.6.6 step 2a), two binary32 statistics per held row, then per trained layer the
 * magnitudes (u32), selection (u16), bias sums (i32) of its N structures and R binary32 bias
 * gradients and gradient rows of es, where R = k_max = max(1, floor(λ_max N)) (§6.6.8 with |eps| = 1)
 * for bs = 1 and R = N for bs > 1 (the selection needs the whole batch). TF_STATUS_NO_SPACE when the
 * arena or `buf` is too small, TF_STATUS_INCOMPATIBLE for a chain, tensor or plan this runtime does
 * not train.
 *
 * Trained weights live in the interpreter's RAM copies only (§4.4: flash is never written); a new
 * session (tf_train_prepare after tf_interp_prepare) starts again from the artifact's weights.
 * The update rule, rounding, bias rate and seed are those of the config (§6.6.10; zero fields give the
 * defaults STANDARDIZED, NEAREST, lr_b = lr, seed 0).
 */
#ifndef TF_TRAIN_H
#define TF_TRAIN_H

#include "tinyfleet/tf_artifact.h"
#include "tinyfleet/tf_fqt.h"
#include "tinyfleet/tf_interp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TF_TRAIN_MAX_LAYERS 16u

/** Session parameters (§4.4.2 merged with the artifact's §5.7 defaults). */
typedef struct tf_train_config {
  uint16_t layers[TF_TRAIN_MAX_LAYERS]; /**< trained op indices, strictly ascending */
  uint32_t layer_count;
  float lambda_min, lambda_max, lr, ema_errors, ema_weights;
  float ema_activations; /**< `ea`: logits range tracking (§6.6.7), 0 = fixed */
  uint32_t batch_size;
  uint32_t eps_mode; /**< TF_EPS_LOSS_RATIO / TF_EPS_ERROR_RATIO */
  uint32_t grad_kind; /**< 1 GRADIENT, 2 DELTA: what `values` holds after a step */
  uint32_t update;    /**< TF_UPDATE_*: step direction of §6.6.6 step 1 (§6.6.10; 0 STANDARDIZED) */
  uint32_t rounding;  /**< TF_ROUNDING_*: requantization of §6.6.6 step 3 (§6.6.10; 0 NEAREST) */
  float lr_b;         /**< bias learning rate of §6.6.6 step 4; 0: the session's lr (§6.6.10 default) */
  uint32_t seed;      /**< §6.6.10 generator seed, read by tf_train_prepare (0: 0x9E3779B9) */
} tf_train_config_t;

/** One op of the trained chain (private). */
typedef struct tf_train_op {
  uint32_t index;  /**< op index in the artifact */
  uint8_t kind;    /**< TF_OP_* */
  int8_t layer;    /**< trained layer, or -1 */
  int32_t lower, upper; /**< mask of §6.6.3 (lower -1: none), for weighted ops and RELU / RELU6 */
  tf_fqt_conv_geom_t g;
  tf_fqt_pool_geom_t pg;
  int32_t inputs, units; /**< DENSE */
  uint32_t x_scale_bits, y_scale_bits;
  float w_scale;   /**< weights of an op that is not trained */
  int32_t w_zero;
} tf_train_op_t;

/** A trained layer (private, except the results of the last step). */
typedef struct tf_train_layer {
  uint32_t chain; /**< position in the chain */
  tf_fqt_layer_t l;
  uint32_t positions;
  float x_scale, max_mean;
  uint32_t cap;   /**< rows the scratch holds (R) */
  uint32_t *mag;
  uint16_t *rows;
  int32_t *bsum;
  float *grad, *gb;
  bool chosen;
  /* results of the last step: k rows (structures rows[0..k)) of es values (DELTA or GRADIENT, in the
   * gradient rows: §6.6.6 holds no other copy), eps */
  uint32_t k;
  float *values;
  float eps;
} tf_train_layer_t;

/** One chain value (private): its SAVED copy and ERROR tensor in the arena (§5.6), the error tracker. */
typedef struct tf_train_edge {
  uint8_t *v;   /**< SAVED copy, or NULL when the backward pass does not read it */
  uint8_t *err; /**< ERROR tensor (edges 1..chain_len) */
  uint32_t n;
  float scale;
  int32_t zero;
  tf_fqt_range_t trk;
} tf_train_edge_t;

typedef struct tf_train {
  tf_interp_t *it;
  tf_train_config_t cfg;
  uint32_t first;      /**< op index of the first trained op */
  uint32_t chain_len;
  tf_train_op_t ops[TF_INTERP_MAX_OPS];
  tf_train_edge_t edges[TF_INTERP_MAX_OPS + 1u];
  tf_train_layer_t layers[TF_TRAIN_MAX_LAYERS];
  uint8_t *p;
  int32_t *acc, *gint, *softmax_scratch;
  float *stats;        /**< 2 binary32 per held row: §6.6.6 step 1 statistics */
  tf_softmax_params_t softmax;
  int32_t producer;    /**< chain position of the logits producer (§6.6.6 step 2a), or -1 */
  float *mean;         /**< es binary32 of the re-centred layer (§6.6.6 step 2a), or NULL */
  tf_fqt_range_t logits_trk; /**< §6.6.7 logits tracker (`ea`) */
  tf_fqt_bounds_t logits_obs; /**< the step's producer accumulators */
  uint32_t used;       /**< scratch bytes of `buf` in use */
  uint32_t arena_used; /**< training arena in use: the interpreter's plan and every SAVED / ERROR tensor read */
  float max_loss;
  uint32_t rng;        /**< §6.6.10 xorshift32 state, tf_fqt_seed(cfg.seed) at prepare; persists across steps */
  /* the step in progress */
  uint32_t in_step;    /**< samples of the step so far */
  float loss_sum;
  uint32_t correct;
} tf_train_t;

/** Result of a step (§4.4.6 fields; per layer results in tf_train_t.layers). */
typedef struct tf_train_step {
  float loss, acc, ur;
  uint32_t samples;
  uint32_t correct; /**< samples of the step classified correctly (acc = correct / samples) */
} tf_train_step_t;

/**
 * Prepares a session on @p it (prepared from @p a in @p arena of @p arena_len bytes, whose RAM copies
 * hold the weights to train) with the parameters @p c, carving its scratch out of @p buf (16-aligned,
 * @p len bytes; `used` tells how many it took, `arena_used` how much of the arena training reads).
 * @return TF_OK; OUT_OF_RANGE for layers that are not weighted ops of the chain, not ascending, or a
 * batch size of 0; INCOMPATIBLE for a chain or tensor of §6.6.2 / §6.6.1 this runtime does not train
 * or an artifact without the SAVED / ERROR tensors it needs; NO_SPACE when the arena or @p buf is too
 * small.
 */
tf_status_t tf_train_prepare(tf_train_t *t, tf_interp_t *it, const tf_artifact_t *a, const tf_train_config_t *c,
                             uint8_t *arena, size_t arena_len, uint8_t *buf, size_t len);

/**
 * Forward, loss and backward of one sample (input of the model's input size, label < classes).
 * NO_SPACE when `cfg` was changed since prepare to need more rows than the scratch holds.
 */
tf_status_t tf_train_sample(tf_train_t *t, const uint8_t *x, uint32_t label);

/** Ends the step: selection (bs > 1), update of every trained layer, multipliers derived again. */
tf_status_t tf_train_step_end(tf_train_t *t, tf_train_step_t *r);

#endif /* TF_TRAIN_H */
