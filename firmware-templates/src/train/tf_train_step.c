/*
 * On-device fully quantized training (tf_train.h), PROTOCOL.md §6.6: the step of §6.6.2 over the
 * trained chain with the kernels of tf_fqt.h, on the buffers tf_train.c planned (SAVED / ERROR tensors
 * in the arena, scratch in the caller's buffer). Mirrors the TypeScript reference
 * (apps/cloud/src/ml/fqt/trainer.ts, backprop.ts) operation by operation.
 */
#include "tf_train_int.h"

#include "tinyfleet/tf_protocol.h"

#include <string.h>

#define f2u tf_train_f2u
#define weighted tf_train_weighted

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
  unit = L->x_scale * q->qp.scale; /* f32(s_x * s_e) */
  for (r = 0; r < L->k; r++) { /* one row at a time: G of one structure in the int32 row */
    float *grad = L->grad + r * es;
    memset(t->gint, 0, es * sizeof t->gint[0]);
    if (o->kind == TF_OP_DENSE) {
      (void)tf_fqt_dense_wgrad_u8(o->inputs, x, xz, e, q->qp.zero, L->rows + r, 1u, t->gint);
    } else if (o->kind == TF_OP_DEPTHWISE_CONV2D) {
      (void)tf_fqt_depthwise_conv2d_wgrad_u8(&o->g, x, xz, e, q->qp.zero, L->rows + r, 1u, t->gint);
    } else {
      (void)tf_fqt_conv2d_wgrad_u8(&o->g, x, xz, e, q->qp.zero, L->rows + r, 1u, t->gint);
    }
    for (i = 0; i < es; i++) { /* §6.6.4: g = f32(g + f32(f32(s_x * s_e) * f(G))) */
      float v = unit * (float)t->gint[i];
      grad[i] = grad[i] + v;
    }
  }
  for (r = 0; r < L->k; r++) {
    float v = q->qp.scale * (float)L->bsum[L->rows[r]];
    L->gb[r] = L->gb[r] + v;
  }
}

/* Weights, zero point and scale of weighted chain op @p o (trained: the RAM copy being trained). */
static const uint8_t *weights_of(const tf_train_t *t, const tf_train_op_t *o, int32_t *zero, float *scale) {
  if (o->layer >= 0) {
    const tf_fqt_layer_t *l = &t->layers[o->layer].l;
    *zero = l->wq.zero, *scale = l->wq.scale;
    return l->w;
  }
  *zero = o->w_zero, *scale = o->w_scale;
  return (const uint8_t *)t->it->ops[o->index].w;
}

/* §6.6.7: folds the logits producer's forward accumulators of this sample into logits_obs (its input
 * is live in the arena right after it ran). */
static void observe_logits(tf_train_t *t) {
  const tf_train_op_t *o = &t->ops[t->producer];
  const tf_interp_op_t *io = &t->it->ops[o->index];
  int32_t wz;
  float ws;
  const uint8_t *w = weights_of(t, o, &wz, &ws);
  const tf_fqt_conv_geom_t *g = o->kind == TF_OP_DENSE ? NULL : &o->g;

  tf_fqt_acc_bounds_u8(g, o->inputs, o->units, io->x[0], t->edges[t->producer].zero, w, wz, io->bias,
                       &t->logits_obs);
}

/*
 * §6.6.7: after the step's samples, before the update: tracker, then the logits' new qparams for the
 * producer's output stage, the RESHAPEs after it, the loss softmax and the model's SOFTMAX / output.
 */
static tf_status_t track_logits(tf_train_t *t) {
  const tf_train_op_t *o = &t->ops[t->producer];
  tf_interp_op_t *io = &t->it->ops[o->index];
  tf_fqt_bounds_t *b = &t->logits_obs;
  tf_fqt_qparams_t qp;
  uint32_t c, last = t->first + t->chain_len - 1u;
  int32_t wz;
  float ws, u;
  tf_status_t rc;

  (void)weights_of(t, o, &wz, &ws);
  u = t->edges[t->producer].scale * ws; /* f32(s_x * s_w), step-start weights */
  if (b->n > 0u) {
    tf_fqt_range_update(&t->logits_trk, u * (float)b->mn, u * (float)b->mx, t->cfg.ema_activations);
  }
  b->n = 0u;
  qp = tf_fqt_range_qparams(&t->logits_trk);
  for (c = (uint32_t)t->producer + 1u; c <= t->chain_len; c++) {
    t->edges[c].scale = qp.scale, t->edges[c].zero = qp.zero;
  }
  t->ops[t->producer].y_scale_bits = f2u(qp.scale);
  if (o->kind == TF_OP_DENSE) {
    io->p.dense.y_zero = qp.zero;
  } else {
    io->p.conv.y_zero = qp.zero;
  }
  rc = tf_requant_derive(f2u(qp.scale), TF_F32_LOG2E_BITS, TF_F32_ONE_BITS, 16, &t->softmax.rq);
  if (rc == TF_OK && last + 1u < t->it->op_count && t->it->ops[last + 1u].kind == TF_OP_SOFTMAX) {
    t->it->ops[last + 1u].p.softmax.rq = t->softmax.rq; /* the model's SOFTMAX reads the logits */
  } else if (rc == TF_OK) {
    t->it->output_scale_bits = f2u(qp.scale), t->it->output_zero = qp.zero; /* the logits are the output */
  }
  if (rc == TF_OK && o->layer < 0) { /* a producer that is not trained: its multiplier now */
    rc = tf_requant_derive(o->x_scale_bits, f2u(ws), o->y_scale_bits, 0, (tf_requant_t *)(uintptr_t)io->wq.rq);
  }
  return rc;
}

/* A new step: empty accumulators; NO_SPACE when cfg changed to need more rows than the scratch holds. */
static tf_status_t begin_step(tf_train_t *t) {
  uint32_t i;

  for (i = 0; i < t->cfg.layer_count; i++) {
    tf_train_layer_t *L = &t->layers[i];
    if (tf_train_rows(&t->cfg, L->l.n_struct) > L->cap) {
      return TF_STATUS_NO_SPACE;
    }
    memset(L->mag, 0, L->l.n_struct * sizeof L->mag[0]);
    memset(L->gb, 0, L->cap * sizeof L->gb[0]);
    memset(L->grad, 0, (size_t)L->cap * L->l.es * sizeof L->grad[0]);
    L->chosen = false;
    L->k = 0;
  }
  return TF_OK;
}

/* Forward (§6.3) op by op; after the op writing a chain value, its SAVED copy (§5.6). */
static tf_status_t forward(tf_train_t *t, const uint8_t *x) {
  tf_interp_t *it = t->it;
  uint32_t j, last = t->first + t->chain_len - 1u;
  tf_status_t rc = TF_OK;

  memcpy(it->input, x, it->input_bytes);
  for (j = 0; j <= last && rc == TF_OK; j++) {
    if (j == t->first && t->edges[0].v != NULL) {
      memcpy(t->edges[0].v, it->ops[j].x[0], t->edges[0].n);
    }
    rc = tf_interp_run_op(it, j);
    if (j >= t->first) { /* a RESHAPE output shares its input's SAVED copy when that one was made */
      tf_train_edge_t *y = &t->edges[j - t->first + 1u];
      if (y->v != NULL && y->v != y[-1].v) memcpy(y->v, it->ops[j].y, y->n);
    }
    if (rc == TF_OK && j >= t->first && (int32_t)(j - t->first) == t->producer && t->cfg.ema_activations > 0.0f) {
      observe_logits(t); /* §6.6.7: the producer's accumulators, step-start weights */
    }
  }
  return rc;
}

/* §6.6.3 backward of weighted chain op c: mask, weight gradient, error of its input into `next`. */
static tf_status_t backward_weighted(tf_train_t *t, uint32_t c, tf_fqt_quant_t *q, float step_loss) {
  const tf_train_op_t *o = &t->ops[c];
  tf_train_edge_t *xe = &t->edges[c], *ye = &t->edges[c + 1u];
  const uint8_t *w;
  float ws;
  int32_t wz;

  if (o->lower >= 0 || o->upper < 255) tf_fqt_mask_u8(ye->v, o->lower, o->upper, ye->err, q->qp.zero, ye->n);
  if (o->layer >= 0) {
    weight_grad(t, &t->layers[o->layer], o, xe->v, xe->zero, ye->err, q, step_loss);
  }
  if (c == 0) return TF_OK; /* §6.6.2: nothing below the first trained op */
  w = weights_of(t, o, &wz, &ws);
  if (o->kind == TF_OP_DENSE) {
    (void)tf_fqt_dense_eprop_u8(o->inputs, o->units, w, wz, ye->err, q->qp.zero, t->acc);
  } else if (o->kind == TF_OP_DEPTHWISE_CONV2D) {
    (void)tf_fqt_depthwise_conv2d_eprop_u8(&o->g, w, wz, ye->err, q->qp.zero, t->acc);
  } else {
    (void)tf_fqt_conv2d_eprop_u8(&o->g, w, wz, ye->err, q->qp.zero, t->acc);
  }
  return tf_fqt_quantize_acc(t->acc, xe->n, ws, q->qp.scale, 0, &xe->trk, t->cfg.ema_errors, xe->err, q);
}

tf_status_t tf_train_sample(tf_train_t *t, const uint8_t *x, uint32_t label) {
  uint32_t c;
  tf_status_t rc = TF_OK;
  tf_train_edge_t *lg = &t->edges[t->chain_len];
  tf_fqt_quant_t q;
  float loss, step_loss = 0.0f;
  int32_t correct;

  if (label >= lg->n) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  if (t->in_step == 0) rc = begin_step(t);
  if (rc == TF_OK) rc = forward(t, x);
  /* §6.6.5: loss and the logits error (a = b = 1, p = -8), from the logits still in the arena */
  if (rc == TF_OK) {
    rc = tf_fqt_loss_u8(&t->softmax, lg->n, t->it->ops[t->first + t->chain_len - 1u].y, label, t->p, t->acc, &loss,
                        &correct, t->softmax_scratch);
  }
  if (rc != TF_OK) return rc;
  t->loss_sum = t->loss_sum + loss;
  t->correct += (uint32_t)correct;
  t->in_step++;
  if (t->cfg.batch_size == 1) {
    step_loss = loss;
    t->max_loss = loss > t->max_loss ? loss : t->max_loss;
  }
  rc = tf_fqt_quantize_acc(t->acc, lg->n, 1.0f, 1.0f, -8, &lg->trk, t->cfg.ema_errors, lg->err, &q);
  /* §6.6.3: backwards from the logits to the first trained op; each error in its ERROR tensor */
  for (c = t->chain_len; c-- > 0 && rc == TF_OK;) {
    const tf_train_op_t *o = &t->ops[c];
    tf_train_edge_t *xe = &t->edges[c], *ye = &t->edges[c + 1u];
    if (weighted(o->kind)) {
      rc = backward_weighted(t, c, &q, step_loss);
      if (c == 0) break;
    } else if (o->kind == TF_OP_RELU || o->kind == TF_OP_RELU6) {
      tf_fqt_mask_u8(ye->v, o->lower, o->upper, ye->err, q.qp.zero, ye->n);
      memcpy(xe->err, ye->err, xe->n); /* the same qparams, the input's ERROR tensor */
    } else if (o->kind == TF_OP_MAXPOOL2D) {
      tf_fqt_maxpool2d_bwd_u8(&o->pg, xe->v, ye->err, q.qp.zero, xe->err, t->acc);
    } else if (o->kind == TF_OP_AVGPOOL2D || o->kind == TF_OP_GLOBAL_AVGPOOL) {
      tf_fqt_avgpool2d_bwd_u8(&o->pg, ye->err, q.qp.zero, t->acc);
      rc = tf_fqt_quantize_acc(t->acc, xe->n, q.qp.scale, 1.0f, -TF_FQT_AVG_FRAC_BITS, &xe->trk, t->cfg.ema_errors,
                               xe->err, &q);
    } /* RESHAPE: the error keeps its bytes, qparams and ERROR tensor (the shared buffer's) */
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
  if (t->producer >= 0 && t->cfg.ema_activations > 0.0f) {
    rc = track_logits(t); /* §6.6.7: before the update */
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
    /* §6.6.6 steps 1-4 with the session's rule, bias rate and rounding (§6.6.10); DELTA rows replace the
     * gradient rows, GRADIENT keeps them (§6.6.9: the mean gradient before standardization) */
    u.idx = L->rows, u.k = L->k, u.g = L->grad, u.rule = (tf_fqt_rule_t)t->cfg.update, u.stats = t->stats;
    u.gb = L->gb, u.lr = t->cfg.lr, u.lr_b = t->cfg.lr_b > 0.0f ? t->cfg.lr_b : t->cfg.lr;
    u.rate = t->cfg.ema_weights, u.x_scale = L->x_scale;
    u.rng = t->cfg.rounding == TF_ROUNDING_STOCHASTIC ? &t->rng : NULL;
    u.mean = t->producer == (int32_t)L->chain ? t->mean : NULL; /* §6.6.6 step 2a */
    tf_fqt_update_u8(&L->l, &u, t->cfg.grad_kind == TF_GRAD_GRADIENT ? NULL : L->grad);
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
  r->correct = t->correct;
  t->in_step = 0;
  t->loss_sum = 0.0f;
  t->correct = 0;
  return rc == TF_OK ? TF_OK : TF_STATUS_OUT_OF_RANGE;
}
