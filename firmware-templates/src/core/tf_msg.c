/* Message envelope and the session messages of PROTOCOL.md §4.1, §4.2 (tf_msg.h). */
#include "tinyfleet/tf_msg.h"

#include "tinyfleet/tf_cbor.h"
#include "tf_msg_internal.h"

#include <string.h>

/* Reply column of the §4 tables: types whose rejection is answered with ERROR (§4.1.7). */
bool tf_msg_is_request(uint32_t t) {
  switch (t) {
  case TF_MSG_HELLO:
  case TF_MSG_TRAIN_START:
  case TF_MSG_TRAIN_STOP:
  case TF_MSG_TRAIN_CONFIG:
  case TF_MSG_SAMPLE_BATCH:
  case TF_MSG_INFER_REQUEST:
  case TF_MSG_OTA_OFFER:
  case TF_MSG_OTA_BLOCK:
  case TF_MSG_OTA_COMMIT:
  case TF_MSG_OTA_TEST_BOOT:
  case TF_MSG_OTA_CONFIRM:
  case TF_MSG_OTA_REVERT:
  case TF_MSG_GW_COMMAND:
  case TF_MSG_BLOCK_REQUEST:
    return true;
  default:
    return false;
  }
}

static bool known_type(uint64_t t) {
  switch (t) {
  case TF_MSG_HELLO: case TF_MSG_HELLO_ACK: case TF_MSG_HEARTBEAT: case TF_MSG_LOG: case TF_MSG_ERROR:
  case TF_MSG_SAMPLE_BATCH: case TF_MSG_SAMPLE_CREDIT: case TF_MSG_TRAIN_START: case TF_MSG_TRAIN_STOP:
  case TF_MSG_TRAIN_CONFIG: case TF_MSG_TRAIN_STATUS: case TF_MSG_TRAIN_METRICS: case TF_MSG_GRAD_UPDATE:
  case TF_MSG_INFER_REQUEST: case TF_MSG_INFER_RESULT: case TF_MSG_OTA_OFFER: case TF_MSG_OTA_BLOCK:
  case TF_MSG_OTA_COMMIT: case TF_MSG_OTA_TEST_BOOT: case TF_MSG_OTA_CONFIRM: case TF_MSG_OTA_REVERT:
  case TF_MSG_OTA_STATUS: case TF_MSG_GW_STATUS: case TF_MSG_GW_COMMAND: case TF_MSG_GW_COMMAND_RESULT:
  case TF_MSG_BLOCK_REQUEST: case TF_MSG_BLOCK_DATA:
    return true;
  default:
    return false;
  }
}


/* Positions a reader at the value of @p key; false when absent. */
bool tf_msgi_find(const msg_map_t *m, const char *key, tf_cbor_reader_t *r) {
  size_t klen = strlen(key);
  size_t i;
  tf_cbor_item_t it;

  (void)tf_cbor_reader_init(r, m->buf, m->len, TF_CBOR_MAX_DEPTH);
  r->pos = m->start;
  for (i = 0; i < m->pairs; i++) {
    if (tf_cbor_read(r, &it) != TF_OK) {
      return false;
    }
    if (it.u == klen && memcmp(it.data, key, klen) == 0) {
      return true;
    }
    if (tf_cbor_skip(r) != TF_OK) {
      return false;
    }
  }
  return false;
}

/* Field readers: a wrong CBOR type is BAD_FIELD, a value outside the range OUT_OF_RANGE (§4.1.7 step 6). */
tf_status_t tf_msgi_get_uint(const msg_map_t *m, const char *key, bool required, uint64_t min, uint64_t max,
                            bool *present, uint64_t *v) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;

  *present = tf_msgi_find(m, key, &r);
  if (!*present) {
    return required ? TF_STATUS_BAD_FIELD : TF_OK;
  }
  if (tf_cbor_read(&r, &it) != TF_OK || it.type != TF_CBOR_UINT) {
    return TF_STATUS_BAD_FIELD;
  }
  if (it.u < min || it.u > max) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  *v = it.u;
  return TF_OK;
}

tf_status_t tf_msgi_req_u32(const msg_map_t *m, const char *key, uint64_t min, uint64_t max, uint32_t *v) {
  bool present;
  uint64_t x = 0;
  tf_status_t rc = tf_msgi_get_uint(m, key, true, min, max, &present, &x);

  *v = (uint32_t)x;
  return rc;
}

tf_status_t tf_msgi_opt_u32(const msg_map_t *m, const char *key, uint64_t min, uint64_t max, bool *present,
                           uint32_t *v) {
  uint64_t x = 0;
  tf_status_t rc = tf_msgi_get_uint(m, key, false, min, max, present, &x);

  *v = (uint32_t)x;
  return rc;
}


bool tf_msgi_in_charset(const uint8_t *s, size_t n, charset_t cs) {
  size_t i;

  for (i = 0; i < n && cs != CS_ANY; i++) {
    uint8_t c = s[i];
    bool digit = c >= '0' && c <= '9';
    bool lower = c >= 'a' && c <= 'z';
    bool upper = c >= 'A' && c <= 'Z';
    bool ok;
    if (cs == CS_DEVICE_ID) {
      ok = digit || lower || upper || c == '_' || c == '-'; /* [A-Za-z0-9_-] */
    } else if (cs == CS_CORE) {
      ok = digit || lower || c == '+' || c == '-'; /* [a-z0-9+-] */
    } else {
      ok = digit || lower || upper || c == '_' || c == '.' || c == '-'; /* [A-Za-z0-9_.-] */
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

tf_status_t tf_msgi_get_str(const msg_map_t *m, const char *key, bool required, bool text, size_t min, size_t max,
                           charset_t cs, tf_msg_str_t *out) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;

  out->data = NULL;
  out->len = 0;
  if (!tf_msgi_find(m, key, &r)) {
    return required ? TF_STATUS_BAD_FIELD : TF_OK;
  }
  if (tf_cbor_read(&r, &it) != TF_OK || it.type != (text ? TF_CBOR_TEXT : TF_CBOR_BYTES)) {
    return TF_STATUS_BAD_FIELD;
  }
  if (it.u < min || it.u > max) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  if (!tf_msgi_in_charset(it.data, (size_t)it.u, cs)) {
    return TF_STATUS_BAD_FIELD;
  }
  out->data = it.data;
  out->len = (size_t)it.u;
  return TF_OK;
}

static tf_status_t decode_hello(const msg_map_t *m, const tf_msg_envelope_t *env, tf_msg_hello_t *b) {
  tf_status_t rc;
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  size_t n, i;
  bool has_msha, has_mver, has_aslot;
  uint32_t aslot = 0;
  tf_msg_str_t msha;
  uint32_t boot_from_id;

  /* PROTOCOL.md §4.2.1, fields in table order */
  rc = tf_msgi_get_str(m, "dev", true, true, 1, TF_MESSAGE_MAX_NAME_BYTES, CS_DEVICE_ID, &b->dev);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "fw", true, true, 1, TF_MESSAGE_MAX_NAME_BYTES, CS_ANY, &b->fw);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "abi", 1, 0xFFFFu, &b->abi);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "core", true, true, 1, TF_MESSAGE_MAX_NAME_BYTES, CS_CORE, &b->core);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "clk", 1, 0xFFFFFFFFu, &b->clk);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "flash", 0, 0xFFFFFFFFu, &b->flash);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "ram", 0, 0xFFFFFFFFu, &b->ram);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "slot", 0, 0xFFFFFFFFu, &b->slot);
  if (rc != TF_OK) {
    goto out;
  }
  if (!tf_msgi_find(m, "ops", &r)) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (tf_cbor_read_array(&r, &n) != TF_OK) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (n > TF_MESSAGE_MAX_OP_KINDS) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  b->ops_count = (uint8_t)n;
  for (i = 0; i < n; i++) {
    if (tf_cbor_read(&r, &it) != TF_OK || it.type != TF_CBOR_UINT) {
      rc = TF_STATUS_BAD_FIELD;
      goto out;
    }
    if (it.u < 1 || it.u > 255u) {
      rc = TF_STATUS_OUT_OF_RANGE;
      goto out;
    }
    b->ops[i] = (uint8_t)it.u;
  }
  if (!tf_msgi_find(m, "fqt", &r) || tf_cbor_read_bool(&r, &b->fqt) != TF_OK) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  rc = tf_msgi_req_u32(m, "mmsg", TF_LINK_MIN_FRAME_PAYLOAD, TF_LINK_MAX_MESSAGE_BYTES, &b->mmsg);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "sbuf", 0, 0xFFFFu, &b->sbuf);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "baud", 1, 0xFFFFFFFFu, &b->has_baud, &b->baud);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "msha", false, false, 32, 32, CS_ANY, &msha);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "mver", 0, 0xFFFFFFFFu, &has_mver, &b->mver);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "aslot", 0, 1, &has_aslot, &aslot);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "boot", 0, 0xFFFFFFFFu, &b->boot);
  if (rc != TF_OK) {
    goto out;
  }
  /* rules across fields */
  has_msha = msha.data != NULL;
  if (has_msha != has_mver || has_msha != has_aslot) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  b->has_model = has_msha;
  b->msha = msha.data;
  b->aslot = (uint8_t)aslot;
  for (i = 1; i < n; i++) {
    if (b->ops[i] <= b->ops[i - 1u]) {
      rc = TF_STATUS_OUT_OF_RANGE;
      goto out;
    }
  }
  if (env->id.len != 8u) { /* §4.1.5: the device id form */
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  boot_from_id = (uint32_t)env->id.data[0] | ((uint32_t)env->id.data[1] << 8) | ((uint32_t)env->id.data[2] << 16) |
                 ((uint32_t)env->id.data[3] << 24);
  if (boot_from_id != b->boot) {
    rc = TF_STATUS_BAD_FIELD;
  }
out:
  return rc;
}

static tf_status_t decode_hello_ack(const msg_map_t *m, tf_msg_hello_ack_t *b) {
  tf_status_t rc;
  bool present;

  /* PROTOCOL.md §4.2.2 */
  rc = tf_msgi_get_str(m, "name", true, true, 1, TF_MESSAGE_MAX_NAME_BYTES, CS_ANY, &b->name);
  if (rc == TF_OK) rc = tf_msgi_get_uint(m, "time", true, 0, TF_MSG_UINT53_MAX, &present, &b->time);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "hb", 1000u, 3600000u, &b->has_hb, &b->hb);
  if (rc == TF_OK && !b->has_hb) {
    b->hb = 10000u;
  }
  return rc;
}

static tf_status_t decode_heartbeat(const msg_map_t *m, tf_msg_heartbeat_t *b) {
  tf_status_t rc;
  bool present;
  uint32_t st = 0;

  /* PROTOCOL.md §4.2.3; DEVICE_STATES 0..3 */
  rc = tf_msgi_get_uint(m, "up", true, 0, TF_MSG_UINT53_MAX, &present, &b->up);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "st", 0, 3, &st);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "fram", 0, 0xFFFFFFFFu, &b->fram);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "rx", 0, 0xFFFFFFFFu, &b->rx);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "tx", 0, 0xFFFFFFFFu, &b->tx);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "nerr", 0, 0xFFFFFFFFu, &b->nerr);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "sid", 1, 0xFFFFFFFFu, &b->has_sid, &b->sid);
  b->st = (uint8_t)st;
  return rc;
}

static tf_status_t decode_log(const msg_map_t *m, tf_msg_log_t *b) {
  tf_status_t rc;
  uint32_t lvl = 0;

  /* PROTOCOL.md §4.2.4; LOG_LEVELS 1..4 */
  rc = tf_msgi_req_u32(m, "lvl", 1, 4, &lvl);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "msg", true, true, 0, TF_MESSAGE_MAX_TEXT_BYTES, CS_ANY, &b->msg);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "tag", false, true, 1, TF_MESSAGE_MAX_NAME_BYTES, CS_TAG, &b->tag);
  if (rc == TF_OK) rc = tf_msgi_get_uint(m, "up", false, 0, TF_MSG_UINT53_MAX, &b->has_up, &b->up);
  b->lvl = (uint8_t)lvl;
  return rc;
}

static tf_status_t decode_error(const msg_map_t *m, tf_msg_error_t *b) {
  tf_status_t rc;
  uint32_t code = 0;

  /* PROTOCOL.md §4.2.5 */
  rc = tf_msgi_req_u32(m, "code", 1, 0xFFFFu, &code);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "msg", false, true, 0, TF_MESSAGE_MAX_TEXT_BYTES, CS_ANY, &b->msg);
  b->code = (uint16_t)code;
  return rc;
}

/* A float32 field, §4.1.3 item 2: CBOR float16/32/64 or an integer (major type 0 or 1), converted to
 * binary32 rounding to nearest, ties to even; NaN, infinite or overflowing to infinity is
 * OUT_OF_RANGE, then the field's range applies (OUT_OF_RANGE); any other item is BAD_FIELD. */
tf_status_t tf_msgi_get_f32(const msg_map_t *m, const char *key, bool required, f32_range_t range, bool *present,
                            float *out) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  double d;
  float f;

  *present = tf_msgi_find(m, key, &r);
  if (!*present) {
    return required ? TF_STATUS_BAD_FIELD : TF_OK;
  }
  if (tf_cbor_read(&r, &it) != TF_OK) {
    return TF_STATUS_BAD_FIELD;
  }
  if (it.type == TF_CBOR_UINT) {
    d = (double)it.u;
  } else if (it.type == TF_CBOR_NINT) {
    d = -1.0 - (double)it.u;
  } else if (it.type == TF_CBOR_FLOAT) {
    d = it.f;
  } else {
    return TF_STATUS_BAD_FIELD;
  }
  /* NaN fails both comparisons; >= FLT_MAX + half an ulp rounds to infinity */
  if (!(d < 3.4028235677973366e38 && d > -3.4028235677973366e38)) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  f = (float)d;
  if ((range == F32_POSITIVE && !(f > 0.0f)) || (range != F32_POSITIVE && !(f >= 0.0f)) ||
      (range == F32_UNIT && f > 1.0f)) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  *out = f;
  return TF_OK;
}

/* A scale (float32 > 0), returned as its binary32 bits (compared bit for bit, §6.2.1). */
tf_status_t tf_msgi_get_scale(const msg_map_t *m, const char *key, bool required, bool *present, uint32_t *bits) {
  float f = 0.0f;
  tf_status_t rc = tf_msgi_get_f32(m, key, required, F32_POSITIVE, present, &f);

  if (rc == TF_OK && *present) {
    memcpy(bits, &f, sizeof *bits);
  }
  return rc;
}

/* `shape`: array of uint, 1..4 items, each 1..2^16-1 (§4.3.1, §4.5.1, §4.6.5); elems = product. */
tf_status_t tf_msgi_get_shape(const msg_map_t *m, const char *key, bool required, uint32_t shape[4], uint8_t *rank,
                              uint64_t *elems) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  size_t n = 0, i;

  *rank = 0;
  *elems = 1;
  if (!tf_msgi_find(m, key, &r)) {
    return required ? TF_STATUS_BAD_FIELD : TF_OK;
  }
  if (tf_cbor_read_array(&r, &n) != TF_OK) {
    return TF_STATUS_BAD_FIELD;
  }
  if (n < 1 || n > 4) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  for (i = 0; i < n; i++) {
    if (tf_cbor_read(&r, &it) != TF_OK || it.type != TF_CBOR_UINT) {
      return TF_STATUS_BAD_FIELD;
    }
    if (it.u < 1 || it.u > 0xFFFFu) {
      return TF_STATUS_OUT_OF_RANGE;
    }
    shape[i] = (uint32_t)it.u;
    *elems *= it.u;
  }
  *rank = (uint8_t)n;
  return TF_OK;
}

static tf_status_t decode_infer_request(const msg_map_t *m, tf_msg_infer_request_t *b) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  tf_status_t rc = TF_OK;
  size_t n = 0, i;
  uint64_t elems = 1;
  bool present;

  /* PROTOCOL.md §4.5.1, fields in table order */
  if (!tf_msgi_find(m, "shape", &r) || tf_cbor_read_array(&r, &n) != TF_OK) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (n < 1 || n > 4) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  b->rank = (uint8_t)n;
  for (i = 0; i < n; i++) {
    if (tf_cbor_read(&r, &it) != TF_OK || it.type != TF_CBOR_UINT) {
      rc = TF_STATUS_BAD_FIELD;
      goto out;
    }
    if (it.u < 1 || it.u > 0xFFFFu) {
      rc = TF_STATUS_OUT_OF_RANGE;
      goto out;
    }
    b->shape[i] = (uint32_t)it.u;
    elems *= it.u;
  }
  rc = tf_msgi_get_str(m, "x", true, false, 1, TF_MESSAGE_MAX_TENSOR_BYTES, CS_ANY, &b->x);
  if (rc == TF_OK) rc = tf_msgi_get_scale(m, "xs", true, &present, &b->xs_bits);
  if (rc == TF_OK) rc = tf_msgi_req_u32(m, "xz", 0, 255, &b->xz);
  if (rc != TF_OK) {
    goto out;
  }
  b->full = true;
  b->has_full = tf_msgi_find(m, "full", &r);
  if (b->has_full && tf_cbor_read_bool(&r, &b->full) != TF_OK) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  /* rules: shape[0] = 1 and x holds the product of shape bytes */
  if (b->shape[0] != 1u || elems != b->x.len) {
    rc = TF_STATUS_OUT_OF_RANGE;
  }
out:
  return rc;
}

static tf_status_t decode_infer_result(const msg_map_t *m, tf_msg_infer_result_t *b) {
  tf_status_t rc;
  bool present, has_ys, has_yz;

  /* PROTOCOL.md §4.5.2 */
  rc = tf_msgi_req_u32(m, "cls", 0, 0xFFFFu, &b->cls);
  if (rc == TF_OK) rc = tf_msgi_get_uint(m, "cyc", true, 0, TF_MSG_UINT53_MAX, &present, &b->cyc);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "us", 0, 0xFFFFFFFFu, &b->has_us, &b->us);
  if (rc == TF_OK) rc = tf_msgi_get_str(m, "y", false, false, 1, TF_MESSAGE_MAX_TENSOR_BYTES, CS_ANY, &b->y);
  if (rc == TF_OK) rc = tf_msgi_get_scale(m, "ys", false, &has_ys, &b->ys_bits);
  if (rc == TF_OK) rc = tf_msgi_opt_u32(m, "yz", 0, 255, &has_yz, &b->yz);
  if (rc != TF_OK) {
    goto out;
  }
  if ((b->y.data != NULL) != has_ys || has_ys != has_yz) {
    rc = TF_STATUS_BAD_FIELD;
  } else if (b->y.data != NULL && b->cls >= b->y.len) {
    rc = TF_STATUS_OUT_OF_RANGE;
  }
out:
  return rc;
}

tf_status_t tf_msg_decode(const uint8_t *buf, size_t len, size_t max_bytes, tf_msg_t *m) {
  tf_status_t rc;
  tf_cbor_reader_t r;
  msg_map_t map;
  uint64_t v = 0;
  uint64_t t = 0;
  bool present;

  memset(m, 0, sizeof *m);
  /* PROTOCOL.md §4.1.7, in order */
  if (len > max_bytes) { /* 1 */
    rc = TF_STATUS_TOO_LARGE;
    goto out;
  }
  rc = tf_msg_check_profile(buf, len); /* 2 */
  if (rc != TF_OK) {
    goto out;
  }
  (void)tf_cbor_reader_init(&r, buf, len, TF_CBOR_MAX_DEPTH);
  if (tf_cbor_read_map(&r, &map.pairs) != TF_OK) { /* 3 */
    rc = TF_STATUS_MALFORMED;
    goto out;
  }
  map.buf = buf;
  map.len = len;
  map.start = r.pos;
  rc = tf_msgi_get_uint(&map, "v", true, 0, UINT64_MAX, &present, &v); /* 4 */
  if (rc != TF_OK) {
    goto out;
  }
  if (v != TF_PROTOCOL_VERSION) {
    rc = TF_STATUS_UNSUPPORTED_VERSION;
    goto out;
  }
  rc = tf_msgi_get_uint(&map, "t", true, 0, UINT64_MAX, &present, &t); /* 5 */
  if (rc != TF_OK) {
    goto out;
  }
  if (!known_type(t)) {
    rc = TF_STATUS_UNKNOWN_TYPE;
    goto out;
  }
  m->env.type = (uint32_t)t;
  /* 6: envelope */
  rc = tf_msgi_get_str(&map, "id", true, false, TF_MESSAGE_ID_MIN_BYTES, TF_MESSAGE_ID_MAX_BYTES, CS_ANY, &m->env.id);
  if (rc == TF_OK) rc = tf_msgi_get_uint(&map, "ts", t == TF_MSG_GW_STATUS, 0, TF_MSG_UINT53_MAX, &m->env.has_ts, &m->env.ts);
  if (rc == TF_OK) {
    bool re_required = t == TF_MSG_HELLO_ACK || t == TF_MSG_INFER_RESULT || t == TF_MSG_GW_COMMAND_RESULT;
    rc = tf_msgi_get_str(&map, "re", re_required, false, TF_MESSAGE_ID_MIN_BYTES, TF_MESSAGE_ID_MAX_BYTES, CS_ANY,
                 &m->env.re);
  }
  if (rc != TF_OK) {
    goto out;
  }
  m->body_decoded = true;
  switch (t) {
  case TF_MSG_HELLO:
    rc = decode_hello(&map, &m->env, &m->u.hello);
    break;
  case TF_MSG_HELLO_ACK:
    rc = decode_hello_ack(&map, &m->u.hello_ack);
    break;
  case TF_MSG_HEARTBEAT:
    rc = decode_heartbeat(&map, &m->u.heartbeat);
    break;
  case TF_MSG_LOG:
    rc = decode_log(&map, &m->u.log);
    break;
  case TF_MSG_ERROR:
    rc = decode_error(&map, &m->u.error);
    break;
  case TF_MSG_INFER_REQUEST:
    rc = decode_infer_request(&map, &m->u.infer_request);
    break;
  case TF_MSG_INFER_RESULT:
    rc = decode_infer_result(&map, &m->u.infer_result);
    break;
  default: /* §4.3, §4.4, §4.6 (tf_msg_body.c); gateway-level types: envelope only */
    rc = tf_msgi_decode_body((uint32_t)t, &map, m, &m->body_decoded);
    break;
  }
out:
  return rc;
}

/* ---- encoders ---- */

void tf_msgi_put_envelope(tf_cbor_writer_t *w, const tf_msg_envelope_t *env, size_t body_pairs) {
  size_t pairs = 3u + body_pairs + (env->has_ts ? 1u : 0u) + (env->re.data != NULL ? 1u : 0u);

  (void)tf_cbor_write_map(w, pairs);
  (void)tf_cbor_write_cstr(w, "v");
  (void)tf_cbor_write_uint(w, TF_PROTOCOL_VERSION);
  (void)tf_cbor_write_cstr(w, "t");
  (void)tf_cbor_write_uint(w, env->type);
  (void)tf_cbor_write_cstr(w, "id");
  (void)tf_cbor_write_bytes(w, env->id.data, env->id.len);
  if (env->has_ts) {
    (void)tf_cbor_write_cstr(w, "ts");
    (void)tf_cbor_write_uint(w, env->ts);
  }
  if (env->re.data != NULL) {
    (void)tf_cbor_write_cstr(w, "re");
    (void)tf_cbor_write_bytes(w, env->re.data, env->re.len);
  }
}

void tf_msgi_put_uint(tf_cbor_writer_t *w, const char *key, uint64_t v) {
  (void)tf_cbor_write_cstr(w, key);
  (void)tf_cbor_write_uint(w, v);
}

void tf_msgi_put_text(tf_cbor_writer_t *w, const char *key, const tf_msg_str_t *s) {
  (void)tf_cbor_write_cstr(w, key);
  (void)tf_cbor_write_text(w, s->data != NULL ? (const char *)s->data : "", s->len);
}

tf_status_t tf_msgi_finish(const tf_cbor_writer_t *w, size_t *out_len) {
  *out_len = tf_cbor_writer_len(w);
  return tf_cbor_writer_status(w);
}

tf_status_t tf_msg_encode_hello(const tf_msg_envelope_t *env, const tf_msg_hello_t *b, uint8_t *buf, size_t cap,
                                size_t *out_len) {
  tf_cbor_writer_t w;
  size_t i;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 13u + (b->has_baud ? 1u : 0u) + (b->has_model ? 3u : 0u));
  tf_msgi_put_text(&w, "dev", &b->dev);
  tf_msgi_put_text(&w, "fw", &b->fw);
  tf_msgi_put_uint(&w, "abi", b->abi);
  tf_msgi_put_text(&w, "core", &b->core);
  tf_msgi_put_uint(&w, "clk", b->clk);
  tf_msgi_put_uint(&w, "flash", b->flash);
  tf_msgi_put_uint(&w, "ram", b->ram);
  tf_msgi_put_uint(&w, "slot", b->slot);
  (void)tf_cbor_write_cstr(&w, "ops");
  (void)tf_cbor_write_array(&w, b->ops_count);
  for (i = 0; i < b->ops_count; i++) {
    (void)tf_cbor_write_uint(&w, b->ops[i]);
  }
  (void)tf_cbor_write_cstr(&w, "fqt");
  (void)tf_cbor_write_bool(&w, b->fqt);
  tf_msgi_put_uint(&w, "mmsg", b->mmsg);
  tf_msgi_put_uint(&w, "sbuf", b->sbuf);
  if (b->has_baud) {
    tf_msgi_put_uint(&w, "baud", b->baud);
  }
  if (b->has_model) {
    (void)tf_cbor_write_cstr(&w, "msha");
    (void)tf_cbor_write_bytes(&w, b->msha, 32);
    tf_msgi_put_uint(&w, "mver", b->mver);
    tf_msgi_put_uint(&w, "aslot", b->aslot);
  }
  tf_msgi_put_uint(&w, "boot", b->boot);
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_hello_ack(const tf_msg_envelope_t *env, const tf_msg_hello_ack_t *b, uint8_t *buf,
                                    size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 2u + (b->has_hb ? 1u : 0u));
  tf_msgi_put_text(&w, "name", &b->name);
  tf_msgi_put_uint(&w, "time", b->time);
  if (b->has_hb) {
    tf_msgi_put_uint(&w, "hb", b->hb);
  }
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_heartbeat(const tf_msg_envelope_t *env, const tf_msg_heartbeat_t *b, uint8_t *buf,
                                    size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 6u + (b->has_sid ? 1u : 0u));
  tf_msgi_put_uint(&w, "up", b->up);
  tf_msgi_put_uint(&w, "st", b->st);
  tf_msgi_put_uint(&w, "fram", b->fram);
  tf_msgi_put_uint(&w, "rx", b->rx);
  tf_msgi_put_uint(&w, "tx", b->tx);
  tf_msgi_put_uint(&w, "nerr", b->nerr);
  if (b->has_sid) {
    tf_msgi_put_uint(&w, "sid", b->sid);
  }
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_log(const tf_msg_envelope_t *env, const tf_msg_log_t *b, uint8_t *buf, size_t cap,
                              size_t *out_len) {
  tf_cbor_writer_t w;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 2u + (b->tag.data != NULL ? 1u : 0u) + (b->has_up ? 1u : 0u));
  tf_msgi_put_uint(&w, "lvl", b->lvl);
  tf_msgi_put_text(&w, "msg", &b->msg);
  if (b->tag.data != NULL) {
    tf_msgi_put_text(&w, "tag", &b->tag);
  }
  if (b->has_up) {
    tf_msgi_put_uint(&w, "up", b->up);
  }
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_error(const tf_msg_envelope_t *env, const tf_msg_error_t *b, uint8_t *buf, size_t cap,
                                size_t *out_len) {
  tf_cbor_writer_t w;

  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 1u + (b->msg.data != NULL ? 1u : 0u));
  tf_msgi_put_uint(&w, "code", b->code);
  if (b->msg.data != NULL) {
    tf_msgi_put_text(&w, "msg", &b->msg);
  }
  return tf_msgi_finish(&w, out_len);
}

tf_status_t tf_msg_encode_infer_result(const tf_msg_envelope_t *env, const tf_msg_infer_result_t *b, uint8_t *buf,
                                       size_t cap, size_t *out_len) {
  tf_cbor_writer_t w;
  bool full = b->y.data != NULL;
  float ys;

  /* PROTOCOL.md §4.5.2, table order; ys as the shortest exact float (§4.1.2 preferred serialization) */
  tf_cbor_writer_init(&w, buf, cap);
  tf_msgi_put_envelope(&w, env, 2u + (b->has_us ? 1u : 0u) + (full ? 3u : 0u));
  tf_msgi_put_uint(&w, "cls", b->cls);
  tf_msgi_put_uint(&w, "cyc", b->cyc);
  if (b->has_us) {
    tf_msgi_put_uint(&w, "us", b->us);
  }
  if (full) {
    (void)tf_cbor_write_cstr(&w, "y");
    (void)tf_cbor_write_bytes(&w, b->y.data, b->y.len);
    memcpy(&ys, &b->ys_bits, sizeof ys);
    (void)tf_cbor_write_cstr(&w, "ys");
    (void)tf_cbor_write_float(&w, (double)ys);
    tf_msgi_put_uint(&w, "yz", b->yz);
  }
  return tf_msgi_finish(&w, out_len);
}
