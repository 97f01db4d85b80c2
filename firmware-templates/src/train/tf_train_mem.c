/*
 * On-device fully quantized training (tf_train.h): the memory of a session. The training plan of the
 * artifact (§5.6: SAVED copies and ERROR tensors at their offsets in the arena) and the scratch carved
 * out of the caller's buffer, in the order tf_train.h lists (apps/cloud/src/ml/plan/training.ts
 * `trainScratchBytes` counts the same bytes).
 */
#include "tf_train_int.h"

#include "tinyfleet/tf_protocol.h"

#include <string.h>

#define weighted tf_train_weighted

uint32_t tf_train_rows(const tf_train_config_t *c, uint32_t n) {
  /* §6.6.8: k is largest at |eps| = 1 (every step of §4.4.1 step 3 is monotonic in |eps| <= 1) */
  return c->batch_size == 1u ? tf_fqt_updated_structures(n, c->lambda_min, c->lambda_max, 1.0f) : n;
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

/* The SAVED (@p flag SAVED) or ERROR tensor whose ref is @p root, at its arena offset; NULL if none. */
static uint8_t *extra(const tf_artifact_t *a, uint16_t flag, uint32_t root, uint32_t n, uint8_t *arena,
                      size_t arena_len, uint32_t *end, tf_status_t *rc) {
  uint32_t i, count = tf_artifact_tensor_count(a);
  tf_artifact_tensor_t x;

  for (i = 0; i < count; i++) {
    tf_artifact_tensor(a, i, &x);
    if ((x.flags & flag) == 0u || x.ref != root) continue;
    if (x.byte_size != n || x.storage != TF_STORAGE_ARENA) {
      *rc = TF_STATUS_INCOMPATIBLE;
      return NULL;
    }
    if ((uint64_t)x.mem_offset + x.byte_size > arena_len) {
      *rc = TF_STATUS_NO_SPACE; /* §5.6: the arena must hold arena_train_bytes */
      return NULL;
    }
    *end = ((x.mem_offset + x.byte_size + 15u) & ~15u) > *end ? (x.mem_offset + x.byte_size + 15u) & ~15u : *end;
    return arena + x.mem_offset;
  }
  return NULL;
}

/*
 * §5.6: the chain's SAVED copies (the input of a trained op, the output of a masking op, the input of a
 * MAXPOOL2D) and ERROR tensors (every edge above the first trained op), by root buffer (a RESHAPE
 * shares its input's), at their planned offsets in the arena.
 */
tf_status_t tf_train_plan_arena(tf_train_t *t, const tf_artifact_t *a, uint8_t *arena, size_t arena_len) {
  tf_status_t rc = TF_OK;
  uint32_t c, root[TF_INTERP_MAX_OPS + 1u], end = t->it->arena_required;
  tf_artifact_op_t op;

  if (arena == NULL || (uint64_t)t->it->arena_required > arena_len) {
    return TF_STATUS_NO_SPACE;
  }
  tf_artifact_op(a, t->first, &op);
  root[0] = op.inputs[0];
  for (c = 0; c < t->chain_len; c++) {
    tf_artifact_op(a, t->first + c, &op);
    root[c + 1u] = t->ops[c].kind == TF_OP_RESHAPE ? root[c] : op.output;
  }
  for (c = 0; c <= t->chain_len && rc == TF_OK; c++) {
    tf_train_edge_t *e = &t->edges[c];
    const tf_train_op_t *reader = c < t->chain_len ? &t->ops[c] : NULL, *writer = c > 0 ? &t->ops[c - 1u] : NULL;
    bool save = reader != NULL && ((weighted(reader->kind) && reader->layer >= 0) || reader->kind == TF_OP_MAXPOOL2D);
    save = save || (writer != NULL && writer->kind != TF_OP_RESHAPE && (writer->lower >= 0 || writer->upper < 255));
    if (save) {
      e->v = extra(a, TF_TENSOR_FLAG_SAVED, root[c], e->n, arena, arena_len, &end, &rc);
      if (rc == TF_OK && e->v == NULL) rc = TF_STATUS_INCOMPATIBLE; /* not in the artifact's plan */
    }
    if (rc == TF_OK && c > 0) {
      e->err = extra(a, TF_TENSOR_FLAG_ERROR, root[c], e->n, arena, arena_len, &end, &rc);
      if (rc == TF_OK && e->err == NULL) rc = TF_STATUS_INCOMPATIBLE;
    }
  }
  t->arena_used = end;
  return rc;
}

/* The scratch of tf_train.h, in its order (the planner's trainScratchBytes counts the same). */
tf_status_t tf_train_carve(tf_train_t *t, uint8_t *buf, size_t len) {
  tf_status_t rc = TF_OK;
  uint32_t c, i, acc = t->edges[t->chain_len].n, es = 1, rows = 1;

  for (c = 1; c < t->chain_len; c++) { /* §6.6.3: the accumulators of every propagating op */
    const tf_train_op_t *o = &t->ops[c];
    uint32_t n = t->edges[c].n;
    if (o->kind == TF_OP_MAXPOOL2D) n = tf_fqt_maxpool2d_bwd_get_buffer_size(&o->pg) / 4u;
    else if (!weighted(o->kind) && o->kind != TF_OP_AVGPOOL2D && o->kind != TF_OP_GLOBAL_AVGPOOL) n = 0;
    acc = n > acc ? n : acc;
  }
  for (i = 0; i < t->cfg.layer_count; i++) {
    tf_train_layer_t *L = &t->layers[i];
    L->cap = tf_train_rows(&t->cfg, L->l.n_struct);
    es = L->l.es > es ? L->l.es : es;
    rows = L->cap > rows ? L->cap : rows;
  }
  t->acc = (int32_t *)take(t, buf, len, (size_t)acc * 4u, &rc);
  t->gint = (int32_t *)take(t, buf, len, (size_t)es * 4u, &rc);
  t->p = (uint8_t *)take(t, buf, len, t->edges[t->chain_len].n, &rc);
  t->softmax_scratch = (int32_t *)take(t, buf, len, tf_softmax_u8_get_buffer_size(t->edges[t->chain_len].n), &rc);
  if (t->producer >= 0 && t->ops[t->producer].layer >= 0) { /* §6.6.6 step 2a: a trained producer */
    t->mean = (float *)take(t, buf, len, (size_t)t->layers[t->ops[t->producer].layer].l.es * 4u, &rc);
  }
  t->stats = (float *)take(t, buf, len, (size_t)rows * 8u, &rc);
  for (i = 0; i < t->cfg.layer_count; i++) {
    tf_train_layer_t *L = &t->layers[i];
    uint32_t n = L->l.n_struct;
    L->mag = (uint32_t *)take(t, buf, len, (size_t)n * 4u, &rc);
    L->rows = (uint16_t *)take(t, buf, len, (size_t)n * 2u, &rc);
    L->bsum = (int32_t *)take(t, buf, len, (size_t)n * 4u, &rc);
    L->gb = (float *)take(t, buf, len, (size_t)L->cap * 4u, &rc);
    L->grad = (float *)take(t, buf, len, (size_t)L->cap * L->l.es * 4u, &rc);
    L->values = L->grad; /* §6.6.9 DELTA / GRADIENT rows: in place */
  }
  return rc;
}
