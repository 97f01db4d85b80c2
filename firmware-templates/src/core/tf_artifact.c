/* Model artifact reader (tf_artifact.h): PROTOCOL.md §5.10 checks, in place, no allocation. */
#include "tinyfleet/tf_artifact.h"

#include "tinyfleet/tf_msg.h"
#include "tinyfleet/tf_sha256.h"

#include <string.h>

#define HAS_TRAINING 0x1u
#define TF_INPUT 0x01u
#define TF_OUTPUT 0x02u
#define TF_TRAINABLE 0x04u
#define TF_ERROR 0x08u
#define TF_SAVED 0x10u

static uint16_t u16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static float f32(const uint8_t *p) {
  uint32_t b = u32(p);
  float f;

  memcpy(&f, &b, sizeof f);
  return f;
}

static bool f32_finite(const uint8_t *p) {
  return ((u32(p) >> 23) & 0xFFu) != 0xFFu;
}

/* finite and lo <= x <= hi */
static bool f32_in(const uint8_t *p, float lo, float hi) {
  float f = f32(p);
  return f32_finite(p) && f >= lo && f <= hi;
}

static bool zero(const uint8_t *p, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    if (p[i] != 0) {
      return false;
    }
  }
  return true;
}

static uint64_t align16(uint64_t x) {
  return (x + 15u) & ~(uint64_t)15u;
}

static uint32_t elem_bytes(uint8_t dtype) {
  return dtype == TF_DTYPE_INT32 || dtype == TF_DTYPE_FLOAT32 ? 4u : 1u;
}

/* §5.10 steps 1-3. */
static tf_status_t check_frame(tf_artifact_t *a, const uint8_t *b, size_t len) {
  size_t extra;

  if (len < 8u) return TF_STATUS_TRUNCATED;
  if (u32(b) != TF_ARTIFACT_MAGIC) return TF_STATUS_MALFORMED;
  if (u16(b + 4) != TF_ARTIFACT_VERSION) return TF_STATUS_UNSUPPORTED_VERSION;
  if (u16(b + 6) != TF_ARTIFACT_HEADER_BYTES) return TF_STATUS_MALFORMED;
  if (len < TF_ARTIFACT_HEADER_BYTES) return TF_STATUS_TRUNCATED;
  a->content_bytes = u32(b + 12);
  if (a->content_bytes < TF_ARTIFACT_HEADER_BYTES || a->content_bytes % TF_ARTIFACT_ALIGN != 0) {
    return TF_STATUS_MALFORMED;
  }
  if (a->content_bytes > len) return TF_STATUS_TRUNCATED;
  extra = len - a->content_bytes;
  if (extra == 0) return TF_OK;
  if (extra < TF_ARTIFACT_SIG_BYTES) return TF_STATUS_TRUNCATED;
  if (extra > TF_ARTIFACT_SIG_BYTES) return TF_STATUS_MALFORMED;
  b += a->content_bytes; /* §5.9 envelope */
  if (u32(b) != TF_ARTIFACT_SIG_MAGIC) return TF_STATUS_MALFORMED;
  if (!zero(b + 4, 4)) return TF_STATUS_BAD_FIELD;
  if (zero(b + 8, 8) && !zero(b + 16, 64)) return TF_STATUS_BAD_FIELD;
  a->has_envelope = true;
  a->signed_envelope = !zero(b + 8, 8);
  a->key_id = b + 8;
  a->signature = b + 16;
  return TF_OK;
}

/* §5.8: SHA-256 of bytes [0, 80) || [112, content_bytes). */
static tf_status_t check_digest(const tf_artifact_t *a) {
  tf_sha256_ctx_t ctx;
  uint8_t d[TF_SHA256_DIGEST_BYTES];

  tf_sha256_init(&ctx);
  tf_sha256_update(&ctx, a->base, 80);
  tf_sha256_update(&ctx, a->base + 112, a->content_bytes - 112u);
  tf_sha256_final(&ctx, d);
  return memcmp(d, a->base + 80, sizeof d) == 0 ? TF_OK : TF_STATUS_SHA_MISMATCH;
}

/* §5.10 step 5. */
static tf_status_t check_header(tf_artifact_t *a) {
  const uint8_t *b = a->base;
  const uint8_t *name = b + 48;
  size_t n = 0;

  a->flags = u32(b + 8);
  a->model_version = u32(b + 16);
  a->abi_version = u16(b + 20);
  a->input_tensor = u16(b + 22);
  a->output_tensor = u16(b + 24);
  a->arena_infer_bytes = u32(b + 28);
  a->arena_train_bytes = u32(b + 32);
  a->ram_bytes = u32(b + 36);
  a->sha256 = b + 80;
  a->name = (const char *)name;
  if ((a->flags & ~HAS_TRAINING) != 0 || !zero(b + 26, 2) || !zero(b + 40, 8)) return TF_STATUS_BAD_FIELD;
  while (n < TF_ARTIFACT_NAME_BYTES && name[n] != 0) {
    n++;
  }
  if (n >= TF_ARTIFACT_NAME_BYTES || !zero(name + n, TF_ARTIFACT_NAME_BYTES - n) || !tf_msg_utf8_valid(name, n)) {
    return TF_STATUS_BAD_FIELD;
  }
  if (a->abi_version == 0) return TF_STATUS_OUT_OF_RANGE;
  if (a->abi_version > TF_ARTIFACT_RUNTIME_ABI) return TF_STATUS_INCOMPATIBLE;
  if ((a->flags & HAS_TRAINING) == 0 ? (a->arena_train_bytes != 0 || a->ram_bytes != 0)
                                     : a->arena_train_bytes < a->arena_infer_bytes) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  return TF_OK;
}

/* §5.10 step 6 (DATA's size and count are checked against the tensors in step 7). */
static tf_status_t check_sections(tf_artifact_t *a) {
  const uint8_t *b = a->base;
  uint64_t expected = TF_ARTIFACT_HEADER_BYTES;
  uint64_t prev_end = TF_ARTIFACT_HEADER_BYTES;
  bool training = (a->flags & HAS_TRAINING) != 0;
  uint32_t i;

  for (i = 0; i < TF_ARTIFACT_SECTION_COUNT; i++) {
    const uint8_t *e = b + 112 + 16u * i;
    tf_artifact_section_t *s = &a->sections[i];
    uint64_t want_bytes;
    bool count_ok;
    s->offset = u32(e);
    s->bytes = u32(e + 4);
    s->count = u32(e + 8);
    if (!zero(e + 12, 4)) return TF_STATUS_BAD_FIELD;
    if (s->offset != expected) return TF_STATUS_MALFORMED;
    switch (i) {
    case 0: /* OPS */
      count_ok = s->count >= 1u;
      want_bytes = (uint64_t)s->count * TF_ARTIFACT_OP_BYTES;
      break;
    case 1: /* TENSORS */
      count_ok = s->count >= 1u && s->count <= 65534u;
      want_bytes = (uint64_t)s->count * TF_ARTIFACT_TENSOR_BYTES;
      break;
    case 2: /* QPARAMS */
      count_ok = true;
      want_bytes = (uint64_t)s->count * 8u;
      break;
    case 3: /* TRAIN */
      count_ok = training ? s->count >= 1u : s->count == 0;
      want_bytes = training ? TF_ARTIFACT_TRAIN_BYTES + 2u * (uint64_t)s->count : 0u;
      break;
    default: /* DATA */
      count_ok = true;
      want_bytes = s->bytes;
      break;
    }
    if (!count_ok || s->bytes != want_bytes || (uint64_t)s->offset + s->bytes > a->content_bytes) {
      return TF_STATUS_MALFORMED;
    }
    if (i > 0 && !zero(b + prev_end, (size_t)(s->offset - prev_end))) return TF_STATUS_BAD_FIELD;
    prev_end = (uint64_t)s->offset + s->bytes;
    expected = align16(prev_end);
  }
  if (expected != a->content_bytes) return TF_STATUS_MALFORMED;
  if (!zero(b + prev_end, (size_t)(a->content_bytes - prev_end))) return TF_STATUS_BAD_FIELD;
  return TF_OK;
}

void tf_artifact_tensor(const tf_artifact_t *a, uint32_t i, tf_artifact_tensor_t *t) {
  const uint8_t *r = a->base + a->sections[1].offset + (size_t)i * TF_ARTIFACT_TENSOR_BYTES;
  uint32_t k;

  memset(t, 0, sizeof *t);
  /* PROTOCOL.md §5.5 */
  t->id = u16(r);
  t->dtype = r[2];
  t->storage = r[3];
  t->flags = u16(r + 4);
  t->rank = r[6];
  t->quant = r[7];
  for (k = 0; k < TF_ARTIFACT_MAX_RANK; k++) {
    t->shape[k] = u32(r + 8 + 4u * k);
  }
  t->byte_size = u32(r + 24);
  t->data_offset = u32(r + 28);
  t->mem_offset = u32(r + 32);
  t->scale = f32(r + 36);
  t->zero_point = (int32_t)u32(r + 40);
  t->q_axis = r[44];
  t->ref = u16(r + 46);
  t->q_count = u32(r + 48);
  t->q_offset = u32(r + 52);
  if (t->storage != TF_STORAGE_ARENA && (uint64_t)t->data_offset + t->byte_size <= a->sections[4].bytes) {
    t->data = a->base + a->sections[4].offset + t->data_offset;
  }
  if (t->quant == TF_QUANT_PER_CHANNEL && (uint64_t)t->q_offset + 8u * (uint64_t)t->q_count <= a->sections[2].bytes) {
    t->qparams = a->base + a->sections[2].offset + t->q_offset;
  }
}

static bool zp_ok(uint8_t dtype, int32_t zp) {
  return dtype == TF_DTYPE_UINT8 ? (zp >= 0 && zp <= 255) : zp == 0;
}

/* §5.10 step 7, one record; running offsets in q, d, ram, blocks. */
static tf_status_t check_tensor(const tf_artifact_t *a, uint32_t i, uint64_t *q, uint64_t *d, uint64_t *ram,
                                uint32_t *blocks) {
  tf_artifact_tensor_t t;
  const uint8_t *r = a->base + a->sections[1].offset + (size_t)i * TF_ARTIFACT_TENSOR_BYTES;
  uint64_t n = 1;
  uint32_t k;
  bool training = (a->flags & HAS_TRAINING) != 0;
  bool extra;

  tf_artifact_tensor(a, i, &t);
  if (t.id != i) return TF_STATUS_MALFORMED;
  if (t.dtype < TF_DTYPE_UINT8 || t.dtype > TF_DTYPE_FLOAT32 || t.storage > TF_STORAGE_RAM_COPY ||
      t.quant > TF_QUANT_PER_CHANNEL) {
    return TF_STATUS_UNKNOWN_TYPE;
  }
  if (t.rank > TF_ARTIFACT_MAX_RANK) return TF_STATUS_OUT_OF_RANGE;
  for (k = 0; k < TF_ARTIFACT_MAX_RANK; k++) {
    if (k < t.rank) {
      if (t.shape[k] == 0) return TF_STATUS_OUT_OF_RANGE;
      n *= t.shape[k];
      if (n > 0xFFFFFFFFull) return TF_STATUS_MALFORMED;
    } else if (t.shape[k] != 0) {
      return TF_STATUS_BAD_FIELD;
    }
  }
  if (n * elem_bytes(t.dtype) != t.byte_size) return TF_STATUS_MALFORMED;
  if (r[45] != 0 || !zero(r + 56, 8) || (t.flags & ~0x1Fu) != 0) return TF_STATUS_BAD_FIELD;
  /* 5.5.1: quantization kinds per dtype */
  if (((t.dtype == TF_DTYPE_UINT8 || t.dtype == TF_DTYPE_INT8) && t.quant == TF_QUANT_NONE) ||
      (t.dtype == TF_DTYPE_FLOAT32 && t.quant != TF_QUANT_NONE)) {
    return TF_STATUS_BAD_FIELD;
  }
  /* 5.5.4 */
  if (t.quant == TF_QUANT_NONE) {
    if (!zero(r + 36, 9) || t.q_count != 0 || t.q_offset != 0) return TF_STATUS_BAD_FIELD;
  } else if (t.quant == TF_QUANT_PER_TENSOR) {
    if (r[44] != 0 || t.q_count != 0 || t.q_offset != 0) return TF_STATUS_BAD_FIELD;
    if (!f32_finite(r + 36) || !(t.scale > 0.0f) || !zp_ok(t.dtype, t.zero_point)) return TF_STATUS_OUT_OF_RANGE;
  } else {
    const uint8_t *qp;
    if (!zero(r + 36, 8)) return TF_STATUS_BAD_FIELD;
    if (t.q_axis >= t.rank) return TF_STATUS_OUT_OF_RANGE;
    if (t.q_count != t.shape[t.q_axis] || t.q_offset != *q ||
        *q + 8u * (uint64_t)t.q_count > a->sections[2].bytes) {
      return TF_STATUS_MALFORMED;
    }
    qp = a->base + a->sections[2].offset + t.q_offset; /* 5.5.5 */
    for (k = 0; k < t.q_count; k++) {
      if (!f32_finite(qp + 4u * k) || !(f32(qp + 4u * k) > 0.0f) ||
          !zp_ok(t.dtype, (int32_t)u32(qp + 4u * (t.q_count + k)))) {
        return TF_STATUS_OUT_OF_RANGE;
      }
    }
    *q += 8u * (uint64_t)t.q_count;
  }
  /* 5.5.3 flags */
  extra = (t.flags & (TF_ERROR | TF_SAVED)) != 0;
  if (((t.flags & TF_INPUT) != 0) != (i == a->input_tensor) || ((t.flags & TF_OUTPUT) != 0) != (i == a->output_tensor) ||
      ((t.flags & (TF_INPUT | TF_OUTPUT)) != 0 && t.storage != TF_STORAGE_ARENA) ||
      ((t.flags & TF_TRAINABLE) != 0) != (t.storage == TF_STORAGE_RAM_COPY) ||
      (t.storage == TF_STORAGE_RAM_COPY && !training)) {
    return TF_STATUS_BAD_FIELD;
  }
  if (extra) {
    tf_artifact_tensor_t ref;
    if (!training || (t.flags != TF_ERROR && t.flags != TF_SAVED) || t.storage != TF_STORAGE_ARENA) {
      return TF_STATUS_BAD_FIELD;
    }
    if (t.ref >= a->sections[1].count) return TF_STATUS_OUT_OF_RANGE;
    tf_artifact_tensor(a, t.ref, &ref);
    if (ref.storage != TF_STORAGE_ARENA || (ref.flags & (TF_ERROR | TF_SAVED)) != 0) return TF_STATUS_BAD_FIELD;
    if (ref.rank != t.rank || memcmp(ref.shape, t.shape, sizeof t.shape) != 0) return TF_STATUS_MALFORMED;
    if (t.flags == TF_ERROR ? (t.dtype != TF_DTYPE_UINT8 && t.dtype != TF_DTYPE_INT8) : t.dtype != ref.dtype) {
      return TF_STATUS_BAD_FIELD;
    }
  } else if (t.ref != TF_ARTIFACT_NO_TENSOR) {
    return TF_STATUS_BAD_FIELD;
  }
  /* 5.5.2, 5.5.6, §5.6 */
  if (t.storage == TF_STORAGE_ARENA) {
    uint32_t limit = extra ? a->arena_train_bytes : a->arena_infer_bytes;
    if (t.data_offset != 0) return TF_STATUS_BAD_FIELD;
    if (t.mem_offset % TF_ARTIFACT_ALIGN != 0) return TF_STATUS_MALFORMED;
    if ((uint64_t)t.mem_offset + t.byte_size > limit) return TF_STATUS_OUT_OF_RANGE;
  } else {
    const uint8_t *blk;
    if (t.data_offset != *d || *d + t.byte_size > a->sections[4].bytes) return TF_STATUS_MALFORMED;
    blk = a->base + a->sections[4].offset + t.data_offset;
    if (align16(*d + t.byte_size) <= a->sections[4].bytes &&
        !zero(blk + t.byte_size, (size_t)(align16(t.byte_size) - t.byte_size))) {
      return TF_STATUS_BAD_FIELD;
    }
    *d += align16(t.byte_size);
    (*blocks)++;
    if (t.storage == TF_STORAGE_FLASH) {
      if (t.mem_offset != 0) return TF_STATUS_BAD_FIELD;
    } else {
      if (t.mem_offset != *ram) return TF_STATUS_MALFORMED;
      if ((uint64_t)t.mem_offset + t.byte_size > a->ram_bytes) return TF_STATUS_OUT_OF_RANGE;
      *ram += align16(t.byte_size);
    }
  }
  return TF_OK;
}

void tf_artifact_op(const tf_artifact_t *a, uint32_t i, tf_artifact_op_t *op) {
  const uint8_t *r = a->base + a->sections[0].offset + (size_t)i * TF_ARTIFACT_OP_BYTES;
  uint32_t k;

  /* PROTOCOL.md §5.4 */
  op->record = r;
  op->kind = r[0];
  op->input_count = r[1];
  for (k = 0; k < TF_ARTIFACT_MAX_OP_INPUTS; k++) {
    op->inputs[k] = u16(r + 4 + 2u * k);
  }
  op->output = u16(r + 12);
  for (k = 0; k < 8u; k++) {
    op->p16[k] = u16(r + 16 + 2u * k);
  }
  op->act_min = (int32_t)u32(r + 32);
  op->act_max = (int32_t)u32(r + 36);
}

/* §5.10 step 8 (parameter and arity rules). */
static tf_status_t check_op(const tf_artifact_t *a, uint32_t i) {
  tf_artifact_op_t op;
  uint32_t tcount = a->sections[1].count;
  uint32_t k, min_in, max_in;
  size_t used; /* params bytes in use, from offset 16 */
  bool conv, pool;

  tf_artifact_op(a, i, &op);
  if (op.kind < TF_OP_CONV2D || op.kind > TF_OP_SOFTMAX) return TF_STATUS_UNKNOWN_TYPE;
  conv = op.kind <= TF_OP_CONV1D;
  pool = op.kind == TF_OP_MAXPOOL2D || op.kind == TF_OP_AVGPOOL2D;
  min_in = max_in = 1;
  if (conv || op.kind == TF_OP_DENSE) {
    min_in = 2;
    max_in = 3;
  } else if (op.kind == TF_OP_ADD) {
    min_in = max_in = 2;
  } else if (op.kind == TF_OP_CONCAT) {
    min_in = 2;
    max_in = TF_ARTIFACT_MAX_OP_INPUTS;
  }
  used = conv || pool ? 24u : op.kind == TF_OP_DENSE ? 24u : op.kind == TF_OP_CONCAT ? 2u : 0u;
  if (op.input_count < min_in || op.input_count > max_in || op.record[2] != 1u || op.record[3] != 0 ||
      !zero(op.record + 14, 2) || !zero(op.record + 40, 8)) {
    return TF_STATUS_BAD_FIELD;
  }
  if (op.kind == TF_OP_DENSE ? !zero(op.record + 16, 16) : !zero(op.record + 16 + used, 24u - used)) {
    return TF_STATUS_BAD_FIELD;
  }
  for (k = 0; k < TF_ARTIFACT_MAX_OP_INPUTS; k++) {
    if (k >= op.input_count ? op.inputs[k] != TF_ARTIFACT_NO_TENSOR : op.inputs[k] >= tcount) {
      return k >= op.input_count ? TF_STATUS_BAD_FIELD : TF_STATUS_OUT_OF_RANGE;
    }
  }
  if (op.output >= tcount) return TF_STATUS_OUT_OF_RANGE;
  if (conv || pool) {
    uint32_t kh, kw, dh, dw;
    tf_artifact_tensor_t w, y;
    /* p16: stride_h, stride_w, dilation_h|window_h, dilation_w|window_w, pads t, l, b, r */
    if (op.p16[0] == 0 || op.p16[1] == 0 || op.p16[2] == 0 || op.p16[3] == 0) return TF_STATUS_OUT_OF_RANGE;
    if (op.kind == TF_OP_CONV1D && (op.p16[0] != 1 || op.p16[2] != 1 || op.p16[4] != 0 || op.p16[6] != 0)) {
      return TF_STATUS_BAD_FIELD;
    }
    if (pool) {
      kh = op.p16[2];
      kw = op.p16[3];
      dh = dw = 1;
    } else {
      tf_artifact_tensor(a, op.inputs[1], &w);
      if (op.kind == TF_OP_CONV1D ? w.rank != 3 : w.rank != 4) return TF_STATUS_MALFORMED; /* table 5.4.3 */
      kh = op.kind == TF_OP_CONV1D ? 1u : w.shape[1];
      kw = op.kind == TF_OP_CONV1D ? w.shape[1] : w.shape[2];
      dh = op.p16[2];
      dw = op.p16[3];
    }
    if (op.p16[4] > dh * (kh - 1u) || op.p16[6] > dh * (kh - 1u) || op.p16[5] > dw * (kw - 1u) ||
        op.p16[7] > dw * (kw - 1u)) {
      return TF_STATUS_OUT_OF_RANGE;
    }
    tf_artifact_tensor(a, op.output, &y);
    if (op.act_min > op.act_max ||
        (y.dtype == TF_DTYPE_UINT8 && (op.act_min < 0 || op.act_max > 255)) ||
        (y.dtype == TF_DTYPE_INT8 && (op.act_min < -128 || op.act_max > 127))) {
      return TF_STATUS_OUT_OF_RANGE;
    }
  } else if (op.kind == TF_OP_DENSE) {
    tf_artifact_tensor_t y;
    tf_artifact_tensor(a, op.output, &y);
    if (op.act_min > op.act_max || (y.dtype == TF_DTYPE_UINT8 && (op.act_min < 0 || op.act_max > 255)) ||
        (y.dtype == TF_DTYPE_INT8 && (op.act_min < -128 || op.act_max > 127))) {
      return TF_STATUS_OUT_OF_RANGE;
    }
  } else if (op.kind == TF_OP_CONCAT) {
    tf_artifact_tensor_t x;
    tf_artifact_tensor(a, op.inputs[0], &x);
    if (op.p16[0] >= x.rank) return TF_STATUS_OUT_OF_RANGE;
  }
  return TF_OK;
}

tf_status_t tf_artifact_train(const tf_artifact_t *a, tf_artifact_train_t *t) {
  const uint8_t *r = a->base + a->sections[3].offset;

  memset(t, 0, sizeof *t);
  if ((a->flags & HAS_TRAINING) == 0) {
    return TF_STATUS_BAD_STATE;
  }
  /* PROTOCOL.md §5.7 */
  t->lambda_min = f32(r);
  t->lambda_max = f32(r + 4);
  t->learning_rate = f32(r + 8);
  t->ema_activations = f32(r + 12);
  t->ema_errors = f32(r + 16);
  t->ema_weights = f32(r + 20);
  t->batch_size = u16(r + 24);
  t->eps_mode = r[26];
  t->update = r[27];   /* §6.6.10 */
  t->rounding = r[28];
  t->op_count = a->sections[3].count;
  t->ops = r + TF_ARTIFACT_TRAIN_BYTES;
  return TF_OK;
}

/* §5.10 step 9. */
static tf_status_t check_train(const tf_artifact_t *a) {
  const uint8_t *r = a->base + a->sections[3].offset;
  tf_artifact_train_t t;
  uint32_t k;

  if (tf_artifact_train(a, &t) != TF_OK) return TF_OK;
  if (!f32_in(r + 4, 0.0f, 1.0f) || !f32_in(r, 0.0f, t.lambda_max) || !f32_finite(r + 8) ||
      !(t.learning_rate > 0.0f) || !f32_in(r + 12, 0.0f, 1.0f) || !f32_in(r + 16, 0.0f, 1.0f) ||
      !f32_in(r + 20, 0.0f, 1.0f) || t.batch_size == 0) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  if (t.eps_mode < 1 || t.eps_mode > 2) return TF_STATUS_UNKNOWN_TYPE;
  if (t.update > TF_UPDATE_SGD || t.rounding > TF_ROUNDING_STOCHASTIC) return TF_STATUS_UNKNOWN_TYPE; /* §6.6.10 */
  if (!zero(r + 29, 3)) return TF_STATUS_BAD_FIELD;
  for (k = 0; k < t.op_count; k++) {
    uint16_t idx = u16(t.ops + 2u * k);
    tf_artifact_op_t op;
    tf_artifact_tensor_t w;
    if (idx >= a->sections[0].count) return TF_STATUS_OUT_OF_RANGE;
    if (k > 0 && idx <= u16(t.ops + 2u * (k - 1u))) return TF_STATUS_BAD_FIELD;
    tf_artifact_op(a, idx, &op);
    if (op.kind > TF_OP_DENSE) return TF_STATUS_BAD_FIELD;
    tf_artifact_tensor(a, op.inputs[1], &w);
    if ((w.flags & TF_TRAINABLE) == 0) return TF_STATUS_BAD_FIELD;
  }
  return TF_OK;
}

tf_status_t tf_artifact_open(tf_artifact_t *a, const uint8_t *buf, size_t len) {
  tf_status_t rc;
  uint64_t q = 0, d = 0, ram = 0;
  uint32_t blocks = 0;
  uint32_t i;

  memset(a, 0, sizeof *a);
  a->base = buf;
  a->file_len = len;
  if (buf == NULL) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  rc = check_frame(a, buf, len); /* steps 1-3 */
  if (rc == TF_OK) rc = check_digest(a); /* step 4 */
  if (rc == TF_OK) rc = check_header(a); /* step 5 */
  if (rc == TF_OK) rc = check_sections(a); /* step 6 */
  if (rc != TF_OK) {
    goto out;
  }
  /* step 7 */
  if (a->input_tensor >= a->sections[1].count || a->output_tensor >= a->sections[1].count) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  if (a->input_tensor == a->output_tensor) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  for (i = 0; i < a->sections[1].count && rc == TF_OK; i++) {
    rc = check_tensor(a, i, &q, &d, &ram, &blocks);
  }
  if (rc != TF_OK) {
    goto out;
  }
  if (q != a->sections[2].bytes || d != a->sections[4].bytes || blocks != a->sections[4].count ||
      ram != a->ram_bytes) {
    rc = TF_STATUS_MALFORMED;
    goto out;
  }
  for (i = 0; i < a->sections[0].count && rc == TF_OK; i++) { /* step 8 */
    rc = check_op(a, i);
  }
  if (rc == TF_OK) {
    rc = check_train(a); /* step 9 */
  }
out:
  return rc;
}

uint32_t tf_artifact_op_count(const tf_artifact_t *a) {
  return a->sections[0].count;
}

uint32_t tf_artifact_tensor_count(const tf_artifact_t *a) {
  return a->sections[1].count;
}
