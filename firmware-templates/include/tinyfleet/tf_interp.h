/**
 * @file tf_interp.h
 * @brief The model interpreter: runs a validated artifact (tf_artifact.h, PROTOCOL.md §5) with its
 *        static arena plan (§5.6), weights used in place from flash, the kernels of tf_nn.h (§6.3).
 *
 * Prepare validates, Eval runs (STYLE.md):
 *  - tf_interp_ram_size() tells the caller how large the RAM buffer must be: the RAM_COPY region
 *    (header `ram_bytes`, §5.6), then the requantization table (8 bytes per output channel of
 *    every weighted op, 3 entries per ADD, 1 per SOFTMAX and per CONCAT input), then the
 *    SOFTMAX scratch (tf_softmax_u8_get_buffer_size of the longest row).
 *  - tf_interp_prepare() checks every op against table 5.4.2 / 5.4.3 (roles, dataflow order,
 *    shapes, dtypes, quantization, RESHAPE aliasing), resolves every tensor to its address (ARENA:
 *    arena + mem_offset; FLASH: in place in the artifact; RAM_COPY: ram + mem_offset, copied from
 *    flash now), derives every (M, k) once from the float32 scale bits (§6.2.2, integer only) and
 *    computes the arena the plan needs (`arena_required`: the 16-aligned end of the highest ARENA
 *    tensor), which must not exceed the arena passed in. The header's `arena_infer_bytes` is the
 *    planner's number; the two are reported side by side.
 *  - tf_interp_invoke() copies the input into its arena tensor and runs the ops in order.
 *
 * Supported in this runtime: UINT8 activations (per tensor), UINT8 per-tensor or INT8 weights
 * (per tensor or per output channel), INT32 bias. Other combinations (INT8 or FLOAT32 activations,
 * UINT8 per-channel weights) get TF_STATUS_INCOMPATIBLE. The artifact must lie at a 4-aligned
 * address (slots are 16-aligned, §5.1) on a little-endian core.
 *
 * No allocation: the interpreter state is the caller's tf_interp_t (TF_INTERP_MAX_OPS op slots).
 */
#ifndef TF_INTERP_H
#define TF_INTERP_H

#include "tinyfleet/tf_artifact.h"
#include "tinyfleet/tf_nn.h"

#include <stddef.h>
#include <stdint.h>

#ifndef TF_INTERP_MAX_OPS
#define TF_INTERP_MAX_OPS 48u
#endif
#ifndef TF_INTERP_MAX_TENSORS
#define TF_INTERP_MAX_TENSORS 256u
#endif

/** One prepared op (private). */
typedef struct tf_interp_op {
  uint8_t kind;
  uint8_t per_channel; /**< INT8 weights */
  uint8_t n_in;
  const uint8_t *x[TF_ARTIFACT_MAX_OP_INPUTS];
  uint8_t *y;
  const void *w;
  const int32_t *bias;
  tf_dims_t xd, wd, yd;
  uint32_t count; /**< elements (elementwise ops), rows (softmax), outer (concat) */
  uint32_t row;   /**< softmax row */
  tf_weight_quant_t wq;
  union {
    tf_conv_params_t conv;
    tf_dense_params_t dense;
    tf_pool_params_t pool;
    tf_relu_params_t relu;
    tf_add_params_t add;
    tf_softmax_params_t softmax;
    struct {
      tf_concat_input_t *in; /**< in the RAM buffer's table */
      int32_t y_zero;
    } concat;
  } p;
} tf_interp_op_t;

typedef struct tf_interp {
  const tf_artifact_t *art;
  uint32_t op_count;
  uint8_t *input;
  uint32_t input_bytes;
  const uint8_t *output;
  uint32_t output_bytes;
  uint32_t output_scale_bits;
  int32_t input_zero, output_zero;
  uint32_t input_scale_bits;
  uint32_t input_shape[TF_ARTIFACT_MAX_RANK];
  uint8_t input_rank;
  uint32_t arena_required; /**< measured from the plan at prepare */
  uint32_t ram_required;
  int32_t *scratch;
  tf_interp_op_t ops[TF_INTERP_MAX_OPS];
} tf_interp_t;

/** Bytes of RAM buffer tf_interp_prepare() needs for @p a (a validated artifact). */
tf_status_t tf_interp_ram_size(const tf_artifact_t *a, uint32_t *bytes);

/**
 * Prepares @p a (validated by tf_artifact_open, must outlive @p it) with a caller-owned arena and
 * RAM buffer (4-aligned; sizes at least arena_infer_bytes and tf_interp_ram_size()).
 * @return TF_OK; the §5.10 step 8 code of a broken op rule (BAD_FIELD, OUT_OF_RANGE, MALFORMED);
 *         TF_STATUS_INCOMPATIBLE for an op or dtype this runtime does not run; TF_STATUS_NO_SPACE
 *         for a buffer too small or more than TF_INTERP_MAX_OPS ops.
 */
tf_status_t tf_interp_prepare(tf_interp_t *it, const tf_artifact_t *a, uint8_t *arena, size_t arena_len,
                              uint8_t *ram, size_t ram_len);

/** Runs one inference on @p len input bytes (must equal the input tensor's size: else OUT_OF_RANGE). */
tf_status_t tf_interp_invoke(tf_interp_t *it, const uint8_t *x, size_t len);

/**
 * Runs op @p i (< op_count) alone on the arena as it is: the training runtime (tf_train.h) calls it
 * op by op to keep the forward values it needs. tf_interp_invoke() is the loop over all ops.
 */
tf_status_t tf_interp_run_op(tf_interp_t *it, uint32_t i);

/** The op kinds tf_interp_prepare() accepts, ascending; @return their count (<= @p cap written). */
uint32_t tf_interp_supported_ops(uint8_t *ops, uint32_t cap);

#endif /* TF_INTERP_H */
