/*
 * On-device fully quantized training (tf_train.h), PROTOCOL.md §6.6: the session's preparation, i.e.
 * the chain check of §6.6.2, the trained layers (§6.6.1), the logits producer (§6.6.6 step 2a); the
 * memory is planned in tf_train_mem.c, the step itself runs in tf_train_step.c.
 */
#include "tf_train_int.h"

#include "tinyfleet/tf_protocol.h"

#include <string.h>

uint32_t tf_train_f2u(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}
#define f2u tf_train_f2u

bool tf_train_weighted(uint8_t kind) {
  return kind == TF_OP_CONV2D || kind == TF_OP_CONV1D || kind == TF_OP_DEPTHWISE_CONV2D || kind == TF_OP_DENSE;
}

#define weighted tf_train_weighted

/* §6.6.2: the ops with a backward pass */
static bool chain_op(uint8_t kind) {
  return weighted(kind) || kind == TF_OP_RELU || kind == TF_OP_RELU6 || kind == TF_OP_MAXPOOL2D ||
         kind == TF_OP_AVGPOOL2D || kind == TF_OP_GLOBAL_AVGPOOL || kind == TF_OP_RESHAPE;
}

/* Geometry and masks of chain op @p j from the prepared interpreter op. */
static void describe(tf_train_op_t *o, const tf_interp_op_t *io, const tf_train_edge_t *x) {
  o->lower = -1;
  o->upper = 255;
  if (o->kind == TF_OP_DENSE) {
    o->inputs = io->xd.c, o->units = io->yd.c;
    /* §6.6.3: a fused ReLU cut when act_min is the output zero point; a ReLU6 cut below 255 */
    o->lower = io->p.dense.act_min == io->p.dense.y_zero ? io->p.dense.act_min : -1;
    o->upper = io->p.dense.act_max;
  } else if (weighted(o->kind)) {
    const tf_conv_params_t *p = &io->p.conv;
    o->g.in_h = io->xd.h, o->g.in_w = io->xd.w, o->g.in_c = io->xd.c;
    o->g.out_h = io->yd.h, o->g.out_w = io->yd.w, o->g.out_c = io->yd.c;
    o->g.kernel_h = io->wd.h, o->g.kernel_w = io->wd.w;
    o->g.stride_h = p->stride_h, o->g.stride_w = p->stride_w;
    o->g.dilation_h = p->dilation_h, o->g.dilation_w = p->dilation_w;
    o->g.pad_top = p->pad_top, o->g.pad_left = p->pad_left;
    o->lower = p->act_min == p->y_zero ? p->act_min : -1;
    o->upper = p->act_max;
  } else if (o->kind == TF_OP_RELU || o->kind == TF_OP_RELU6) {
    o->lower = x->zero;
    o->upper = o->kind == TF_OP_RELU ? 255 : io->p.relu.hi;
  } else if (o->kind != TF_OP_RESHAPE) {
    o->pg.in_h = io->xd.h, o->pg.in_w = io->xd.w, o->pg.c = io->xd.c;
    if (o->kind == TF_OP_GLOBAL_AVGPOOL) {
      o->pg.out_h = 1, o->pg.out_w = 1, o->pg.window_h = io->xd.h, o->pg.window_w = io->xd.w;
      o->pg.stride_h = 1, o->pg.stride_w = 1, o->pg.pad_top = 0, o->pg.pad_left = 0;
    } else {
      o->pg.out_h = io->yd.h, o->pg.out_w = io->yd.w;
      o->pg.window_h = io->p.pool.window_h, o->pg.window_w = io->p.pool.window_w;
      o->pg.stride_h = io->p.pool.stride_h, o->pg.stride_w = io->p.pool.stride_w;
      o->pg.pad_top = io->p.pool.pad_top, o->pg.pad_left = io->p.pool.pad_left;
    }
  }
}

/*
 * §6.6.6 step 2a: chain position of the logits producer, the last weighted op when it is a DENSE,
 * CONV2D or CONV1D with the plain clamp [0, 255], an output zero point != 0 and only RESHAPE ops
 * after it; else -1.
 */
static int32_t logits_producer(const tf_train_t *t) {
  uint32_t c = t->chain_len;
  const tf_interp_op_t *io;
  int32_t lo, hi;

  while (c > 0 && t->ops[c - 1u].kind == TF_OP_RESHAPE) c--;
  if (c == 0 || !weighted(t->ops[c - 1u].kind) || t->ops[c - 1u].kind == TF_OP_DEPTHWISE_CONV2D) {
    return -1;
  }
  io = &t->it->ops[t->ops[c - 1u].index];
  lo = io->kind == TF_OP_DENSE ? io->p.dense.act_min : io->p.conv.act_min;
  hi = io->kind == TF_OP_DENSE ? io->p.dense.act_max : io->p.conv.act_max;
  /* z_y = 0 with act_min = 0 is a ReLU cut for §6.6.3: not shift invariant */
  return lo == 0 && hi == 255 && t->edges[c].zero != 0 ? (int32_t)(c - 1u) : -1;
}

static void edge_of(tf_train_edge_t *e, const tf_artifact_tensor_t *t) {
  e->v = NULL, e->err = NULL;
  e->n = t->byte_size;
  e->scale = t->scale;
  e->zero = t->zero_point;
  e->trk.lo = -1.0f, e->trk.hi = 1.0f; /* §6.6.7: error trackers start at [-1, 1] */
}

/* §6.6.1: a trained op's weight UINT8 per tensor in RAM, its bias INT32 in RAM. */
static tf_status_t check_trained(const tf_artifact_t *a, const tf_artifact_op_t *op, const tf_interp_op_t *io) {
  tf_artifact_tensor_t w, b;

  if (op->input_count < 3 || io->per_channel || io->bias == NULL) {
    return TF_STATUS_INCOMPATIBLE;
  }
  tf_artifact_tensor(a, op->inputs[1], &w);
  tf_artifact_tensor(a, op->inputs[2], &b);
  if (w.dtype != TF_DTYPE_UINT8 || w.quant != TF_QUANT_PER_TENSOR || w.storage != TF_STORAGE_RAM_COPY ||
      b.dtype != TF_DTYPE_INT32 || b.storage != TF_STORAGE_RAM_COPY) {
    return TF_STATUS_INCOMPATIBLE;
  }
  return TF_OK;
}

tf_status_t tf_train_prepare(tf_train_t *t, tf_interp_t *it, const tf_artifact_t *a, const tf_train_config_t *c,
                             uint8_t *arena, size_t arena_len, uint8_t *buf, size_t len) {
  tf_status_t rc = TF_OK;
  uint32_t last, j, i;
  tf_artifact_op_t op;
  tf_artifact_tensor_t tx, ty;

  memset(t, 0, sizeof *t);
  t->it = it;
  t->cfg = *c;
  t->rng = tf_fqt_seed(c->seed); /* §6.6.10: one generator per session */
  if (c->layer_count == 0 || c->layer_count > TF_TRAIN_MAX_LAYERS || it->op_count == 0 || c->batch_size == 0) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  t->first = c->layers[0];
  last = it->op_count - 1u;
  if (it->ops[last].kind == TF_OP_SOFTMAX && last > 0) {
    last--; /* §6.6.2: a final SOFTMAX is not part of the chain */
  }
  if (t->first > last) {
    return TF_STATUS_INCOMPATIBLE;
  }
  t->chain_len = last - t->first + 1u;
  for (j = t->first; j <= last && rc == TF_OK; j++) {
    tf_train_op_t *o = &t->ops[j - t->first];
    const tf_interp_op_t *io = &it->ops[j];
    tf_artifact_op(a, j, &op);
    o->index = j;
    o->kind = op.kind;
    o->layer = -1;
    if (!chain_op(op.kind) || (!weighted(op.kind) && op.input_count != 1) ||
        (j > t->first && it->ops[j - 1u].y != io->x[0])) {
      rc = TF_STATUS_INCOMPATIBLE; /* §6.6.2: a chain, each op reading the previous op's output */
      break;
    }
    tf_artifact_tensor(a, op.inputs[0], &tx);
    tf_artifact_tensor(a, op.output, &ty);
    if (tx.dtype != TF_DTYPE_UINT8 || ty.dtype != TF_DTYPE_UINT8) {
      rc = TF_STATUS_INCOMPATIBLE;
      break;
    }
    if (j == t->first) {
      edge_of(&t->edges[0], &tx);
    }
    edge_of(&t->edges[j - t->first + 1u], &ty);
    o->x_scale_bits = f2u(tx.scale);
    o->y_scale_bits = f2u(ty.scale);
    describe(o, io, &t->edges[j - t->first]);
    if (weighted(op.kind)) {
      tf_artifact_tensor_t w;
      if (io->per_channel) {
        rc = TF_STATUS_INCOMPATIBLE;
        break;
      }
      tf_artifact_tensor(a, op.inputs[1], &w);
      o->w_scale = w.scale;
      o->w_zero = w.zero_point;
    }
  }
  for (i = 0; i < c->layer_count && rc == TF_OK; i++) {
    uint32_t at = c->layers[i];
    tf_train_layer_t *L = &t->layers[i];
    tf_train_op_t *o;
    const tf_interp_op_t *io;
    tf_artifact_tensor_t w;
    if (at < t->first || at > last || (i > 0 && at <= c->layers[i - 1u]) || !weighted(t->ops[at - t->first].kind)) {
      rc = TF_STATUS_OUT_OF_RANGE;
      break;
    }
    o = &t->ops[at - t->first];
    io = &it->ops[at];
    tf_artifact_op(a, at, &op);
    rc = check_trained(a, &op, io);
    if (rc != TF_OK) break;
    tf_artifact_tensor(a, op.inputs[1], &w);
    o->layer = (int8_t)i;
    L->chain = at - t->first;
    L->l.w = (uint8_t *)(uintptr_t)io->w;        /* the RAM copy (RAM_COPY, checked) */
    L->l.bias = (int32_t *)(uintptr_t)io->bias;  /* idem */
    L->l.wq.scale = w.scale;
    L->l.wq.zero = w.zero_point;
    L->l.range.lo = w.scale * (float)(0 - w.zero_point); /* §6.6.7: the artifact qparams' range */
    L->l.range.hi = w.scale * (float)(255 - w.zero_point);
    if (o->kind == TF_OP_DENSE) {
      L->l.n_struct = (uint32_t)o->units, L->l.es = (uint32_t)o->inputs, L->positions = 1;
      L->l.layout = TF_FQT_ROWS;
    } else {
      bool dw = o->kind == TF_OP_DEPTHWISE_CONV2D;
      L->l.n_struct = (uint32_t)o->g.out_c;
      L->l.es = (uint32_t)(o->g.kernel_h * o->g.kernel_w * (dw ? 1 : o->g.in_c));
      L->positions = (uint32_t)(o->g.out_h * o->g.out_w);
      L->l.layout = dw ? TF_FQT_1HWC : TF_FQT_ROWS;
    }
    L->x_scale = t->edges[L->chain].scale;
  }
  if (rc != TF_OK) {
    return rc;
  }
  if (t->edges[t->chain_len].n > TF_SOFTMAX_MAX_ROW) {
    return TF_STATUS_INCOMPATIBLE;
  }
  t->producer = logits_producer(t);
  if (t->producer >= 0) { /* §6.6.7: the logits tracker starts at the artifact qparams' range */
    const tf_train_edge_t *y = &t->edges[t->producer + 1];
    t->logits_trk.lo = y->scale * (float)(0 - y->zero);
    t->logits_trk.hi = y->scale * (float)(255 - y->zero);
  }
  rc = tf_train_plan_arena(t, a, arena, arena_len);
  if (rc == TF_OK) rc = tf_train_carve(t, buf, len);
  if (rc == TF_OK) { /* §6.3.11: the integer softmax of the logits, r = s_x * LOG2E * 2^16 */
    rc = tf_requant_derive(f2u(t->edges[t->chain_len].scale), TF_F32_LOG2E_BITS, TF_F32_ONE_BITS, 16, &t->softmax.rq);
  }
  return rc;
}

