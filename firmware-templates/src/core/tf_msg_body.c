/* Bodies of the samples, training and OTA messages: PROTOCOL.md §4.3, §4.4, §4.6 (tf_msg.h).
 * Fields are checked in table order (§4.1.7 step 6), then the rules across fields (step 7). */
#include "tf_msg_internal.h"

#include <string.h>

#define U32_MAX 0xFFFFFFFFu
#define U16_MAX 0xFFFFu

static tf_status_t get_sha(const msg_map_t *m, const char *key, bool required, const uint8_t **out) {
  tf_msg_str_t s;
  tf_status_t rc = tf_msgi_get_str(m, key, required, false, 32, 32, CS_ANY, &s);

  *out = s.data;
  return rc;
}

/* §4.3.1 SAMPLE_BATCH */
static tf_status_t sample_batch(const msg_map_t *m, tf_msg_sample_batch_t *b) {
  uint64_t elems = 1;
  bool present;
  tf_status_t rc;

  rc = tf_msgi_req_u32(m, "sid", 1, U32_MAX, &b->sid);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "seq", 0, U32_MAX, &b->seq);
  if (rc == TF_OK) rc = tf_msgi_get_shape(m, "shape", true, b->shape, &b->rank, &elems);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "x", true, false, 1, TF_MESSAGE_MAX_TENSOR_BYTES, CS_ANY, &b->x);
  if (rc == TF_OK) rc = tf_msgi_get_scale(m, "xs", true, &present, &b->xs_bits);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "xz", 0, 255, &b->xz);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "y", true, false, 1, TF_MESSAGE_MAX_BATCH_SAMPLES, CS_ANY, &b->y);
  /* rules: n <= 64, len(x) = product(shape), len(y) = n, seq + n <= 2^32 */
  if (rc == TF_OK && (b->shape[0] > TF_MESSAGE_MAX_BATCH_SAMPLES || elems != b->x.len || b->y.len != b->shape[0] ||
                      (uint64_t)b->seq + b->shape[0] > 0x100000000ull)) {
    rc = TF_STATUS_OUT_OF_RANGE;
  }
  return rc;
}

/* §4.3.2 SAMPLE_CREDIT */
static tf_status_t sample_credit(const msg_map_t *m, tf_msg_sample_credit_t *b) {
  tf_status_t rc = tf_msgi_req_u32(m, "sid", 1, U32_MAX, &b->sid);

  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "next", 0, U32_MAX, &b->next);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "cr", 0, U16_MAX, &b->cr);
  return rc;
}

/* The optional parameters shared by §4.4.2 TRAIN_START and §4.4.4 TRAIN_CONFIG, in table order. */
static tf_status_t train_params(const msg_map_t *m, tf_msg_train_params_t *p) {
  tf_status_t rc;

  rc = tf_msgi_get_f32(m, "lmin", false, F32_UNIT, &p->has_lmin, &p->lmin);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "lmax", false, F32_UNIT, &p->has_lmax, &p->lmax);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "lr", false, F32_POSITIVE, &p->has_lr, &p->lr);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "bs", 1, 256, &p->has_bs, &p->bs);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "eps", 1, 2, &p->has_eps, &p->eps); /* EPS_MODES */
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "ea", false, F32_UNIT, &p->has_ea, &p->ea);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "ee", false, F32_UNIT, &p->has_ee, &p->ee);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "ew", false, F32_UNIT, &p->has_ew, &p->ew);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "steps", 0, U32_MAX, &p->has_steps, &p->steps);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "smax", 0, U32_MAX, &p->has_smax, &p->smax);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "me", 1, U16_MAX, &p->has_me, &p->me);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "ge", 0, U16_MAX, &p->has_ge, &p->ge);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "gk", 1, 2, &p->has_gk, &p->gk); /* GRAD_KINDS */
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "upd", 0, 2, &p->has_upd, &p->upd); /* UPDATE_RULES, §6.6.10 */
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "rnd", 0, 1, &p->has_rnd, &p->rnd); /* ROUNDING_MODES */
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "lrb", false, F32_POSITIVE, &p->has_lrb, &p->lrb);
  return rc;
}

/* §4.4.2 TRAIN_START (start true) and §4.4.4 TRAIN_CONFIG */
static tf_status_t train_start(const msg_map_t *m, bool start, tf_msg_train_start_t *b) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  size_t n = 0, i;
  tf_status_t rc = tf_msgi_req_u32(m, "sid", 1, U32_MAX, &b->sid);

  if (rc == TF_OK && start && tf_msgi_find(m, "layers", &r)) {
    b->has_layers = true;
    if (tf_cbor_read_array(&r, &n) != TF_OK) {
      rc = TF_STATUS_BAD_FIELD;
    } else if (n < 1 || n > TF_MESSAGE_MAX_TRAIN_LAYERS) {
      rc = TF_STATUS_OUT_OF_RANGE;
    }
    for (i = 0; rc == TF_OK && i < n; i++) {
      if (tf_cbor_read(&r, &it) != TF_OK || it.type != TF_CBOR_UINT) {
        rc = TF_STATUS_BAD_FIELD;
      } else if (it.u > U16_MAX) {
        rc = TF_STATUS_OUT_OF_RANGE;
      } else {
        b->layers[i] = (uint16_t)it.u;
      }
    }
    b->layer_count = (uint8_t)n;
  }
  if (rc == TF_OK) rc = train_params(m, &b->p);
  if (rc == TF_OK && start) rc = tf_msgi_opt_u32(m, "seed", 0, U32_MAX, &b->has_seed, &b->seed);
  if (rc == TF_OK && start) rc = tf_msgi_get_str(m, "msha", false, false, 32, 32, CS_ANY, &b->msha);
  if (rc != TF_OK) {
    goto out;
  }
  /* rules: layers strictly ascending; lmin <= lmax when both are present (OUT_OF_RANGE) */
  for (i = 1; i < b->layer_count; i++) {
    if (b->layers[i] <= b->layers[i - 1u]) {
      rc = TF_STATUS_OUT_OF_RANGE;
    }
  }
  if (b->p.has_lmin && b->p.has_lmax && b->p.lmin > b->p.lmax) {
    rc = TF_STATUS_OUT_OF_RANGE;
  }
out:
  return rc;
}

/* §4.4.5 TRAIN_STATUS */
static tf_status_t train_status(const msg_map_t *m, tf_msg_train_status_t *b) {
  uint32_t st = 0, err = 0;
  tf_status_t rc = tf_msgi_req_u32(m, "sid", 1, U32_MAX, &b->sid);

  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "st", 1, 4, &st); /* TRAIN_STATES */
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "step", 0, U32_MAX, &b->step);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "n", 0, U32_MAX, &b->n);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "err", 1, U16_MAX, &b->has_err, &err);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "msg", false, true, 0, TF_MESSAGE_MAX_TEXT_BYTES, CS_ANY, &b->msg);
  b->st = (uint8_t)st;
  b->err = (uint16_t)err;
  /* rule: err present iff st = FAILED */
  if (rc == TF_OK && b->has_err != (st == TF_TRAIN_STATE_FAILED)) {
    rc = TF_STATUS_BAD_FIELD;
  }
  return rc;
}

/* §4.4.6 TRAIN_METRICS */
static tf_status_t train_metrics(const msg_map_t *m, tf_msg_train_metrics_t *b) {
  bool present;
  tf_status_t rc = tf_msgi_req_u32(m, "sid", 1, U32_MAX, &b->sid);

  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "step", 1, U32_MAX, &b->step);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "n", 0, U32_MAX, &b->n);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "loss", true, F32_NONNEG, &present, &b->loss);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "acc", true, F32_UNIT, &present, &b->acc);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "ur", true, F32_UNIT, &present, &b->ur);
  if (rc == TF_OK) rc = tf_msgi_get_uint(m, "cyc", true, 0, TF_MSG_UINT53_MAX, &present, &b->cyc);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "mem", 0, U32_MAX, &b->mem);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "us", 0, U32_MAX, &b->us);
  return rc;
}

/* A typed-array field (§4.1.4 item 2): the tag must be @p tag around a byte string, else BAD_FIELD;
 * the element count must be in [min, max], else OUT_OF_RANGE. */
static tf_status_t get_typed(const msg_map_t *m, const char *key, uint64_t tag, size_t esize, size_t min, size_t max,
                             tf_msg_str_t *out) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  uint64_t t = 0;

  out->data = NULL;
  out->len = 0;
  if (!tf_msgi_find(m, key, &r)) {
    return TF_STATUS_BAD_FIELD;
  }
  if (tf_cbor_read_tag(&r, &t) != TF_OK || t != tag || tf_cbor_read(&r, &it) != TF_OK ||
      it.type != TF_CBOR_BYTES || it.u % esize != 0) {
    return TF_STATUS_BAD_FIELD;
  }
  if (it.u / esize < min || it.u / esize > max) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  out->data = it.data;
  out->len = (size_t)it.u;
  return TF_OK;
}

/* §4.4.7 GRAD_UPDATE */
static tf_status_t grad_update(const msg_map_t *m, tf_msg_grad_update_t *b) {
  bool present;
  size_t k, i;
  tf_status_t rc = tf_msgi_req_u32(m, "sid", 1, U32_MAX, &b->sid);

  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "step", 1, U32_MAX, &b->step);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "layer", 0, U16_MAX, &b->layer);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "kind", 1, 2, &b->kind); /* GRAD_KINDS */
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "n", 0, U32_MAX, &b->n);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "nst", 1, U16_MAX, &b->nst);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "es", 1, TF_MESSAGE_MAX_TENSOR_BYTES, &b->es);
  if (rc == TF_OK) rc = get_typed(m, "idx", 69, 2, 1, TF_MESSAGE_MAX_GRAD_STRUCTURES, &b->idx);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "q", true, false, 1, TF_MESSAGE_MAX_TENSOR_BYTES, CS_ANY, &b->q);
  if (rc == TF_OK) rc = tf_msgi_get_scale(m, "qs", true, &present, &b->qs_bits);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "qz", 0, 255, &b->qz);
  if (rc == TF_OK) rc = tf_msgi_get_f32(m, "eps", false, F32_UNIT, &b->has_eps, &b->eps);
  if (rc != TF_OK) {
    goto out;
  }
  /* rules: idx strictly ascending, each < nst; len(q) = k * es (OUT_OF_RANGE) */
  k = b->idx.len / 2u;
  for (i = 0; i < k; i++) {
    uint16_t v = tf_msg_u16le(&b->idx, i);
    if (v >= b->nst || (i > 0 && v <= tf_msg_u16le(&b->idx, i - 1u))) {
      rc = TF_STATUS_OUT_OF_RANGE;
      goto out;
    }
  }
  if ((uint64_t)k * b->es != b->q.len) {
    rc = TF_STATUS_OUT_OF_RANGE;
  }
out:
  return rc;
}

/* §4.6.2 OTA_OFFER */
static tf_status_t ota_offer(const msg_map_t *m, tf_msg_ota_offer_t *b) {
  tf_msg_str_t kid;
  tf_status_t rc = get_sha(m, "sha", true, &b->sha);

  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "size", 1, 16777216u, &b->size);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "bs", TF_OTA_BLOCK_BYTES, TF_OTA_BLOCK_BYTES, &b->bs);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "nb", 1, TF_OTA_MAX_BLOCKS, &b->nb);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "mver", 0, U32_MAX, &b->mver);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "kid", true, false, 8, 8, CS_ANY, &kid);
  b->kid = kid.data;
  /* rule: nb = ceil(size / bs) */
  if (rc == TF_OK && b->nb != (b->size + b->bs - 1u) / b->bs) {
    rc = TF_STATUS_OUT_OF_RANGE;
  }
  return rc;
}

/* §4.6.3 OTA_BLOCK */
static tf_status_t ota_block(const msg_map_t *m, tf_msg_ota_block_t *b) {
  tf_status_t rc = get_sha(m, "sha", true, &b->sha);

  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "i", 0, TF_OTA_MAX_BLOCKS - 1u, &b->i);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "d", true, false, 1, TF_OTA_BLOCK_BYTES, CS_ANY, &b->d);
  return rc;
}

/* §4.6.4-§4.6.7: sha, and the smoke test of OTA_TEST_BOOT (§4.6.5) */
static tf_status_t ota_sha(const msg_map_t *m, bool test_boot, tf_msg_ota_sha_t *b) {
  uint64_t elems = 1;
  bool has_xs = false, has_xz = false;
  tf_msg_str_t ysha;
  tf_status_t rc = get_sha(m, "sha", true, &b->sha);

  if (!test_boot || rc != TF_OK) {
    return rc;
  }
  rc = tf_msgi_get_shape(m, "shape", false, b->shape, &b->rank, &elems);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "x", false, false, 1, TF_MESSAGE_MAX_TENSOR_BYTES, CS_ANY, &b->x);
  if (rc == TF_OK) rc = tf_msgi_get_scale(m, "xs", false, &has_xs, &b->xs_bits);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "xz", 0, 255, &has_xz, &b->xz);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "ysha", false, false, 32, 32, CS_ANY, &ysha);
  if (rc != TF_OK) {
    goto out;
  }
  b->ysha = ysha.data;
  /* rules: shape, x, xs, xz, ysha all or none (BAD_FIELD); shape[0] = 1, len(x) = product (OUT_OF_RANGE) */
  b->has_smoke = b->rank != 0;
  if (b->has_smoke != (b->x.data != NULL) || b->has_smoke != has_xs || b->has_smoke != has_xz ||
      b->has_smoke != (ysha.data != NULL)) {
    rc = TF_STATUS_BAD_FIELD;
  } else if (b->has_smoke && (b->shape[0] != 1u || elems != b->x.len)) {
    rc = TF_STATUS_OUT_OF_RANGE;
  }
out:
  return rc;
}

tf_status_t tf_msg_check_bitmap(const uint8_t *bitmap, size_t len, uint32_t nb) {
  size_t want = (nb + 7u) / 8u;

  /* §4.1.4 item 4 */
  if (len < want) {
    return TF_STATUS_TRUNCATED;
  }
  if (len > want) {
    return TF_STATUS_TOO_LARGE;
  }
  if (nb % 8u != 0 && (bitmap[want - 1u] >> (nb % 8u)) != 0) {
    return TF_STATUS_BAD_FIELD;
  }
  return TF_OK;
}

/* §4.6.8 OTA_STATUS */
static tf_status_t ota_status(const msg_map_t *m, tf_msg_ota_status_t *b) {
  uint32_t st = 0, aslot = 0, pslot = 0, err = 0;
  bool has_nb = false;
  tf_status_t rc = tf_msgi_req_u32(m, "st", 0, 7, &st); /* OTA_STATES */

  if (rc == TF_OK) rc = get_sha(m, "sha", false, &b->sha);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "mver", 0, U32_MAX, &b->has_mver, &b->mver);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "nb", 1, TF_OTA_MAX_BLOCKS, &has_nb, &b->nb);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "have", false, false, 1, TF_OTA_MAX_BLOCKS / 8u, CS_ANY, &b->have);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "aslot", 0, 1, &b->has_aslot, &aslot);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "pslot", 0, 1, &b->has_pslot, &pslot);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "err", 1, U16_MAX, &b->has_err, &err);
  b->st = (uint8_t)st;
  b->aslot = (uint8_t)aslot;
  b->pslot = (uint8_t)pslot;
  b->err = (uint16_t)err;
  if (rc != TF_OK) {
    goto out;
  }
  /* rules: sha unless IDLE; nb and have together, present in RECEIVING; err in FAILED (BAD_FIELD);
   * have a valid bitmap of nb blocks (§4.1.4) */
  if ((b->sha == NULL && st != TF_OTA_STATE_IDLE) || has_nb != (b->have.data != NULL) ||
      (st == TF_OTA_STATE_RECEIVING && !has_nb) || (st == TF_OTA_STATE_FAILED && !b->has_err)) {
    rc = TF_STATUS_BAD_FIELD;
  } else if (has_nb) {
    rc = tf_msg_check_bitmap(b->have.data, b->have.len, b->nb);
  }
out:
  return rc;
}

tf_status_t tf_msgi_decode_body(uint32_t t, const msg_map_t *m, tf_msg_t *out, bool *decoded) {
  tf_status_t rc = TF_OK;

  *decoded = true;
  switch (t) {
  case TF_MSG_SAMPLE_BATCH:
    rc = sample_batch(m, &out->u.sample_batch);
    break;
  case TF_MSG_SAMPLE_CREDIT:
    rc = sample_credit(m, &out->u.sample_credit);
    break;
  case TF_MSG_TRAIN_START:
  case TF_MSG_TRAIN_CONFIG:
    rc = train_start(m, t == TF_MSG_TRAIN_START, &out->u.train_start);
    break;
  case TF_MSG_TRAIN_STOP: /* §4.4.3 */
    rc = tf_msgi_req_u32(m, "sid", 1, U32_MAX, &out->u.train_start.sid);
    break;
  case TF_MSG_TRAIN_STATUS:
    rc = train_status(m, &out->u.train_status);
    break;
  case TF_MSG_TRAIN_METRICS:
    rc = train_metrics(m, &out->u.train_metrics);
    break;
  case TF_MSG_GRAD_UPDATE:
    rc = grad_update(m, &out->u.grad_update);
    break;
  case TF_MSG_OTA_OFFER:
    rc = ota_offer(m, &out->u.ota_offer);
    break;
  case TF_MSG_OTA_BLOCK:
    rc = ota_block(m, &out->u.ota_block);
    break;
  case TF_MSG_OTA_COMMIT:
  case TF_MSG_OTA_CONFIRM:
  case TF_MSG_OTA_REVERT:
  case TF_MSG_OTA_TEST_BOOT:
    rc = ota_sha(m, t == TF_MSG_OTA_TEST_BOOT, &out->u.ota);
    break;
  case TF_MSG_OTA_STATUS:
    rc = ota_status(m, &out->u.ota_status);
    break;
  default: /* gateway level (§4.7, §4.8): MQTT only, not decoded on the device */
    *decoded = false;
    break;
  }
  return rc;
}

tf_status_t tf_msg_encode_ota_status(const tf_msg_envelope_t *env, const tf_msg_ota_status_t *b, uint8_t *buf,
                                     size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;
  bool has_have = b->have.data != NULL;

  /* §4.6.8, table order */
  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env,
                       1u + (b->sha != NULL ? 1u : 0u) + (b->has_mver ? 1u : 0u) + (has_have ? 2u : 0u) +
                           (b->has_aslot ? 1u : 0u) + (b->has_pslot ? 1u : 0u) + (b->has_err ? 1u : 0u));
  tf_msgi_put_uint(&w, "st", b->st);
  if (b->sha != NULL) {
    (void)tf_cbor_write_cstr(&w, "sha");
    (void)tf_cbor_write_bytes(&w, b->sha, 32);
  }
  if (b->has_mver) tf_msgi_put_uint(&w, "mver", b->mver);
  if (has_have) {
    tf_msgi_put_uint(&w, "nb", b->nb);
    (void)tf_cbor_write_cstr(&w, "have");
    (void)tf_cbor_write_bytes(&w, b->have.data, b->have.len);
  }
  if (b->has_aslot) tf_msgi_put_uint(&w, "aslot", b->aslot);
  if (b->has_pslot) tf_msgi_put_uint(&w, "pslot", b->pslot);
  if (b->has_err) tf_msgi_put_uint(&w, "err", b->err);
  return tf_msgi_finish(&w, out_len);
}

/* ---- encoders of the device's reports (§4.3.2, §4.4.5-§4.4.7), table order, float32 as 0xfa (§4.1.3) ---- */

static void put_f32(tf_cbor_writer_t *w, const char *key, float v) {
  (void)tf_cbor_write_cstr(w, key);
  (void)tf_cbor_write_float32(w, v);
}

tf_status_t tf_msg_encode_sample_credit(const tf_msg_envelope_t *env, const tf_msg_sample_credit_t *b, uint8_t *buf,
                                        size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 3);
  tf_msgi_put_uint(&w, "sid", b->sid);
  tf_msgi_put_uint(&w, "next", b->next);
  tf_msgi_put_uint(&w, "cr", b->cr);
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_train_status(const tf_msg_envelope_t *env, const tf_msg_train_status_t *b, uint8_t *buf,
                                       size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 4u + (b->has_err ? 1u : 0u) + (b->msg.data != NULL ? 1u : 0u));
  tf_msgi_put_uint(&w, "sid", b->sid);
  tf_msgi_put_uint(&w, "st", b->st);
  tf_msgi_put_uint(&w, "step", b->step);
  tf_msgi_put_uint(&w, "n", b->n);
  if (b->has_err) tf_msgi_put_uint(&w, "err", b->err);
  if (b->msg.data != NULL) tf_msgi_put_text(&w, "msg", &b->msg);
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_train_metrics(const tf_msg_envelope_t *env, const tf_msg_train_metrics_t *b, uint8_t *buf,
                                        size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 9);
  tf_msgi_put_uint(&w, "sid", b->sid);
  tf_msgi_put_uint(&w, "step", b->step);
  tf_msgi_put_uint(&w, "n", b->n);
  put_f32(&w, "loss", b->loss);
  put_f32(&w, "acc", b->acc);
  put_f32(&w, "ur", b->ur);
  tf_msgi_put_uint(&w, "cyc", b->cyc);
  tf_msgi_put_uint(&w, "mem", b->mem);
  tf_msgi_put_uint(&w, "us", b->us);
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_grad_update(const tf_msg_envelope_t *env, const tf_msg_grad_update_t *b, uint8_t *buf,
                                      size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;
  float qs;

  memcpy(&qs, &b->qs_bits, sizeof qs);
  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 11u + (b->has_eps ? 1u : 0u));
  tf_msgi_put_uint(&w, "sid", b->sid);
  tf_msgi_put_uint(&w, "step", b->step);
  tf_msgi_put_uint(&w, "layer", b->layer);
  tf_msgi_put_uint(&w, "kind", b->kind);
  tf_msgi_put_uint(&w, "n", b->n);
  tf_msgi_put_uint(&w, "nst", b->nst);
  tf_msgi_put_uint(&w, "es", b->es);
  (void)tf_cbor_write_cstr(&w, "idx");
  (void)tf_cbor_write_tag(&w, 69); /* §4.1.4: uint16 little-endian typed array */
  (void)tf_cbor_write_bytes(&w, b->idx.data, b->idx.len);
  (void)tf_cbor_write_cstr(&w, "q");
  (void)tf_cbor_write_bytes(&w, b->q.data, b->q.len);
  put_f32(&w, "qs", qs);
  tf_msgi_put_uint(&w, "qz", b->qz);
  if (b->has_eps) put_f32(&w, "eps", b->eps);
  return tf_msgi_finish(&w, out_len);
}
