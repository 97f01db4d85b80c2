/*
 * On-device fully quantized training (tf_train.h), PROTOCOL.md §6.6: the step of §6.6.2 over the
 * trained chain with the kernels of tf_fqt.h. Mirrors the TypeScript reference
 * (apps/cloud/src/ml/fqt/trainer.ts, backprop.ts) operation by operation.
 */
#include "tinyfleet/tf_train.h"

#include "tinyfleet/tf_protocol.h"

#include <string.h>

static uint32_t f2u(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

static void *take(tf_train_t *t, uint8_t *buf, size_t len, size_t bytes, tf_status_t *rc) {
  size_t at = (t->used + 15u) & ~(size_t)15u;

  if (*rc != TF_OK || at + bytes > len) {
    *rc = TF_STATUS_NO_SPACE;
    return NULL;
  }
  t->used = (uint32_t)(at + bytes);
  return buf + at;
}

static bool weighted(uint8_t kind) {
  return kind == TF_OP_CONV2D || kind == TF_OP_CONV1D || kind == TF_OP_DEPTHWISE_CONV2D || kind == TF_OP_DENSE;
}

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

static void edge_of(tf_train_edge_t *e, const tf_artifact_tensor_t *t) {
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
                             uint8_t *buf, size_t len) {
  tf_status_t rc = TF_OK;
  uint32_t last, j, i, max_n = 0, max_g = 1;
  tf_artifact_op_t op;
  tf_artifact_tensor_t tx, ty;

  memset(t, 0, sizeof *t);
  t->it = it;
  t->cfg = *c;
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
    max_n = tx.byte_size > max_n ? tx.byte_size : max_n;
    max_n = ty.byte_size > max_n ? ty.byte_size : max_n;
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
    max_g = L->l.n_struct * L->l.es > max_g ? L->l.n_struct * L->l.es : max_g;
  }
  if (rc != TF_OK) {
    return rc;
  }
  /* buffers: saved values, two error tensors, accumulators, per-layer rows */
  for (j = 0; j <= t->chain_len; j++) {
    t->edges[j].v = (uint8_t *)take(t, buf, len, t->edges[j].n, &rc);
  }
  t->e0 = (uint8_t *)take(t, buf, len, max_n, &rc);
  t->e1 = (uint8_t *)take(t, buf, len, max_n, &rc);
  t->acc = (int32_t *)take(t, buf, len, (size_t)max_n * 4u, &rc);
  t->gint = (int32_t *)take(t, buf, len, (size_t)max_g * 4u, &rc);
  t->p = (uint8_t *)take(t, buf, len, t->edges[t->chain_len].n, &rc);
  if (t->edges[t->chain_len].n > TF_SOFTMAX_MAX_ROW) {
    return TF_STATUS_INCOMPATIBLE;
  }
  t->softmax_scratch = (int32_t *)take(t, buf, len, tf_softmax_u8_get_buffer_size(t->edges[t->chain_len].n), &rc);
  for (i = 0; i < c->layer_count; i++) {
    tf_train_layer_t *L = &t->layers[i];
    uint32_t n = L->l.n_struct, g = n * L->l.es;
    L->mag = (uint32_t *)take(t, buf, len, (size_t)n * 4u, &rc);
    L->rows = (uint16_t *)take(t, buf, len, (size_t)n * 2u, &rc);
    L->bsum = (int32_t *)take(t, buf, len, (size_t)n * 4u, &rc);
    L->gb = (float *)take(t, buf, len, (size_t)n * 4u, &rc);
    L->grad = (float *)take(t, buf, len, (size_t)g * 4u, &rc);
    L->values = (float *)take(t, buf, len, (size_t)g * 4u, &rc);
  }
  if (rc == TF_OK) { /* §6.3.11: the integer softmax of the logits, r = s_x * LOG2E * 2^16 */
    rc = tf_requant_derive(f2u(t->edges[t->chain_len].scale), TF_F32_LOG2E_BITS, TF_F32_ONE_BITS, 16, &t->softmax.rq);
  }
  return rc;
}

/* §4.4.1 steps 2-3, §6.6.8: eps, k and the top-k structures of layer L. */
static void choose(tf_train_t *t, tf_train_layer_t *L, float loss, uint32_t bs) {
  uint32_t n = L->l.n_struct, s;
  float eps;

  if (t->cfg.eps_mode == TF_EPS_ERROR_RATIO) {
    uint64_t total = 0;
    float mean, den = (float)(n * L->positions * bs);
    for (s = 0; s < n; s++) total += L->mag[s];
    mean = (float)total / den;
    L->max_mean = mean > L->max_mean ? mean : L->max_mean;
    eps = tf_fqt_ratio(mean, L->max_mean);
  } else {
    eps = tf_fqt_ratio(loss, t->max_loss);
  }
  L->eps = eps;
  L->k = tf_fqt_updated_structures(n, t->cfg.lambda_min, t->cfg.lambda_max, eps);
  tf_fqt_topk(L->mag, n, L->k, L->rows);
}

/* §6.6.4: magnitudes, bias sums and the gradient rows of one sample for trained layer L. */
static void weight_grad(tf_train_t *t, tf_train_layer_t *L, const tf_train_op_t *o, const uint8_t *x, int32_t xz,
                        const uint8_t *e, const tf_fqt_quant_t *q, float step_loss) {
  uint32_t n = L->l.n_struct, es = L->l.es, i, r, s;
  float unit;

  tf_fqt_error_sums_u8(e, q->qp.zero, L->positions, n, L->bsum, L->mag);
  if (!L->chosen) {
    if (t->cfg.batch_size == 1) {
      choose(t, L, step_loss, 1); /* bs = 1: chosen before the gradient is computed */
    } else {
      for (s = 0; s < n; s++) L->rows[s] = (uint16_t)s;
      L->k = n;
    }
    L->chosen = true;
  }
  memset(t->gint, 0, (size_t)L->k * es * sizeof t->gint[0]);
  if (o->kind == TF_OP_DENSE) {
    (void)tf_fqt_dense_wgrad_u8(o->inputs, x, xz, e, q->qp.zero, L->rows, L->k, t->gint);
  } else if (o->kind == TF_OP_DEPTHWISE_CONV2D) {
    (void)tf_fqt_depthwise_conv2d_wgrad_u8(&o->g, x, xz, e, q->qp.zero, L->rows, L->k, t->gint);
  } else {
    (void)tf_fqt_conv2d_wgrad_u8(&o->g, x, xz, e, q->qp.zero, L->rows, L->k, t->gint);
  }
  unit = L->x_scale * q->qp.scale; /* f32(s_x * s_e) */
  for (i = 0; i < L->k * es; i++) {
    float v = unit * (float)t->gint[i];
    L->grad[i] = L->grad[i] + v;
  }
  for (r = 0; r < L->k; r++) {
    float v = q->qp.scale * (float)L->bsum[L->rows[r]];
    L->gb[r] = L->gb[r] + v;
  }
}

tf_status_t tf_train_sample(tf_train_t *t, const uint8_t *x, uint32_t label) {
  tf_interp_t *it = t->it;
  uint32_t j, c, i;
  tf_status_t rc = TF_OK;
  tf_train_edge_t *lg = &t->edges[t->chain_len];
  uint8_t *e = t->e0, *next = t->e1, *swap;
  tf_fqt_quant_t q;
  float loss, step_loss = 0.0f;
  int32_t correct;

  if (label >= lg->n) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  if (t->in_step == 0) { /* a new step: empty accumulators */
    for (i = 0; i < t->cfg.layer_count; i++) {
      tf_train_layer_t *L = &t->layers[i];
      memset(L->mag, 0, L->l.n_struct * sizeof L->mag[0]);
      memset(L->gb, 0, L->l.n_struct * sizeof L->gb[0]);
      memset(L->grad, 0, (size_t)L->l.n_struct * L->l.es * sizeof L->grad[0]);
      L->chosen = false;
      L->k = 0;
    }
  }
  /* forward (§6.3), op by op, keeping the chain's values */
  memcpy(it->input, x, it->input_bytes);
  for (j = 0; j <= t->first + t->chain_len - 1u && rc == TF_OK; j++) {
    if (j == t->first) {
      memcpy(t->edges[0].v, it->ops[j].x[0], t->edges[0].n);
    }
    rc = tf_interp_run_op(it, j);
    if (j >= t->first) {
      memcpy(t->edges[j - t->first + 1u].v, it->ops[j].y, t->edges[j - t->first + 1u].n);
    }
  }
  /* §6.6.5: loss and the logits error (a = b = 1, p = -8) */
  if (rc == TF_OK) rc = tf_fqt_loss_u8(&t->softmax, lg->n, lg->v, label, t->p, t->acc, &loss, &correct, t->softmax_scratch);
  if (rc != TF_OK) return rc;
  t->loss_sum = t->loss_sum + loss;
  t->correct += (uint32_t)correct;
  t->in_step++;
  if (t->cfg.batch_size == 1) {
    step_loss = loss;
    t->max_loss = loss > t->max_loss ? loss : t->max_loss;
  }
  rc = tf_fqt_quantize_acc(t->acc, lg->n, 1.0f, 1.0f, -8, &lg->trk, t->cfg.ema_errors, e, &q);
  /* §6.6.3: backwards from the logits to the first trained op */
  for (c = t->chain_len; c-- > 0 && rc == TF_OK;) {
    const tf_train_op_t *o = &t->ops[c];
    tf_train_edge_t *xe = &t->edges[c], *ye = &t->edges[c + 1u];
    if (weighted(o->kind)) {
      const uint8_t *w;
      float ws;
      int32_t wz;
      tf_fqt_mask_u8(ye->v, o->lower, o->upper, e, q.qp.zero, ye->n);
      if (o->layer >= 0) {
        weight_grad(t, &t->layers[o->layer], o, xe->v, xe->zero, e, &q, step_loss);
      }
      if (c == 0) break; /* §6.6.2: nothing below the first trained op */
      if (o->layer >= 0) {
        const tf_fqt_layer_t *l = &t->layers[o->layer].l;
        w = l->w, ws = l->wq.scale, wz = l->wq.zero;
      } else {
        w = (const uint8_t *)it->ops[o->index].w, ws = o->w_scale, wz = o->w_zero;
      }
      if (o->kind == TF_OP_DENSE) {
        (void)tf_fqt_dense_eprop_u8(o->inputs, o->units, w, wz, e, q.qp.zero, t->acc);
      } else if (o->kind == TF_OP_DEPTHWISE_CONV2D) {
        (void)tf_fqt_depthwise_conv2d_eprop_u8(&o->g, w, wz, e, q.qp.zero, t->acc);
      } else {
        (void)tf_fqt_conv2d_eprop_u8(&o->g, w, wz, e, q.qp.zero, t->acc);
      }
      rc = tf_fqt_quantize_acc(t->acc, xe->n, ws, q.qp.scale, 0, &xe->trk, t->cfg.ema_errors, next, &q);
      swap = e, e = next, next = swap;
    } else if (o->kind == TF_OP_RELU || o->kind == TF_OP_RELU6) {
      tf_fqt_mask_u8(ye->v, o->lower, o->upper, e, q.qp.zero, ye->n);
    } else if (o->kind == TF_OP_MAXPOOL2D) {
      tf_fqt_maxpool2d_bwd_u8(&o->pg, xe->v, e, q.qp.zero, next, t->acc);
      swap = e, e = next, next = swap;
    } else if (o->kind == TF_OP_AVGPOOL2D || o->kind == TF_OP_GLOBAL_AVGPOOL) {
      tf_fqt_avgpool2d_bwd_u8(&o->pg, e, q.qp.zero, t->acc);
      rc = tf_fqt_quantize_acc(t->acc, xe->n, q.qp.scale, 1.0f, -TF_FQT_AVG_FRAC_BITS, &xe->trk, t->cfg.ema_errors,
                               next, &q);
      swap = e, e = next, next = swap;
    } /* RESHAPE: the error keeps its bytes and qparams */
  }
  return rc;
}

tf_status_t tf_train_step_end(tf_train_t *t, tf_train_step_t *r) {
  uint32_t bs = t->in_step, i, k_sum = 0, n_sum = 0, row, j;
  float loss, fbs = (float)bs;
  tf_status_t rc = TF_OK;

  if (bs == 0) {
    return TF_STATUS_BAD_STATE;
  }
  loss = t->loss_sum / fbs;
  if (!(loss - loss == 0.0f)) {
    return TF_STATUS_OUT_OF_RANGE; /* not finite */
  }
  if (t->cfg.batch_size != 1) {
    t->max_loss = loss > t->max_loss ? loss : t->max_loss;
  }
  for (i = 0; i < t->cfg.layer_count && rc == TF_OK; i++) {
    tf_train_layer_t *L = &t->layers[i];
    tf_interp_op_t *io = &t->it->ops[t->first + L->chain];
    const tf_train_op_t *o = &t->ops[L->chain];
    uint32_t es = L->l.es;
    tf_fqt_update_t u;
    if (t->cfg.batch_size != 1) { /* §6.6.8: every structure was accumulated; choose now, mean over bs */
      choose(t, L, loss, bs);
      for (row = 0; row < L->k; row++) {
        memmove(L->grad + row * es, L->grad + (uint32_t)L->rows[row] * es, es * sizeof L->grad[0]);
        L->gb[row] = L->gb[L->rows[row]];
        for (j = 0; j < es; j++) L->grad[row * es + j] = L->grad[row * es + j] / fbs;
        L->gb[row] = L->gb[row] / fbs;
      }
    }
    if (t->cfg.grad_kind == TF_GRAD_GRADIENT) { /* §6.6.9: the mean gradient before standardization */
      memcpy(L->values, L->grad, (size_t)L->k * es * sizeof L->grad[0]);
    }
    for (row = 0; row < L->k; row++) { /* §6.6.6 step 1 (STANDARDIZED, the §6.6.10 default) */
      tf_fqt_direction(TF_FQT_STANDARDIZED, L->grad + row * es, es, L->grad + row * es);
    }
    u.idx = L->rows, u.k = L->k, u.d = L->grad, u.gb = L->gb;
    u.lr = t->cfg.lr, u.lr_b = t->cfg.lr, u.rate = t->cfg.ema_weights, u.x_scale = L->x_scale;
    u.rng = NULL; /* NEAREST (§6.6.10 default) */
    tf_fqt_update_u8(&L->l, &u, t->cfg.grad_kind == TF_GRAD_GRADIENT ? NULL : L->values);
    /* §6.2.2: the op's multiplier for r = s_x * s_w' / s_y, and its new weight zero point */
    rc = tf_requant_derive(o->x_scale_bits, f2u(L->l.wq.scale), o->y_scale_bits, 0, (tf_requant_t *)(uintptr_t)io->wq.rq);
    io->wq.w_zero = L->l.wq.zero;
    k_sum += L->k;
    n_sum += L->l.n_struct;
  }
  r->loss = loss;
  r->acc = (float)t->correct / fbs;
  r->ur = (float)k_sum / (float)n_sum;
  r->samples = bs;
  t->in_step = 0;
  t->loss_sum = 0.0f;
  t->correct = 0;
  return rc == TF_OK ? TF_OK : TF_STATUS_OUT_OF_RANGE;
}
