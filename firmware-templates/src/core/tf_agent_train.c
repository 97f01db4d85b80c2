/*
 * Training sessions of the device agent (tf_agent.h): TRAIN_START / STOP / CONFIG (PROTOCOL.md §4.4),
 * SAMPLE_BATCH with SAMPLE_CREDIT flow control (§4.3), one FQT step (tf_train.h, §6.6) per pass of
 * the main loop, TRAIN_METRICS (§4.4.6), GRAD_UPDATE (§4.4.7, §6.6.9) and TRAIN_STATUS (§4.4.5).
 */
#include "tf_agent_internal.h"

#include "tinyfleet/tf_protocol.h"

#include <string.h>

/* A pending report is emitted only while the link queue and the replay buffer have room for a whole
 * message and no kept report waits to be re-sent (PROTOCOL.md §3.6.4 item 2: backpressure, no drop). */
#define QUEUE_ROOM(a) tf_agent_report_room(a)
/* §4.3 item 2: a credit at least every 5 s while the session runs */
#define CREDIT_PERIOD_MS 5000u
/* Envelope and fields of a GRAD_UPDATE besides idx and q (upper bound). */
#define GRAD_OVERHEAD 160u
/* session.err of a session the device stopped itself because an OTA replaced its model (§4.6.1); an
 * internal mark, never on the wire: TRAIN_STATUS carries err only with FAILED (§4.4.5), and STOPPED
 * states this reason in msg. */
#define STOPPED_FOR_UPDATE 0xFFFFu
static const char UPDATE_REASON[] = "model update: the session's model is replaced by OTA (PROTOCOL.md 4.6.1)";

static bool flush(tf_agent_t *a);

bool tf_agent_fqt(const tf_agent_t *a) {
  return a->cfg.train_buf != NULL && a->cfg.train_len > 0 && a->cfg.sample_buf != NULL && a->cfg.sample_len > 0;
}

uint32_t tf_agent_sample_capacity(const tf_agent_t *a) {
  size_t per;
  size_t cap;

  if (!tf_agent_fqt(a) || a->model_status != TF_OK || a->interp.input_bytes == 0) {
    return 0;
  }
  per = (size_t)a->interp.input_bytes + 1u; /* input + label */
  cap = a->cfg.sample_len / per;
  return cap > 0xFFFFu ? 0xFFFFu : (uint32_t)cap;
}

static void copy_re(const tf_msg_str_t *re, uint8_t *buf, tf_msg_envelope_t *env) {
  if (re != NULL && re->data != NULL && re->len <= TF_MESSAGE_ID_MAX_BYTES) {
    memcpy(buf, re->data, re->len);
    env->re.data = buf;
    env->re.len = re->len;
  }
}

static void send_status(tf_agent_t *a, const tf_msg_str_t *re) {
  const tf_agent_session_t *s = &a->session;
  tf_msg_envelope_t env;
  tf_msg_train_status_t b;
  uint8_t id[8], re_copy[TF_MESSAGE_ID_MAX_BYTES];
  size_t len = 0;
  tf_status_t rc;

  tf_agent_next_id(a, id, &env, TF_MSG_TRAIN_STATUS); /* §4.4.5 */
  copy_re(re, re_copy, &env);
  memset(&b, 0, sizeof b);
  b.sid = s->sid;
  b.st = s->st;
  b.step = s->step;
  b.n = s->n;
  b.has_err = s->st == TF_TRAIN_STATE_FAILED;
  b.err = b.has_err ? s->err : 0u;
  if (s->st == TF_TRAIN_STATE_STOPPED && s->err == STOPPED_FOR_UPDATE) { /* §4.4.5 msg: the reason */
    b.msg.data = (const uint8_t *)UPDATE_REASON;
    b.msg.len = sizeof UPDATE_REASON - 1u;
  }
  rc = tf_msg_encode_train_status(&env, &b, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len); /* len is set by the encoder: a separate statement */
}

/* §4.3 item 1: grant up to next + free slots of the buffer. */
static void send_credit(tf_agent_t *a) {
  tf_agent_session_t *s = &a->session;
  tf_msg_envelope_t env;
  tf_msg_sample_credit_t b;
  uint8_t id[8];
  size_t len = 0;
  tf_status_t rc;

  tf_agent_next_id(a, id, &env, TF_MSG_SAMPLE_CREDIT);
  b.sid = s->sid;
  b.next = s->next;
  b.cr = s->cap - s->count;
  s->limit = s->next + b.cr;
  s->credit_at = a->now;
  rc = tf_msg_encode_sample_credit(&env, &b, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len); /* len is set by the encoder: a separate statement */
}

/* Ends the session: buffered samples are discarded (§4.3 item 5). */
static void end_session(tf_agent_t *a, uint8_t st, tf_status_t why) {
  a->session.st = st;
  a->session.err = st == TF_TRAIN_STATE_FAILED ? tf_status_to_error(why) : 0u;
  a->session.count = 0;
}

void tf_agent_train_model_changed(tf_agent_t *a) {
  tf_agent_session_t *s = &a->session;

  if (s->sid != 0 && s->st == TF_TRAIN_STATE_RUNNING) {
    /* §4.6.1: an OTA test boot (or a revert) replaces the model the session trains. The session ends
     * cleanly, STOPPED with the reason in msg (§4.4.5), after its last whole step; the rows of a
     * GRAD_UPDATE not yet sent belong to the old model and are dropped. The reports go out now, ahead
     * of the OTA_STATUS that answers the request, when the link queue has room (else at the next poll). */
    end_session(a, TF_TRAIN_STATE_STOPPED, TF_OK);
    s->err = STOPPED_FOR_UPDATE;
    s->status_pending = true;
    s->grad_layer = TF_TRAIN_MAX_LAYERS;
    (void)flush(a);
  }
}

/* Merges present parameters into @p c (§4.4.2, §4.4.4); OUT_OF_RANGE when the result breaks a rule. */
static tf_status_t merge(tf_train_config_t *c, tf_agent_session_t *s, const tf_msg_train_params_t *p) {
  if (p->has_lmin) c->lambda_min = p->lmin;
  if (p->has_lmax) c->lambda_max = p->lmax;
  if (p->has_lr) c->lr = p->lr;
  if (p->has_bs) c->batch_size = p->bs;
  if (p->has_eps) c->eps_mode = p->eps;
  if (p->has_ea) c->ema_activations = p->ea; /* §6.6.7: the logits tracker */
  if (p->has_ee) c->ema_errors = p->ee;
  if (p->has_ew) c->ema_weights = p->ew;
  if (p->has_gk) c->grad_kind = p->gk;
  if (p->has_upd) c->update = p->upd; /* §6.6.10 */
  if (p->has_rnd) c->rounding = p->rnd;
  if (p->has_lrb) c->lr_b = p->lrb; /* 0 (absent everywhere): lr_b follows lr */
  if (p->has_steps) s->steps = p->steps;
  if (p->has_smax) s->smax = p->smax;
  if (p->has_me) s->me = p->me;
  if (p->has_ge) s->ge = p->ge;
  if (!(c->lambda_min >= 0.0f && c->lambda_min <= c->lambda_max && c->lambda_max <= 1.0f) || !(c->lr > 0.0f) ||
      c->batch_size < 1u || c->batch_size > 256u || s->me < 1u ||
      (c->eps_mode != TF_EPS_LOSS_RATIO && c->eps_mode != TF_EPS_ERROR_RATIO) ||
      (c->grad_kind != TF_GRAD_GRADIENT && c->grad_kind != TF_GRAD_DELTA) || c->update > TF_UPDATE_SGD ||
      c->rounding > TF_ROUNDING_STOCHASTIC || !(c->lr_b >= 0.0f)) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  return TF_OK;
}

/* §4.4.2 */
static void on_start(tf_agent_t *a, const tf_msg_t *m) {
  const tf_msg_train_start_t *q = &m->u.train_start;
  tf_agent_session_t s;
  tf_train_config_t c;
  tf_artifact_train_t rec;
  uint32_t i, j;
  tf_status_t rc = TF_OK;

  if (a->session.sid != 0 && a->session.sid == q->sid) {
    send_status(a, &m->env.id); /* a repeated TRAIN_START changes nothing */
    return;
  }
  if (a->session.sid != 0 && a->session.st == TF_TRAIN_STATE_RUNNING) {
    rc = TF_STATUS_BAD_STATE; /* one session at a time */
  } else if (a->has_ota && a->ota.state == TF_OTA_STATE_TEST_BOOTING) {
    rc = TF_STATUS_BAD_STATE;
  } else if (q->msha.data != NULL && (!a->cfg.has_model || memcmp(q->msha.data, a->cfg.model_sha256, 32) != 0)) {
    rc = TF_STATUS_BAD_STATE;
  } else if (!tf_agent_fqt(a) || a->model_status != TF_OK || tf_artifact_train(&a->art, &rec) != TF_OK) {
    rc = TF_STATUS_INCOMPATIBLE;
  }
  if (rc != TF_OK) {
    tf_agent_send_error(a, &m->env.id, rc, "cannot start a training session");
    return;
  }
  /* defaults: the artifact's TRAIN record (§5.7) */
  memset(&c, 0, sizeof c);
  memset(&s, 0, sizeof s);
  c.lambda_min = rec.lambda_min, c.lambda_max = rec.lambda_max, c.lr = rec.learning_rate;
  c.ema_activations = rec.ema_activations, c.ema_errors = rec.ema_errors, c.ema_weights = rec.ema_weights;
  c.batch_size = rec.batch_size, c.eps_mode = rec.eps_mode, c.grad_kind = TF_GRAD_DELTA;
  c.update = rec.update, c.rounding = rec.rounding; /* §6.6.10: lr_b 0 = lr, seed 0 unless TRAIN_START sets them */
  c.seed = q->has_seed ? q->seed : 0u;
  s.me = 1;
  if (q->has_layers) { /* strictly ascending, a subset of the artifact's trainable ops */
    for (i = 0; i < q->layer_count && rc == TF_OK; i++) {
      bool found = false;
      for (j = 0; j < rec.op_count; j++) {
        found = found || (uint32_t)(rec.ops[2u * j] | (rec.ops[2u * j + 1u] << 8)) == q->layers[i];
      }
      if (!found || (i > 0 && q->layers[i] <= q->layers[i - 1u])) rc = TF_STATUS_OUT_OF_RANGE;
      c.layers[i] = q->layers[i];
    }
    c.layer_count = q->layer_count;
  } else {
    for (j = 0; j < rec.op_count && j < TF_TRAIN_MAX_LAYERS; j++) {
      c.layers[j] = (uint16_t)(rec.ops[2u * j] | (rec.ops[2u * j + 1u] << 8));
    }
    c.layer_count = rec.op_count;
    if (rec.op_count > TF_TRAIN_MAX_LAYERS) rc = TF_STATUS_INCOMPATIBLE;
  }
  if (rc == TF_OK) rc = merge(&c, &s, &q->p);
  if (rc == TF_OK && tf_agent_sample_capacity(a) == 0) {
    rc = TF_STATUS_NO_SPACE; /* not one sample fits the sample buffer */
  }
  if (rc == TF_OK) { /* §4.4: the session starts from the slot's weights: fresh RAM copies */
    rc = tf_interp_prepare(&a->interp, &a->art, a->cfg.arena, a->cfg.arena_len, a->cfg.ram, a->cfg.ram_len);
    if (rc == TF_OK) rc = tf_train_prepare(&a->train, &a->interp, &a->art, &c, a->cfg.arena, a->cfg.arena_len, a->cfg.train_buf,
                                         a->cfg.train_len);
    if (rc == TF_STATUS_NO_SPACE) {
      (void)tf_interp_prepare(&a->interp, &a->art, a->cfg.arena, a->cfg.arena_len, a->cfg.ram, a->cfg.ram_len);
    }
  }
  if (rc != TF_OK) {
    tf_agent_send_error(a, &m->env.id, rc, "training session refused");
    return;
  }
  s.sid = q->sid;
  s.st = TF_TRAIN_STATE_RUNNING;
  s.input_bytes = a->interp.input_bytes;
  s.cap = tf_agent_sample_capacity(a);
  s.grad_layer = TF_TRAIN_MAX_LAYERS;
  a->session = s;
  send_status(a, &m->env.id);
  send_credit(a); /* §4.3 item 2 */
}

/* §4.3 */
static void on_samples(tf_agent_t *a, const tf_msg_t *m) {
  const tf_msg_sample_batch_t *q = &m->u.sample_batch;
  tf_agent_session_t *s = &a->session;
  const tf_interp_t *it = &a->interp;
  uint8_t *labels = a->cfg.sample_buf + (size_t)s->cap * s->input_bytes;
  uint32_t n = q->shape[0], i, d;

  if (s->sid == 0 || s->sid != q->sid || s->st != TF_TRAIN_STATE_RUNNING) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_BAD_STATE, "no running session with this sid");
    return;
  }
  /* item 4: the model input's shape without its batch dimension, scale and zero point */
  for (d = 1; d < q->rank && q->rank == it->input_rank; d++) {
    if (q->shape[d] != it->input_shape[d]) break;
  }
  if (q->rank != it->input_rank || d != q->rank || q->xs_bits != it->input_scale_bits ||
      (int32_t)q->xz != it->input_zero || q->x.len != (size_t)n * s->input_bytes || q->y.len != n) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_INCOMPATIBLE, "samples differ from the model input");
    return;
  }
  for (i = 0; i < n; i++) {
    if (q->y.data[i] >= a->train.edges[a->train.chain_len].n) {
      tf_agent_send_error(a, &m->env.id, TF_STATUS_OUT_OF_RANGE, "label above the classes");
      return;
    }
  }
  /* item 3: duplicate, gap, over the grant, or kept from next on */
  if (q->seq + n <= s->next) {
    return;
  }
  if (q->seq > s->next) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_OUT_OF_RANGE, "gap: resend from next");
    return;
  }
  if ((int32_t)(q->seq + n - s->limit) > 0 || s->count + (q->seq + n - s->next) > s->cap) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_BUSY, "beyond the granted credit");
    return;
  }
  for (i = s->next - q->seq; i < n; i++) {
    uint32_t at = (s->head + s->count) % s->cap;
    memcpy(a->cfg.sample_buf + (size_t)at * s->input_bytes, q->x.data + (size_t)i * s->input_bytes, s->input_bytes);
    labels[at] = q->y.data[i];
    s->count++;
  }
  s->next = q->seq + n;
}

static void on_stop(tf_agent_t *a, const tf_msg_t *m) {
  tf_agent_session_t *s = &a->session;

  if (s->sid == 0 || s->sid != m->u.train_start.sid) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_BAD_STATE, "unknown session");
    return;
  }
  if (s->st == TF_TRAIN_STATE_RUNNING) {
    end_session(a, TF_TRAIN_STATE_STOPPED, TF_OK); /* §4.4.3: steps are whole, none in progress */
  }
  send_status(a, &m->env.id);
}

static void on_config(tf_agent_t *a, const tf_msg_t *m) {
  tf_agent_session_t *s = &a->session, ns;
  tf_train_config_t c = a->train.cfg;
  tf_status_t rc;

  if (s->sid == 0 || s->sid != m->u.train_start.sid || s->st != TF_TRAIN_STATE_RUNNING) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_BAD_STATE, "no running session with this sid");
    return;
  }
  ns = *s;
  rc = merge(&c, &ns, &m->u.train_start.p); /* §4.4.4: all or nothing, from the next step on */
  if (rc != TF_OK) {
    tf_agent_send_error(a, &m->env.id, rc, "parameters out of range");
    return;
  }
  *s = ns;
  a->train.cfg = c;
  send_status(a, &m->env.id);
  send_credit(a); /* §4.4.4: a gateway resuming its stream (§4.4.8) learns next at once */
}

void tf_agent_on_train(tf_agent_t *a, const tf_msg_t *m) {
  switch (m->env.type) {
  case TF_MSG_TRAIN_START:
    on_start(a, m);
    break;
  case TF_MSG_TRAIN_STOP:
    on_stop(a, m);
    break;
  case TF_MSG_TRAIN_CONFIG:
    on_config(a, m);
    break;
  default:
    on_samples(a, m);
    break;
  }
}

/* §4.4.7 item 5 / §6.6.9: rows per message, also bounded by the agent's message buffer. */
static uint32_t rows_per_message(uint32_t es) {
  uint32_t per = TF_MESSAGE_MAX_TENSOR_BYTES / es, dev = (TF_AGENT_MSG_BYTES - GRAD_OVERHEAD) / (es + 2u);

  per = per > TF_MESSAGE_MAX_GRAD_STRUCTURES ? TF_MESSAGE_MAX_GRAD_STRUCTURES : per;
  per = per < dev ? per : dev;
  return per;
}

/* Sends the next GRAD_UPDATE of the step; false when none is left. */
static bool send_next_grad(tf_agent_t *a) {
  tf_agent_session_t *s = &a->session;
  tf_train_t *t = &a->train;
  tf_msg_envelope_t env;
  tf_msg_grad_update_t b;
  uint8_t id[8], buf[TF_AGENT_MSG_BYTES];
  size_t len = 0;
  tf_status_t rc;
  uint32_t per, r, to;
  float qs;
  int32_t qz;

  while (s->grad_layer < t->cfg.layer_count) {
    const tf_train_layer_t *L = &t->layers[s->grad_layer];
    per = rows_per_message(L->l.es);
    if (per == 0 || s->grad_row >= L->k) { /* a row larger than a message cannot be reported */
      s->grad_layer++, s->grad_row = 0;
      continue;
    }
    to = s->grad_row + per < L->k ? s->grad_row + per : L->k;
    memset(&b, 0, sizeof b);
    for (r = s->grad_row; r < to; r++) { /* idx: uint16 LE (tag 69) */
      buf[2u * (r - s->grad_row)] = (uint8_t)L->rows[r];
      buf[2u * (r - s->grad_row) + 1u] = (uint8_t)(L->rows[r] >> 8);
    }
    b.idx.data = buf;
    b.idx.len = 2u * (to - s->grad_row);
    /* §4.4.7 item 3: qparams of this message's values */
    tf_fqt_grad_quantize(L->values + s->grad_row * L->l.es, (to - s->grad_row) * L->l.es, buf + b.idx.len, &qs, &qz);
    memcpy(&b.qs_bits, &qs, sizeof b.qs_bits);
    b.qz = (uint32_t)qz;
    b.q.data = buf + b.idx.len;
    b.q.len = (size_t)(to - s->grad_row) * L->l.es;
    b.sid = s->sid;
    b.step = s->step;
    b.layer = t->first + L->chain;
    b.kind = t->cfg.grad_kind;
    b.n = s->n;
    b.nst = L->l.n_struct;
    b.es = L->l.es;
    b.has_eps = true;
    b.eps = L->eps < 0.0f ? -L->eps : L->eps;
    tf_agent_next_id(a, id, &env, TF_MSG_GRAD_UPDATE);
    rc = tf_msg_encode_grad_update(&env, &b, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len); /* len is set by the encoder: a separate statement */
    s->grad_row = to;
    return true;
  }
  return false;
}

/* Pending reports of the last step, in order: TRAIN_METRICS, GRAD_UPDATEs, TRAIN_STATUS. */
static bool flush(tf_agent_t *a) {
  tf_agent_session_t *s = &a->session;
  tf_msg_envelope_t env;
  uint8_t id[8];
  size_t len = 0;
  tf_status_t rc;

  while (QUEUE_ROOM(a)) {
    if (s->metrics_pending) {
      tf_agent_next_id(a, id, &env, TF_MSG_TRAIN_METRICS);
      rc = tf_msg_encode_train_metrics(&env, &s->metrics, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len); /* len is set by the encoder: a separate statement */
      s->metrics_pending = false;
    } else if (send_next_grad(a)) {
      continue;
    } else if (s->status_pending) {
      send_status(a, NULL);
      s->status_pending = false;
    } else {
      return true;
    }
  }
  return false;
}

/* One step of bs samples (§6.6.2), then the reports it owes. */
static void run_step(tf_agent_t *a) {
  tf_agent_session_t *s = &a->session;
  const tf_hal_t *hal = a->cfg.hal;
  const uint8_t *labels = a->cfg.sample_buf + (size_t)s->cap * s->input_bytes;
  uint32_t bs = a->train.cfg.batch_size, i, c0, t0;
  tf_train_step_t r;
  tf_status_t rc = TF_OK;

  if (s->smax != 0 && s->smax - s->n < bs) {
    bs = s->smax - s->n; /* the last step takes the samples left to smax */
  }
  if (s->count < bs) {
    return;
  }
  c0 = hal->cycles != NULL ? hal->cycles(hal->ctx) : 0u;
  t0 = hal->millis(hal->ctx);
  for (i = 0; i < bs && rc == TF_OK; i++) {
    rc = tf_train_sample(&a->train, a->cfg.sample_buf + (size_t)s->head * s->input_bytes, labels[s->head]);
    s->head = (s->head + 1u) % s->cap;
    s->count--;
  }
  if (rc == TF_OK) rc = tf_train_step_end(&a->train, &r);
  if (rc != TF_OK) {
    end_session(a, TF_TRAIN_STATE_FAILED, rc);
    s->status_pending = true;
    return;
  }
  s->step++;
  s->n += bs;
  s->win_loss += r.loss * (float)bs; /* §4.4.6: loss and acc are means over the samples since the last report */
  s->win_correct += r.correct;
  s->win_n += bs;
  if ((s->steps != 0 && s->step >= s->steps) || (s->smax != 0 && s->n >= s->smax)) {
    end_session(a, TF_TRAIN_STATE_DONE, TF_OK);
    s->status_pending = true;
  }
  if (s->step % s->me == 0 || s->st != TF_TRAIN_STATE_RUNNING) { /* §4.4.6: every me-th and the last */
    memset(&s->metrics, 0, sizeof s->metrics);
    s->metrics.sid = s->sid;
    s->metrics.step = s->step;
    s->metrics.n = s->n;
    s->metrics.loss = s->win_loss / (float)s->win_n;
    s->metrics.acc = (float)s->win_correct / (float)s->win_n;
    s->win_loss = 0.0f, s->win_correct = 0, s->win_n = 0;
    s->metrics.ur = r.ur;
    s->metrics.cyc = hal->cycles != NULL ? (uint32_t)(hal->cycles(hal->ctx) - c0) : 0u;
    s->metrics.mem = a->train.arena_used + a->train.used + a->art.ram_bytes; /* training arena + scratch + RAM copies */
    s->metrics.us = (uint32_t)(hal->millis(hal->ctx) - t0) * 1000u;
    s->metrics_pending = true;
  }
  if (s->ge != 0 && s->step % s->ge == 0) { /* §4.4.7 item 1 */
    s->grad_layer = 0, s->grad_row = 0;
  }
  if (s->st == TF_TRAIN_STATE_RUNNING &&
      (s->count == 0 || s->next + (s->cap - s->count) - s->limit >= s->cap / 2u)) {
    send_credit(a); /* §4.3 item 2: the buffer emptied, or the grant grew by half the buffer */
  }
}

void tf_agent_train_poll(tf_agent_t *a) {
  tf_agent_session_t *s = &a->session;

  if (s->sid == 0 || !flush(a)) {
    return; /* reports of the last step first */
  }
  if (s->st != TF_TRAIN_STATE_RUNNING) {
    return;
  }
  if ((int32_t)(a->now - (s->credit_at + CREDIT_PERIOD_MS)) >= 0) {
    send_credit(a); /* §4.3 item 2: at least every 5 s */
  }
  run_step(a);
  (void)flush(a);
}
