/**
 * @file tf_artifact.h
 * @brief Model artifact reader (PROTOCOL.md §5): validates an artifact in place, without
 *        allocation, and exposes its header, op records, tensor records and per-channel
 *        quantization parameters as views into the caller's buffer (flash, memory-mapped).
 *
 * tf_artifact_open() applies the checks of §5.10 in this increment:
 *   steps 1-4 in order (frame, content size, signature envelope presence/shape, SHA-256 of
 *   §5.8); 5 (header fields, name); 6 (canonical section offsets, sizes, counts, padding and
 *   reserved zero); 7 (tensor records: ids, dtypes, storage, quantization, shapes and byte
 *   sizes, canonical q_offset / data_offset / RAM offsets, arena bounds and alignment, flags,
 *   ERROR/SAVED refs, QPARAMS/DATA/ram_bytes fully accounted for, every scale finite and > 0);
 *   8 (ops: kinds, arity of table 5.4.2, unused input slots, tensor ids, reserved bytes,
 *   strides/dilations/windows >= 1, padding <= kernel extent, clamps, CONV1D H parameters);
 *   9 (training record: rates, batch size, eps mode, update rule, rounding, reserved, op indices ascending and
 *   weighted with a TRAINABLE weight).
 * Not checked yet (left to the interpreter's prepare step, which is not in this increment):
 * the shape rules of table 5.4.3, dtype/role rules of each op, the dataflow order, RESHAPE
 * aliasing, and "every TRAINABLE tensor belongs to a trainable op".
 *
 * The signature (§5.9) is reported (present + key id); Ed25519 verification is not done here.
 */
#ifndef TF_ARTIFACT_H
#define TF_ARTIFACT_H

#include "tinyfleet/tf_protocol.h"
#include "tinyfleet/tf_status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Runtime ABI this reader accepts (§5.2). */
#define TF_ARTIFACT_RUNTIME_ABI TF_ARTIFACT_ABI_VERSION

typedef struct tf_artifact_section {
  uint32_t offset;
  uint32_t bytes;
  uint32_t count;
} tf_artifact_section_t;

/** A validated artifact: header fields and views; the buffer must outlive it. */
typedef struct tf_artifact {
  const uint8_t *base;
  size_t file_len;
  uint32_t flags;
  uint32_t content_bytes;
  uint32_t model_version;
  uint16_t abi_version;
  uint16_t input_tensor;
  uint16_t output_tensor;
  uint32_t arena_infer_bytes;
  uint32_t arena_train_bytes;
  uint32_t ram_bytes;
  const char *name; /**< NUL-terminated inside the header */
  const uint8_t *sha256;
  tf_artifact_section_t sections[TF_ARTIFACT_SECTION_COUNT];
  bool signed_envelope; /**< an envelope with a non-zero key id follows the content */
  bool has_envelope;    /**< an envelope follows (possibly all-zero key id: unsigned) */
  const uint8_t *key_id;    /**< 8 bytes, when has_envelope */
  const uint8_t *signature; /**< 64 bytes, when has_envelope */
} tf_artifact_t;

/** An op record (§5.4), decoded from its 48 bytes. */
typedef struct tf_artifact_op {
  uint8_t kind;
  uint8_t input_count;
  uint16_t inputs[TF_ARTIFACT_MAX_OP_INPUTS];
  uint16_t output;
  uint16_t p16[8]; /**< params at offsets 16..30 (u16) */
  int32_t act_min, act_max;
  const uint8_t *record;
} tf_artifact_op_t;

/** A tensor record (§5.5), decoded from its 64 bytes. */
typedef struct tf_artifact_tensor {
  uint16_t id;
  uint8_t dtype, storage, rank, quant, q_axis;
  uint16_t flags, ref;
  uint32_t shape[TF_ARTIFACT_MAX_RANK];
  uint32_t byte_size, data_offset, mem_offset, q_count, q_offset;
  float scale;
  int32_t zero_point;
  const uint8_t *data;     /**< FLASH / RAM_COPY: initial bytes in place; else NULL */
  const uint8_t *qparams;  /**< PER_CHANNEL: q_count f32 scales then q_count i32 zero points */
} tf_artifact_tensor_t;

/** Training defaults (§5.7). */
typedef struct tf_artifact_train {
  float lambda_min, lambda_max, learning_rate, ema_activations, ema_errors, ema_weights;
  uint16_t batch_size;
  uint8_t eps_mode;
  uint8_t update;   /**< TF_UPDATE_* (§6.6.10, byte 27) */
  uint8_t rounding; /**< TF_ROUNDING_* (§6.6.10, byte 28) */
  uint32_t op_count;
  const uint8_t *ops; /**< op_count u16 LE */
} tf_artifact_train_t;

/** Validates @p len bytes at @p buf (§5.10). @return TF_OK or the code of the first failed check. */
tf_status_t tf_artifact_open(tf_artifact_t *a, const uint8_t *buf, size_t len);

uint32_t tf_artifact_op_count(const tf_artifact_t *a);
uint32_t tf_artifact_tensor_count(const tf_artifact_t *a);
/** Reads record @p i (0 <= i < count) of a validated artifact. */
void tf_artifact_op(const tf_artifact_t *a, uint32_t i, tf_artifact_op_t *op);
void tf_artifact_tensor(const tf_artifact_t *a, uint32_t i, tf_artifact_tensor_t *t);
/** TF_OK with the record, or TF_STATUS_BAD_STATE without HAS_TRAINING. */
tf_status_t tf_artifact_train(const tf_artifact_t *a, tf_artifact_train_t *t);

#endif /* TF_ARTIFACT_H */
