/* The model interpreter (tf_interp.h): prepare validates table 5.4.2 / 5.4.3 of PROTOCOL.md §5.4 and
 * derives the §6.2 requantizations once; invoke runs the §6.3 kernels over the §5.6 arena plan. */
#include "tinyfleet/tf_interp.h"

#include <string.h>

#define FLAG_INPUT 0x01u
#define FLAG_ERROR 0x08u
#define FLAG_SAVED 0x10u
#define SOFTMAX_OUT_SCALE_BITS 0x3B800000u /* 1/256 (§6.3.11) */

/* Prepare-time context. */
typedef struct prep {
  tf_interp_t *it;
  const tf_artifact_t *a;
  uint8_t *arena;
  uint8_t *ram;
  uint8_t *table; /* next free byte of the requantization table */
  uint8_t written[(TF_INTERP_MAX_TENSORS + 7u) / 8u];
} prep_t;

static uint32_t u32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t align16(uint32_t x) {
  return (x + 15u) & ~15u;
}

static uint32_t align8(uint32_t x) {
  return (x + 7u) & ~7u;
}

/* §5.5 offset 36: the scale of a PER_TENSOR tensor, as bits (never used as a float: §6.2.1). */
static uint32_t scale_bits(const tf_artifact_t *a, uint16_t id) {
  return u32le(a->base + a->sections[1].offset + (size_t)id * TF_ARTIFACT_TENSOR_BYTES + 36u);
}

/* Scale bits of channel c of a weight tensor (§5.5.5: q_count f32 scales first). */
static uint32_t channel_scale_bits(const tf_artifact_t *a, const tf_artifact_tensor_t *t, uint32_t c) {
  return t->quant == TF_QUANT_PER_CHANNEL ? u32le(t->qparams + 4u * c) : scale_bits(a, t->id);
}

static uint32_t elements(const tf_artifact_tensor_t *t) {
  uint32_t n = 1;
  uint32_t k;

  for (k = 0; k < t->rank; k++) {
    n *= t->shape[k];
  }
  return n;
}

static bool same_shape(const tf_artifact_tensor_t *x, const tf_artifact_tensor_t *y) {
  return x->rank == y->rank && memcmp(x->shape, y->shape, sizeof x->shape) == 0;
}

static bool same_q(const tf_artifact_t *a, const tf_artifact_tensor_t *x, const tf_artifact_tensor_t *y) {
  return scale_bits(a, x->id) == scale_bits(a, y->id) && x->zero_point == y->zero_point;
}

/* Table 5.4.3: out(n, k, s, d, p0, p1) = floor((n + p0 + p1 - d*(k-1) - 1) / s) + 1, >= 1; 0 if not. */
static uint32_t out_len(uint32_t n, uint32_t k, uint32_t s, uint32_t d, uint32_t p0, uint32_t p1) {
  int64_t num = (int64_t)n + p0 + p1 - (int64_t)d * ((int64_t)k - 1) - 1;
  return num < 0 || s == 0 ? 0u : (uint32_t)(num / s) + 1u;
}

static bool is_written(const prep_t *c, uint16_t id) {
  return (c->written[id / 8u] >> (id % 8u)) & 1u;
}

/* Bytes of the requantization table an op needs (tf_interp_ram_size and prepare agree). */
static uint32_t table_bytes(const tf_artifact_t *a, const tf_artifact_op_t *op) {
  tf_artifact_tensor_t y;

  if (op->kind <= TF_OP_DENSE) {
    tf_artifact_tensor(a, op->output, &y);
    return align8((y.rank > 0 ? y.shape[y.rank - 1u] : 1u) * (uint32_t)sizeof(tf_requant_t));
  }
  if (op->kind == TF_OP_CONCAT) {
    return align8(op->input_count * (uint32_t)sizeof(tf_concat_input_t));
  }
  return 0;
}

tf_status_t tf_interp_ram_size(const tf_artifact_t *a, uint32_t *bytes) {
  uint64_t table = 0;
  uint32_t scratch = 0;
  uint32_t i;
  tf_status_t rc = TF_OK;

  for (i = 0; i < tf_artifact_op_count(a); i++) {
    tf_artifact_op_t op;
    tf_artifact_op(a, i, &op);
    table += table_bytes(a, &op);
    if (op.kind == TF_OP_SOFTMAX) {
      tf_artifact_tensor_t x;
      tf_artifact_tensor(a, op.inputs[0], &x);
      if (x.rank > 0 && x.shape[x.rank - 1u] <= TF_SOFTMAX_MAX_ROW &&
          tf_softmax_u8_get_buffer_size(x.shape[x.rank - 1u]) > scratch) {
        scratch = tf_softmax_u8_get_buffer_size(x.shape[x.rank - 1u]);
      }
    }
  }
  table += (uint64_t)align16(a->ram_bytes) + scratch;
  if (table > 0xFFFFFFF0u) {
    rc = TF_STATUS_NO_SPACE;
  }
  *bytes = (uint32_t)table;
  return rc;
}

/* Activation input (table 5.4.2): an ARENA tensor that is the model input or written earlier. */
static tf_status_t act_in(prep_t *c, uint16_t id, tf_artifact_tensor_t *t, const uint8_t **p) {
  tf_artifact_tensor(c->a, id, t);
  if (t->storage != TF_STORAGE_ARENA || (t->flags & (FLAG_ERROR | FLAG_SAVED)) != 0 ||
      (id != c->a->input_tensor && !is_written(c, id))) {
    return TF_STATUS_BAD_FIELD;
  }
  if (t->dtype != TF_DTYPE_UINT8) {
    return TF_STATUS_INCOMPATIBLE; /* INT8 / FLOAT32 activations: not in this runtime */
  }
  *p = c->arena + t->mem_offset;
  return TF_OK;
}

/* Op output: an ARENA tensor, not the model input, written exactly once. */
static tf_status_t act_out(prep_t *c, uint16_t id, tf_artifact_tensor_t *t, uint8_t **p) {
  tf_artifact_tensor(c->a, id, t);
  if (t->storage != TF_STORAGE_ARENA || (t->flags & (FLAG_ERROR | FLAG_SAVED | FLAG_INPUT)) != 0 ||
      is_written(c, id)) {
    return TF_STATUS_BAD_FIELD;
  }
  if (t->dtype != TF_DTYPE_UINT8) {
    return TF_STATUS_INCOMPATIBLE;
  }
  c->written[id / 8u] = (uint8_t)(c->written[id / 8u] | (1u << (id % 8u)));
  if (align16(t->mem_offset + t->byte_size) > c->it->arena_required) { /* §5.6: the measured arena */
    c->it->arena_required = align16(t->mem_offset + t->byte_size);
  }
  *p = c->arena + t->mem_offset;
  return TF_OK;
}

/* Constant (weights, bias): FLASH in place, or its RAM copy. */
static tf_status_t const_in(prep_t *c, uint16_t id, tf_artifact_tensor_t *t, const uint8_t **p) {
  tf_artifact_tensor(c->a, id, t);
  if (t->storage == TF_STORAGE_FLASH) {
    *p = t->data;
  } else if (t->storage == TF_STORAGE_RAM_COPY) {
    *p = c->ram + t->mem_offset;
  } else {
    return TF_STATUS_BAD_FIELD;
  }
  return TF_OK;
}

static void dims4(const tf_artifact_tensor_t *t, tf_dims_t *d) {
  d->n = (int32_t)t->shape[0];
  d->h = (int32_t)t->shape[1];
  d->w = (int32_t)t->shape[2];
  d->c = (int32_t)t->shape[3];
}

/* [N, W, C] seen as [N, 1, W, C] (§5.4 CONV1D). */
static void dims3(const tf_artifact_tensor_t *t, tf_dims_t *d) {
  d->n = (int32_t)t->shape[0];
  d->h = 1;
  d->w = (int32_t)t->shape[1];
  d->c = (int32_t)t->shape[2];
}

/* CONV2D, DEPTHWISE_CONV2D, CONV1D, DENSE: roles, table 5.4.3 shapes, (M_c, k_c) of §6.3.1. */
static tf_status_t prep_weighted(prep_t *c, const tf_artifact_op_t *op, tf_interp_op_t *o) {
  tf_artifact_tensor_t x, w, b, y;
  const uint8_t *wp = NULL;
  const uint8_t *bp = NULL;
  uint32_t oc, ch, k;
  uint32_t sx, sy;
  tf_requant_t *rq;
  tf_status_t rc;

  rc = act_in(c, op->inputs[0], &x, &o->x[0]);
  if (rc == TF_OK) rc = const_in(c, op->inputs[1], &w, &wp);
  if (rc == TF_OK && op->input_count == 3u) rc = const_in(c, op->inputs[2], &b, &bp);
  if (rc == TF_OK) rc = act_out(c, op->output, &y, &o->y);
  if (rc != TF_OK) goto out;
  /* dtypes (table 5.4.3 notes; §6.1): UINT8 per tensor, or INT8 symmetric per tensor / per channel */
  if (w.dtype == TF_DTYPE_UINT8 && w.quant == TF_QUANT_PER_TENSOR) {
    o->per_channel = 0;
  } else if (w.dtype == TF_DTYPE_INT8 && (w.quant == TF_QUANT_PER_TENSOR || w.quant == TF_QUANT_PER_CHANNEL)) {
    o->per_channel = 1;
  } else if (w.dtype == TF_DTYPE_UINT8 && w.quant == TF_QUANT_PER_CHANNEL) {
    rc = TF_STATUS_INCOMPATIBLE;
    goto out;
  } else {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (w.quant == TF_QUANT_PER_CHANNEL && w.q_axis != (op->kind == TF_OP_DEPTHWISE_CONV2D ? 3u : 0u)) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  /* shapes, table 5.4.3 */
  rc = TF_STATUS_MALFORMED;
  if (op->kind == TF_OP_DENSE) {
    uint32_t inputs;
    if (x.rank < 2u || w.rank != 2u || y.rank != 2u) goto out;
    inputs = elements(&x) / x.shape[0];
    if (w.shape[1] != inputs || y.shape[0] != x.shape[0] || y.shape[1] != w.shape[0]) goto out;
    o->xd.n = (int32_t)x.shape[0];
    o->xd.h = o->xd.w = 1;
    o->xd.c = (int32_t)inputs;
    o->yd.n = (int32_t)y.shape[0];
    o->yd.h = o->yd.w = 1;
    o->yd.c = (int32_t)y.shape[1];
    o->p.dense.x_zero = x.zero_point;
    o->p.dense.y_zero = y.zero_point;
    o->p.dense.act_min = op->act_min;
    o->p.dense.act_max = op->act_max;
  } else {
    tf_conv_params_t *p = &o->p.conv;
    uint32_t r = op->kind == TF_OP_CONV1D ? 3u : 4u;
    if (x.rank != r || w.rank != r || y.rank != r) goto out;
    if (r == 3u) {
      dims3(&x, &o->xd);
      dims3(&w, &o->wd);
      dims3(&y, &o->yd);
    } else {
      dims4(&x, &o->xd);
      dims4(&w, &o->wd);
      dims4(&y, &o->yd);
    }
    p->stride_h = op->p16[0];
    p->stride_w = op->p16[1];
    p->dilation_h = op->p16[2];
    p->dilation_w = op->p16[3];
    p->pad_top = op->p16[4];
    p->pad_left = op->p16[5];
    p->x_zero = x.zero_point;
    p->y_zero = y.zero_point;
    p->act_min = op->act_min;
    p->act_max = op->act_max;
    if (o->wd.c != o->xd.c || o->yd.n != o->xd.n ||
        (uint32_t)o->yd.h != out_len((uint32_t)o->xd.h, (uint32_t)o->wd.h, op->p16[0], op->p16[2], op->p16[4], op->p16[6]) ||
        (uint32_t)o->yd.w != out_len((uint32_t)o->xd.w, (uint32_t)o->wd.w, op->p16[1], op->p16[3], op->p16[5], op->p16[7])) {
      goto out;
    }
    if (op->kind == TF_OP_DEPTHWISE_CONV2D ? (o->wd.n != 1 || o->yd.c != o->xd.c) : o->yd.c != o->wd.n) goto out;
  }
  oc = (uint32_t)o->yd.c;
  if (op->input_count == 3u) {
    if (b.dtype != TF_DTYPE_INT32 || ((uintptr_t)bp & 3u) != 0) {
      rc = TF_STATUS_BAD_FIELD;
      goto out;
    }
    if (b.rank != 1u || b.shape[0] != oc) goto out;
    o->bias = (const int32_t *)(const void *)bp; /* little-endian core, 4-aligned (checked) */
  } else {
    o->bias = NULL; /* §6.3.2: no bias tensor means bias 0 */
  }
  rc = TF_OK;
  o->w = wp;
  o->wq.w_zero = o->per_channel ? 0 : w.zero_point;
  /* §6.2.2: r = s_x * s_w[c] / s_y for every output channel, derived once here */
  rq = (tf_requant_t *)(void *)c->table;
  c->table += align8(oc * (uint32_t)sizeof(tf_requant_t));
  o->wq.rq = rq;
  sx = scale_bits(c->a, x.id);
  sy = scale_bits(c->a, y.id);
  ch = o->per_channel ? oc : 1u;
  for (k = 0; k < ch && rc == TF_OK; k++) {
    rc = tf_requant_derive(sx, channel_scale_bits(c->a, &w, w.quant == TF_QUANT_PER_CHANNEL ? k : 0u), sy, 0, &rq[k]);
  }
out:
  return rc;
}

/* MAXPOOL2D, AVGPOOL2D, GLOBAL_AVGPOOL, RELU, RELU6, RESHAPE, SOFTMAX: one activation in. */
static tf_status_t prep_unary(prep_t *c, const tf_artifact_op_t *op, tf_interp_op_t *o) {
  tf_artifact_tensor_t x, y;
  tf_status_t rc;

  rc = act_in(c, op->inputs[0], &x, &o->x[0]);
  if (rc == TF_OK) rc = act_out(c, op->output, &y, &o->y);
  if (rc != TF_OK) goto out;
  o->count = elements(&x);
  if (op->kind == TF_OP_SOFTMAX) {
    /* §6.3.11: output scale 1/256, zero point 0; rows over the last axis */
    if (!same_shape(&x, &y) || x.rank == 0) {
      rc = TF_STATUS_MALFORMED;
    } else if (scale_bits(c->a, y.id) != SOFTMAX_OUT_SCALE_BITS || y.zero_point != 0) {
      rc = TF_STATUS_BAD_FIELD;
    } else if (x.shape[x.rank - 1u] > TF_SOFTMAX_MAX_ROW) {
      rc = TF_STATUS_OUT_OF_RANGE;
    } else {
      o->row = x.shape[x.rank - 1u];
      o->count = elements(&x) / o->row;
      rc = tf_requant_derive(scale_bits(c->a, x.id), TF_F32_LOG2E_BITS, TF_F32_ONE_BITS, 16, &o->p.softmax.rq);
    }
    goto out;
  }
  if (!same_q(c->a, &x, &y)) { /* §6.3.5-§6.3.7, §6.3.10: equal qparams */
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  rc = TF_STATUS_MALFORMED;
  switch (op->kind) {
  case TF_OP_RELU:
  case TF_OP_RELU6:
    if (!same_shape(&x, &y)) goto out;
    o->p.relu.lo = x.zero_point;
    o->p.relu.hi = 255;
    rc = TF_OK;
    if (op->kind == TF_OP_RELU6) { /* §6.3.5: relu6_max = min(255, z + requant(6, 1.0 * 1.0 / s)) */
      tf_requant_t r6;
      rc = tf_requant_derive(TF_F32_ONE_BITS, TF_F32_ONE_BITS, scale_bits(c->a, x.id), 0, &r6);
      if (rc == TF_OK) {
        int32_t hi = x.zero_point + tf_requantize(6, &r6);
        o->p.relu.hi = hi > 255 ? 255 : hi;
      }
    }
    break;
  case TF_OP_RESHAPE:
    if (elements(&x) != elements(&y)) goto out;
    rc = x.mem_offset == y.mem_offset ? TF_OK : TF_STATUS_BAD_FIELD; /* §5.6: the output aliases x */
    break;
  case TF_OP_GLOBAL_AVGPOOL:
    if (x.rank != 4u || !((y.rank == 4u && y.shape[1] == 1u && y.shape[2] == 1u && y.shape[3] == x.shape[3]) ||
                          (y.rank == 2u && y.shape[1] == x.shape[3])) ||
        y.shape[0] != x.shape[0]) {
      goto out;
    }
    dims4(&x, &o->xd);
    rc = TF_OK;
    break;
  default: { /* MAXPOOL2D, AVGPOOL2D */
    tf_pool_params_t *p = &o->p.pool;
    if (x.rank != 4u || y.rank != 4u) goto out;
    dims4(&x, &o->xd);
    dims4(&y, &o->yd);
    p->stride_h = op->p16[0];
    p->stride_w = op->p16[1];
    p->window_h = op->p16[2];
    p->window_w = op->p16[3];
    p->pad_top = op->p16[4];
    p->pad_left = op->p16[5];
    p->act_min = op->act_min;
    p->act_max = op->act_max;
    if (o->yd.n != o->xd.n || o->yd.c != o->xd.c ||
        (uint32_t)o->yd.h != out_len(x.shape[1], op->p16[2], op->p16[0], 1u, op->p16[4], op->p16[6]) ||
        (uint32_t)o->yd.w != out_len(x.shape[2], op->p16[3], op->p16[1], 1u, op->p16[5], op->p16[7])) {
      goto out;
    }
    rc = TF_OK;
    break;
  }
  }
out:
  return rc;
}

/* ADD (§6.3.8): m = max(s_a, s_b); positive float32 bits order like their values. */
static tf_status_t prep_add(prep_t *c, const tf_artifact_op_t *op, tf_interp_op_t *o) {
  tf_artifact_tensor_t a, b, y;
  uint32_t sa, sb, m;
  tf_add_params_t *p = &o->p.add;
  tf_status_t rc;

  rc = act_in(c, op->inputs[0], &a, &o->x[0]);
  if (rc == TF_OK) rc = act_in(c, op->inputs[1], &b, &o->x[1]);
  if (rc == TF_OK) rc = act_out(c, op->output, &y, &o->y);
  if (rc != TF_OK) goto out;
  if (!same_shape(&a, &b) || !same_shape(&a, &y)) {
    rc = TF_STATUS_MALFORMED;
    goto out;
  }
  o->count = elements(&a);
  sa = scale_bits(c->a, a.id);
  sb = scale_bits(c->a, b.id);
  m = sa > sb ? sa : sb;
  p->a_zero = a.zero_point;
  p->b_zero = b.zero_point;
  p->y_zero = y.zero_point;
  rc = tf_requant_derive(sa, TF_F32_ONE_BITS, m, -1, &p->a);
  if (rc == TF_OK) rc = tf_requant_derive(sb, TF_F32_ONE_BITS, m, -1, &p->b);
  if (rc == TF_OK) rc = tf_requant_derive(m, TF_F32_ONE_BITS, scale_bits(c->a, y.id), 1 - TF_ADD_LEFT_SHIFT, &p->y);
out:
  return rc;
}

/* CONCAT (§6.3.9) along `axis`: same rank, equal except on axis, y the sum along it. */
static tf_status_t prep_concat(prep_t *c, const tf_artifact_op_t *op, tf_interp_op_t *o) {
  tf_artifact_tensor_t x, y;
  tf_concat_input_t *in;
  uint32_t axis = op->p16[0];
  uint32_t k, d, sum = 0, inner = 1, outer = 1;
  tf_status_t rc = TF_OK;

  tf_artifact_tensor(c->a, op->output, &y); /* inputs are checked before the output is marked */
  if (axis >= y.rank) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  for (d = 0; d < y.rank; d++) {
    if (d < axis) outer *= y.shape[d];
    if (d > axis) inner *= y.shape[d];
  }
  in = (tf_concat_input_t *)(void *)c->table;
  c->table += align8(op->input_count * (uint32_t)sizeof(tf_concat_input_t));
  o->p.concat.in = in;
  o->p.concat.y_zero = y.zero_point;
  o->count = outer;
  for (k = 0; k < op->input_count && rc == TF_OK; k++) {
    rc = act_in(c, op->inputs[k], &x, &in[k].x);
    if (rc != TF_OK) break;
    for (d = 0; d < y.rank && rc == TF_OK; d++) {
      if (x.rank != y.rank || (d != axis && x.shape[d] != y.shape[d])) rc = TF_STATUS_MALFORMED;
    }
    if (rc != TF_OK) break;
    sum += x.shape[axis];
    in[k].chunk = x.shape[axis] * inner;
    in[k].x_zero = x.zero_point;
    in[k].requant = !same_q(c->a, &x, &y);
    in[k].rq.multiplier = 0;
    in[k].rq.shift = 0;
    if (in[k].requant) { /* r = s_x / s_y */
      rc = tf_requant_derive(scale_bits(c->a, x.id), TF_F32_ONE_BITS, scale_bits(c->a, y.id), 0, &in[k].rq);
    }
  }
  if (rc == TF_OK && sum != y.shape[axis]) rc = TF_STATUS_MALFORMED;
  if (rc == TF_OK) rc = act_out(c, op->output, &y, &o->y);
out:
  return rc;
}

tf_status_t tf_interp_prepare(tf_interp_t *it, const tf_artifact_t *a, uint8_t *arena, size_t arena_len,
                              uint8_t *ram, size_t ram_len) {
  prep_t c; /* TF_INTERP_MAX_TENSORS / 8 bytes of bitmap on the stack */
  tf_artifact_tensor_t t;
  const uint16_t one = 1;
  uint32_t i, ram_need = 0;
  tf_status_t rc;

  memset(it, 0, sizeof *it);
  memset(&c, 0, sizeof c);
  it->art = a;
  c.it = it;
  c.a = a;
  c.arena = arena;
  c.ram = ram;
  rc = tf_interp_ram_size(a, &ram_need);
  if (rc != TF_OK) goto out;
  it->ram_required = ram_need;
  if (*(const uint8_t *)&one != 1u || ((uintptr_t)a->base & 3u) != 0 || ((uintptr_t)arena & 3u) != 0 ||
      ((uintptr_t)ram & 7u) != 0) {
    rc = TF_STATUS_BAD_FIELD; /* little-endian core, aligned buffers (tf_interp.h) */
    goto out;
  }
  if (tf_artifact_op_count(a) > TF_INTERP_MAX_OPS || tf_artifact_tensor_count(a) > TF_INTERP_MAX_TENSORS ||
      arena_len < a->arena_infer_bytes || ram_len < ram_need) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  c.table = ram + align16(a->ram_bytes);
  /* §5.6: copy every RAM_COPY tensor from its DATA block to the RAM region */
  for (i = 0; i < tf_artifact_tensor_count(a); i++) {
    tf_artifact_tensor(a, i, &t);
    if (t.storage == TF_STORAGE_RAM_COPY) {
      memcpy(ram + t.mem_offset, t.data, t.byte_size);
    }
  }
  /* the model input: UINT8, per tensor, in the arena */
  tf_artifact_tensor(a, a->input_tensor, &t);
  if (t.dtype != TF_DTYPE_UINT8 || t.quant != TF_QUANT_PER_TENSOR || t.storage != TF_STORAGE_ARENA) {
    rc = TF_STATUS_INCOMPATIBLE;
    goto out;
  }
  it->input = arena + t.mem_offset;
  it->input_bytes = t.byte_size;
  it->input_zero = t.zero_point;
  it->input_scale_bits = scale_bits(a, t.id);
  it->input_rank = t.rank;
  memcpy(it->input_shape, t.shape, sizeof it->input_shape);
  it->arena_required = align16(t.mem_offset + t.byte_size);
  it->op_count = tf_artifact_op_count(a);
  for (i = 0; i < it->op_count && rc == TF_OK; i++) {
    tf_artifact_op_t op;
    tf_interp_op_t *o = &it->ops[i];
    tf_artifact_op(a, i, &op);
    o->kind = op.kind;
    o->n_in = op.input_count;
    switch (op.kind) {
    case TF_OP_CONV2D:
    case TF_OP_DEPTHWISE_CONV2D:
    case TF_OP_CONV1D:
    case TF_OP_DENSE:
      rc = prep_weighted(&c, &op, o);
      break;
    case TF_OP_ADD:
      rc = prep_add(&c, &op, o);
      break;
    case TF_OP_CONCAT:
      rc = prep_concat(&c, &op, o);
      break;
    default:
      rc = prep_unary(&c, &op, o);
      break;
    }
  }
  if (rc != TF_OK) goto out;
  /* the scratch follows the table */
  it->scratch = (int32_t *)(void *)c.table;
  if (!is_written(&c, a->output_tensor)) { /* §5.4: the model output is written by some op */
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  tf_artifact_tensor(a, a->output_tensor, &t);
  it->output = arena + t.mem_offset;
  it->output_bytes = t.byte_size;
  it->output_zero = t.zero_point;
  it->output_scale_bits = scale_bits(a, t.id);
  if (it->arena_required > arena_len) {
    rc = TF_STATUS_NO_SPACE;
  }
out:
  if (rc != TF_OK) {
    it->op_count = 0;
  }
  return rc;
}

tf_status_t tf_interp_invoke(tf_interp_t *it, const uint8_t *x, size_t len) {
  tf_status_t rc = TF_OK;
  uint32_t i;

  if (it->op_count == 0) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  if (len != it->input_bytes) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  if (x != it->input) {
    memcpy(it->input, x, len);
  }
  for (i = 0; i < it->op_count && rc == TF_OK; i++) {
    rc = tf_interp_run_op(it, i);
  }
out:
  return rc;
}

tf_status_t tf_interp_run_op(tf_interp_t *it, uint32_t i) {
  const tf_interp_op_t *o = &it->ops[i];
  tf_status_t rc = TF_OK;

  switch (o->kind) {
  case TF_OP_CONV2D:
    rc = o->per_channel ? tf_conv2d_pc_u8(&o->p.conv, &o->wq, &o->xd, o->x[0], &o->wd, (const int8_t *)o->w, o->bias, &o->yd, o->y)
                        : tf_conv2d_u8(&o->p.conv, &o->wq, &o->xd, o->x[0], &o->wd, (const uint8_t *)o->w, o->bias, &o->yd, o->y);
    break;
  case TF_OP_DEPTHWISE_CONV2D:
    rc = o->per_channel
             ? tf_depthwise_conv2d_pc_u8(&o->p.conv, &o->wq, &o->xd, o->x[0], &o->wd, (const int8_t *)o->w, o->bias, &o->yd, o->y)
             : tf_depthwise_conv2d_u8(&o->p.conv, &o->wq, &o->xd, o->x[0], &o->wd, (const uint8_t *)o->w, o->bias, &o->yd, o->y);
    break;
  case TF_OP_CONV1D:
    rc = o->per_channel ? tf_conv1d_pc_u8(&o->p.conv, &o->wq, &o->xd, o->x[0], &o->wd, (const int8_t *)o->w, o->bias, &o->yd, o->y)
                        : tf_conv1d_u8(&o->p.conv, &o->wq, &o->xd, o->x[0], &o->wd, (const uint8_t *)o->w, o->bias, &o->yd, o->y);
    break;
  case TF_OP_DENSE:
    rc = o->per_channel ? tf_dense_pc_u8(&o->p.dense, &o->wq, o->xd.n, o->xd.c, o->x[0], o->yd.c, (const int8_t *)o->w, o->bias, o->y)
                        : tf_dense_u8(&o->p.dense, &o->wq, o->xd.n, o->xd.c, o->x[0], o->yd.c, (const uint8_t *)o->w, o->bias, o->y);
    break;
  case TF_OP_RELU:
    rc = tf_relu_u8(&o->p.relu, o->x[0], o->y, o->count);
    break;
  case TF_OP_RELU6:
    rc = tf_relu6_u8(&o->p.relu, o->x[0], o->y, o->count);
    break;
  case TF_OP_MAXPOOL2D:
    rc = tf_maxpool2d_u8(&o->p.pool, &o->xd, o->x[0], &o->yd, o->y);
    break;
  case TF_OP_AVGPOOL2D:
    rc = tf_avgpool2d_u8(&o->p.pool, &o->xd, o->x[0], &o->yd, o->y);
    break;
  case TF_OP_GLOBAL_AVGPOOL:
    rc = tf_global_avgpool_u8(&o->xd, o->x[0], o->y);
    break;
  case TF_OP_ADD:
    rc = tf_add_u8(&o->p.add, o->x[0], o->x[1], o->y, o->count);
    break;
  case TF_OP_CONCAT:
    rc = tf_concat_u8(o->p.concat.in, o->n_in, o->count, o->p.concat.y_zero, o->y);
    break;
  case TF_OP_RESHAPE:
    rc = tf_reshape_u8(o->x[0], o->y, o->count);
    break;
  case TF_OP_SOFTMAX:
    rc = tf_softmax_u8(&o->p.softmax, o->count, o->row, o->x[0], o->y, it->scratch);
    break;
  default:
    rc = TF_STATUS_INTERNAL;
    break;
  }
  return rc;
}

uint32_t tf_interp_supported_ops(uint8_t *ops, uint32_t cap) {
  uint32_t k, n = 0;

  for (k = TF_OP_CONV2D; k <= TF_OP_SOFTMAX; k++) { /* every kind of §5.4 */
    if (n < cap) {
      ops[n] = (uint8_t)k;
    }
    n++;
  }
  return n;
}
