/* The device agent (tf_agent.h): link + device session, PROTOCOL.md §4.2. */
#include "tinyfleet/tf_agent.h"

#include "tf_agent_internal.h"

#include "tinyfleet/tf_runtime.h"
#include "tinyfleet/tf_sha256.h"

#include <string.h>

static bool due(uint32_t now, uint32_t at) {
  return (int32_t)(now - at) >= 0;
}

static tf_msg_str_t cstr(const char *s) {
  tf_msg_str_t v;

  v.data = (const uint8_t *)s;
  v.len = strlen(s);
  return v;
}

/* §4.1.5: boot counter || message counter, both u32 little-endian. */
void tf_agent_next_id(tf_agent_t *a, uint8_t id[8], tf_msg_envelope_t *env, uint32_t type) {
  uint32_t b = a->cfg.boot_counter;
  uint32_t c = a->msg_counter++;

  id[0] = (uint8_t)b;
  id[1] = (uint8_t)(b >> 8);
  id[2] = (uint8_t)(b >> 16);
  id[3] = (uint8_t)(b >> 24);
  id[4] = (uint8_t)c;
  id[5] = (uint8_t)(c >> 8);
  id[6] = (uint8_t)(c >> 16);
  id[7] = (uint8_t)(c >> 24);
  a->msg_type = type; /* tf_agent_queue: a training report is kept for replay */
  memset(env, 0, sizeof *env);
  env->type = type;
  env->id.data = id;
  env->id.len = 8;
}

/* ---- report replay, PROTOCOL.md §3.6.4 item 2 ---- */

#define REPLAY_HDR 8u

static uint32_t rd_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* §3.6.4 item 2: the reports a device keeps and re-sends (§4.4.5-§4.4.7). */
static bool is_report(uint32_t type) {
  return type == TF_MSG_TRAIN_STATUS || type == TF_MSG_TRAIN_METRICS || type == TF_MSG_GRAD_UPDATE;
}

static void replay_remove(tf_agent_t *a, size_t pos) {
  size_t n = REPLAY_HDR + rd_u32(a->replay + pos);

  memmove(a->replay + pos, a->replay + pos + n, a->replay_len - pos - n);
  a->replay_len -= n;
  a->replay_count--;
}

/* Frees the oldest kept reports the link has delivered (tf_link_delivered_ticket; in order). */
static void replay_release(tf_agent_t *a) {
  uint32_t done = tf_link_delivered_ticket(&a->link);

  while (a->replay_len > 0) {
    uint32_t ticket = rd_u32(a->replay + 4);
    if (ticket == 0 || (int32_t)(done - ticket) < 0) {
      break;
    }
    replay_remove(a, 0);
  }
}

/* A session ended (§3.6.4): what the link delivered is freed, everything else must be sent again. */
static void replay_rewind(tf_agent_t *a) {
  size_t pos;

  replay_release(a);
  for (pos = 0; pos < a->replay_len; pos += REPLAY_HDR + rd_u32(a->replay + pos)) {
    wr_u32(a->replay + pos + 4, 0);
  }
  a->replay_pending = a->replay_count;
}

/* Room in the link queue for one whole message of TF_AGENT_MSG_BYTES (new or re-sent report), so that
 * a report never takes the last bytes a HEARTBEAT, SAMPLE_CREDIT or answer needs. */
static bool link_room(const tf_agent_t *a) {
  return a->link.txq_len + TF_AGENT_MSG_BYTES + 8u <= TF_LINK_CFG_TXQ_BYTES;
}

/*
 * §3.6.4 item 2: after HELLO_ACK, the kept reports go to the link again, oldest first, the same bytes
 * (same id, §4.1.5 item 4); what the link queue cannot take now goes at a later pass, still in order.
 */
static void replay_resend(tf_agent_t *a) {
  size_t pos = 0;

  while (a->replay_pending > 0 && pos < a->replay_len && link_room(a)) {
    uint32_t n = rd_u32(a->replay + pos);
    tf_status_t rc;
    if (rd_u32(a->replay + pos + 4) != 0) {
      pos += REPLAY_HDR + n;
      continue;
    }
    rc = tf_link_send(&a->link, a->replay + pos + REPLAY_HDR, n);
    if (rc == TF_STATUS_BUSY) {
      break; /* the link queue is full: the rest later, in order */
    }
    a->replay_pending--;
    if (rc != TF_OK) { /* §3.4.1 TOO_LARGE: above this session's M, it can never be sent */
      a->replay_lost++;
      replay_remove(a, pos);
      continue;
    }
    wr_u32(a->replay + pos + 4, tf_link_last_ticket(&a->link));
    a->replayed++;
    a->tx++;
    pos += REPLAY_HDR + n;
  }
}

/* Keeps a->msg[0..len), just accepted by the link, until its ticket is delivered. */
static void replay_keep(tf_agent_t *a, size_t len) {
  replay_release(a);
  if (a->replay_len + REPLAY_HDR + len > sizeof a->replay) {
    a->replay_unkept++; /* only a TRAIN_STATUS answer gets here (tf_agent.h); §4.4.8 recovers it */
    return;
  }
  wr_u32(a->replay + a->replay_len, (uint32_t)len);
  wr_u32(a->replay + a->replay_len + 4u, tf_link_last_ticket(&a->link));
  memcpy(a->replay + a->replay_len + REPLAY_HDR, a->msg, len);
  a->replay_len += REPLAY_HDR + len;
  a->replay_count++;
}

bool tf_agent_report_room(const tf_agent_t *a) {
  return link_room(a) && a->replay_len + REPLAY_HDR + TF_AGENT_MSG_BYTES <= sizeof a->replay &&
         a->replay_pending == 0;
}

void tf_agent_queue(tf_agent_t *a, tf_status_t rc, size_t len) {
  if (rc == TF_OK && tf_link_send(&a->link, a->msg, len) == TF_OK) {
    a->tx++;
    if (is_report(a->msg_type)) {
      replay_keep(a, len); /* §3.6.4 item 2 */
    }
  }
}

static void send_hello(tf_agent_t *a) {
  const tf_device_caps_t *caps = &a->cfg.hal->caps;
  tf_msg_envelope_t env;
  tf_msg_hello_t h;
  uint8_t id[8];
  size_t len = 0;
  tf_status_t rc;

  /* PROTOCOL.md §4.2.1 */
  tf_agent_next_id(a, id, &env, TF_MSG_HELLO);
  memset(&h, 0, sizeof h);
  h.dev = cstr(a->cfg.device_id);
  h.fw = cstr(a->cfg.fw_version);
  h.abi = TF_ARTIFACT_ABI_VERSION;
  h.core = cstr(caps->core != NULL ? caps->core : "unknown");
  h.clk = caps->clock_hz != 0 ? caps->clock_hz : 1u;
  h.flash = caps->flash_bytes;
  h.ram = caps->ram_bytes;
  h.slot = a->cfg.slot_bytes;
  h.ops_count = (uint8_t)tf_interp_supported_ops(h.ops, TF_MESSAGE_MAX_OP_KINDS); /* ascending kinds */
  h.fqt = tf_agent_fqt(a); /* §4.4: the training runtime (tf_train.h) with its buffers */
  h.mmsg = tf_link_params(&a->link)->max_message_bytes; /* the link's negotiated M */
  h.sbuf = tf_agent_sample_capacity(a); /* §4.3: samples the device buffers */
  h.has_baud = a->cfg.baud != 0;
  h.baud = a->cfg.baud;
  h.has_model = a->cfg.has_model;
  h.msha = a->cfg.model_sha256;
  h.mver = a->cfg.model_version;
  h.aslot = a->cfg.active_slot;
  h.boot = a->cfg.boot_counter;
  rc = tf_msg_encode_hello(&env, &h, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len);
  a->state = TF_AGENT_WAIT_HELLO_ACK;
  a->hello_at = a->now + TF_AGENT_HELLO_RETRY_MS;
}

static void send_heartbeat(tf_agent_t *a) {
  tf_msg_envelope_t env;
  tf_msg_heartbeat_t hb;
  uint8_t id[8];
  size_t len = 0;
  tf_status_t rc;
  uint32_t used = (uint32_t)sizeof *a;

  /* PROTOCOL.md §4.2.3 */
  tf_agent_next_id(a, id, &env, TF_MSG_HEARTBEAT);
  memset(&hb, 0, sizeof hb);
  hb.up = a->uptime_ms;
  hb.st = 0; /* IDLE; §4.2.3: UPDATING while an OTA transfer, verification or test boot is in progress */
  if (a->has_ota && (a->ota.state == TF_OTA_STATE_RECEIVING || a->ota.state == TF_OTA_STATE_VERIFIED ||
                     a->ota.state == TF_OTA_STATE_TEST_BOOTING)) {
    hb.st = 2;
  } else if (a->model_status != TF_OK) {
    hb.st = 3; /* FAULT: no usable model */
  } else if (a->session.sid != 0 && a->session.st == TF_TRAIN_STATE_RUNNING) {
    hb.st = 1; /* TRAINING, with the running session's sid */
  }
  if (a->session.sid != 0 && a->session.st == TF_TRAIN_STATE_RUNNING) {
    hb.has_sid = true;
    hb.sid = a->session.sid;
  }
  hb.fram = a->cfg.hal->caps.ram_bytes > used ? a->cfg.hal->caps.ram_bytes - used : 0;
  hb.rx = a->rx;
  hb.tx = a->tx + 1u; /* this one included */
  hb.nerr = a->nerr;
  rc = tf_msg_encode_heartbeat(&env, &hb, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len);
  a->hb_at = a->now + a->hb_ms;
}

void tf_agent_send_error(tf_agent_t *a, const tf_msg_str_t *re, tf_status_t status, const char *text) {
  tf_msg_envelope_t env;
  tf_msg_error_t e;
  uint8_t id[8];
  uint8_t re_copy[TF_MESSAGE_ID_MAX_BYTES];
  size_t len = 0;
  tf_status_t rc;

  /* PROTOCOL.md §4.2.5; re is copied first: it points into the link's receive buffer */
  tf_agent_next_id(a, id, &env, TF_MSG_ERROR);
  if (re != NULL && re->data != NULL && re->len <= sizeof re_copy) {
    memcpy(re_copy, re->data, re->len);
    env.re.data = re_copy;
    env.re.len = re->len;
  }
  e.code = tf_status_to_error(status);
  e.msg = cstr(text);
  a->nerr++;
  rc = tf_msg_encode_error(&env, &e, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len);
}

/* PROTOCOL.md §4.5: one forward pass on the active model. */
static void on_infer(tf_agent_t *a, const tf_msg_t *m) {
  const tf_msg_infer_request_t *q = &m->u.infer_request;
  const tf_hal_t *hal = a->cfg.hal;
  tf_interp_t *it = &a->interp;
  tf_msg_envelope_t env;
  tf_msg_infer_result_t res;
  uint8_t id[8];
  uint8_t re_copy[TF_MESSAGE_ID_MAX_BYTES];
  uint32_t c0, i;
  size_t len = 0;
  tf_status_t rc = a->model_status;

  if (rc != TF_OK) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_BAD_STATE, "no model loaded");
    return;
  }
  /* §4.5 / §4.3 item 4: shape, scale and zero point must be the model input's */
  if (q->rank != it->input_rank || memcmp(q->shape, it->input_shape, q->rank * sizeof q->shape[0]) != 0 ||
      q->xs_bits != it->input_scale_bits || (int32_t)q->xz != it->input_zero) {
    tf_agent_send_error(a, &m->env.id, TF_STATUS_INCOMPATIBLE, "input shape or qparams differ from the model input");
    return;
  }
  c0 = hal->cycles != NULL ? hal->cycles(hal->ctx) : 0u;
  rc = tf_interp_invoke(it, q->x.data, q->x.len);
  memset(&res, 0, sizeof res);
  res.cyc = hal->cycles != NULL ? (uint32_t)(hal->cycles(hal->ctx) - c0) : 0u;
  if (rc != TF_OK) {
    tf_agent_send_error(a, &m->env.id, rc, "inference failed");
    return;
  }
  if (hal->cycles != NULL && hal->caps.clock_hz != 0) {
    res.has_us = true;
    res.us = (uint32_t)((res.cyc * 1000000u) / hal->caps.clock_hz);
  }
  for (i = 1; i < it->output_bytes; i++) { /* argmax, the lowest index among equals */
    if (it->output[i] > it->output[res.cls]) {
      res.cls = i;
    }
  }
  if (q->full) {
    res.y.data = it->output;
    res.y.len = it->output_bytes;
    res.ys_bits = it->output_scale_bits;
    res.yz = (uint32_t)it->output_zero;
  }
  memcpy(re_copy, m->env.id.data, m->env.id.len); /* re (required): the request id */
  tf_agent_next_id(a, id, &env, TF_MSG_INFER_RESULT);
  env.re.data = re_copy;
  env.re.len = m->env.id.len;
  rc = tf_msg_encode_infer_result(&env, &res, a->msg, sizeof a->msg, &len);
  if (rc != TF_OK) {
    tf_agent_send_error(a, &m->env.id, rc, "result does not fit the message buffer");
    return;
  }
  tf_agent_queue(a, rc, len);
}


static void send_ota_status(tf_agent_t *a, const tf_msg_str_t *re) {
  tf_msg_envelope_t env;
  tf_msg_ota_status_t st;
  uint8_t id[8];
  uint8_t re_copy[TF_MESSAGE_ID_MAX_BYTES];
  size_t len = 0;
  tf_status_t rc;

  /* PROTOCOL.md §4.6.8, re = the request it answers */
  tf_agent_next_id(a, id, &env, TF_MSG_OTA_STATUS);
  if (re != NULL && re->data != NULL && re->len <= sizeof re_copy) {
    memcpy(re_copy, re->data, re->len);
    env.re.data = re_copy;
    env.re.len = re->len;
  }
  tf_ota_status(&a->ota, &st);
  rc = tf_msg_encode_ota_status(&env, &st, a->msg, sizeof a->msg, &len);
  tf_agent_queue(a, rc, len);
}

/*
 * Opens and prepares the artifact at @p p as the running model (§5.10, tf_interp.h), and sets what
 * HELLO reports of it (§4.2.1): `msha` is the §5.8 content digest (header field sha256, checked by
 * tf_artifact_open), the digest OTA_OFFER and OTA_STATUS name a model by, never the SHA-256 of the
 * file in the slot (the signature envelope may change; the digest does not, §5.9); `mver` its model
 * version. An artifact that fails the §5.10 checks has no trusted digest: no model is reported.
 */
static tf_status_t prepare_model(tf_agent_t *a, const uint8_t *p, uint32_t len) {
  tf_status_t rc = TF_STATUS_BAD_STATE;

  a->model_status = TF_STATUS_BAD_STATE;
  a->cfg.has_model = false;
  memset(&a->interp, 0, sizeof a->interp);
  if (p != NULL) {
    rc = tf_artifact_open(&a->art, p, len);
    if (rc == TF_OK) {
      a->cfg.has_model = true;
      memcpy(a->cfg.model_sha256, a->art.sha256, sizeof a->cfg.model_sha256);
      a->cfg.model_version = a->art.model_version;
      rc = tf_interp_prepare(&a->interp, &a->art, a->cfg.arena, a->cfg.arena_len, a->cfg.ram, a->cfg.ram_len);
    }
  }
  a->model_status = rc;
  return rc;
}

/* §4.6.5 smoke test on the prepared model: the given input and ysha, or zero points that must run. */
static tf_status_t smoke_test(tf_agent_t *a, const tf_msg_ota_sha_t *m) {
  tf_interp_t *it = &a->interp;
  uint8_t digest[TF_SHA256_DIGEST_BYTES];
  tf_status_t rc;

  if (m->has_smoke) {
    if (m->rank != it->input_rank || memcmp(m->shape, it->input_shape, m->rank * sizeof m->shape[0]) != 0 ||
        m->xs_bits != it->input_scale_bits || (int32_t)m->xz != it->input_zero) {
      return TF_STATUS_INCOMPATIBLE; /* xs, xz MUST equal the new model input's */
    }
    rc = tf_interp_invoke(it, m->x.data, m->x.len);
  } else {
    memset(it->input, (int)it->input_zero, it->input_bytes);
    rc = tf_interp_invoke(it, it->input, it->input_bytes);
  }
  if (rc != TF_OK) {
    return TF_STATUS_SMOKE_TEST_FAILED;
  }
  if (m->has_smoke) {
    tf_sha256(it->output, it->output_bytes, digest);
    if (memcmp(digest, m->ysha, sizeof digest) != 0) {
      return TF_STATUS_SMOKE_TEST_FAILED;
    }
  }
  return TF_OK;
}

/* tf_ota hook: make @p slot the running model; with @p smoke, run the §4.6.5 smoke test. */
static tf_status_t ota_load(void *ctx, uint8_t slot, uint32_t len, const tf_msg_ota_sha_t *smoke) {
  tf_agent_t *a = (tf_agent_t *)ctx;
  tf_status_t rc;

  tf_agent_train_model_changed(a); /* a running session ends: its weights belong to the old model */
  rc = prepare_model(a, a->cfg.map_slot(a->cfg.map_ctx, slot, len), len); /* msha, mver (§4.2.1) */
  a->cfg.active_slot = slot; /* aslot: the slot that runs */
  a->cfg.model = NULL;
  if (rc != TF_OK) {
    return TF_STATUS_INCOMPATIBLE;
  }
  return smoke != NULL ? smoke_test(a, smoke) : TF_OK;
}

/* tf_ota hook: §4.6.4 checks of the written artifact: §5.8 digest = header = offer sha, §5.10, fit. */
static tf_status_t ota_check(void *ctx, uint8_t slot, uint32_t len, const uint8_t sha[32]) {
  tf_agent_t *a = (tf_agent_t *)ctx;
  const uint8_t *p = a->cfg.map_slot(a->cfg.map_ctx, slot, len);
  tf_artifact_t art;
  uint32_t ram = 0;
  tf_status_t rc;

  if (p == NULL) {
    return TF_STATUS_FLASH_ERROR;
  }
  rc = tf_artifact_open(&art, p, len); /* §5.10 steps 1-9, including the §5.8 digest */
  if (rc == TF_OK && memcmp(art.sha256, sha, 32) != 0) {
    rc = TF_STATUS_SHA_MISMATCH;
  }
  if (rc == TF_OK) {
    rc = tf_interp_ram_size(&art, &ram);
    if (rc == TF_OK && (art.arena_infer_bytes > a->cfg.arena_len || ram > a->cfg.ram_len)) {
      rc = TF_STATUS_INCOMPATIBLE; /* arena sizes against the device */
    }
  }
  if (rc != TF_OK && rc != TF_STATUS_SHA_MISMATCH && rc != TF_STATUS_FLASH_ERROR) {
    rc = TF_STATUS_INCOMPATIBLE;
  }
  return rc;
}

/* PROTOCOL.md §4.6: the OTA requests, answered with OTA_STATUS or ERROR (tf_ota.h). */
static void on_ota(tf_agent_t *a, const tf_msg_t *m) {
  tf_status_t rc = TF_STATUS_INCOMPATIBLE;

  if (a->has_ota) {
    switch (m->env.type) {
    case TF_MSG_OTA_OFFER:
      rc = tf_ota_offer(&a->ota, &m->u.ota_offer);
      break;
    case TF_MSG_OTA_BLOCK:
      rc = tf_ota_block(&a->ota, &m->u.ota_block);
      if (rc == TF_OK) {
        return; /* §4.6.3: no answer */
      }
      break;
    case TF_MSG_OTA_COMMIT:
      rc = tf_ota_commit(&a->ota, m->u.ota.sha);
      break;
    case TF_MSG_OTA_TEST_BOOT:
      rc = tf_ota_test_boot(&a->ota, &m->u.ota);
      break;
    case TF_MSG_OTA_CONFIRM:
      rc = tf_ota_confirm(&a->ota, m->u.ota.sha);
      break;
    default:
      rc = tf_ota_revert(&a->ota, m->u.ota.sha);
      break;
    }
  }
  if (rc != TF_OK) {
    tf_agent_send_error(a, &m->env.id, rc, tf_status_name(rc));
  } else {
    send_ota_status(a, &m->env.id);
  }
}

static void on_message(tf_agent_t *a, const uint8_t *data, size_t len) {
  tf_msg_t m;
  tf_status_t rc = tf_msg_decode(data, len, tf_link_params(&a->link)->max_message_bytes, &m);

  a->rx++;
  if (rc != TF_OK) {
    /* §4.1.7: answer a rejected request; a report (reply none) or an ERROR is dropped */
    bool report = m.env.type != 0 && !tf_msg_is_request(m.env.type);
    if (!report && a->state == TF_AGENT_RUNNING) {
      tf_agent_send_error(a, m.env.id.data != NULL ? &m.env.id : NULL, rc, tf_status_name(rc));
    }
    return;
  }
  switch (m.env.type) {
  case TF_MSG_HELLO_ACK: /* §4.2.2 */
    a->hb_ms = m.u.hello_ack.hb;
    if (a->state != TF_AGENT_RUNNING) {
      a->state = TF_AGENT_RUNNING;
      if (a->has_ota && a->ota.state != TF_OTA_STATE_IDLE) {
        send_ota_status(a, NULL); /* §4.2 item 3: OTA_STATUS first when not IDLE */
      }
      send_heartbeat(a); /* §4.2 item 3: then every hb ms */
      replay_resend(a); /* §3.6.4 item 2: then the reports not known delivered, in order */
    }
    break;
  case TF_MSG_ERROR:
    if (a->state == TF_AGENT_WAIT_HELLO_ACK) { /* §4.2 item 2: retry no more often than every 60 s */
      a->hello_at = a->now + TF_AGENT_HELLO_RETRY_AFTER_ERROR_MS;
    }
    break; /* never answered */
  case TF_MSG_INFER_REQUEST:
    if (a->state == TF_AGENT_RUNNING) {
      on_infer(a, &m);
    }
    break;
  case TF_MSG_TRAIN_START:
  case TF_MSG_TRAIN_STOP:
  case TF_MSG_TRAIN_CONFIG:
  case TF_MSG_SAMPLE_BATCH:
    if (a->state == TF_AGENT_RUNNING) {
      tf_agent_on_train(a, &m); /* §4.3, §4.4 */
    }
    break;
  case TF_MSG_OTA_OFFER:
  case TF_MSG_OTA_BLOCK:
  case TF_MSG_OTA_COMMIT:
  case TF_MSG_OTA_TEST_BOOT:
  case TF_MSG_OTA_CONFIRM:
  case TF_MSG_OTA_REVERT:
    if (a->state == TF_AGENT_RUNNING) {
      on_ota(a, &m);
    }
    break;
  default:
    if (a->state == TF_AGENT_RUNNING && tf_msg_is_request(m.env.type)) {
      tf_agent_send_error(a, &m.env.id, TF_STATUS_INCOMPATIBLE, "not implemented by this runtime yet");
    }
    break;
  }
}

static void on_link_event(void *ctx, const tf_link_event_t *ev) {
  tf_agent_t *a = (tf_agent_t *)ctx;

  switch (ev->type) {
  case TF_LINK_EV_CONNECTED: /* §3.6.4: a device sends its §4.2 HELLO after every link HELLO */
    send_hello(a);
    break;
  case TF_LINK_EV_MESSAGE:
    on_message(a, ev->data, ev->len);
    break;
  case TF_LINK_EV_PEER_RESET:
  case TF_LINK_EV_LINK_DOWN:
    a->state = TF_AGENT_LINK_DOWN;
    replay_rewind(a); /* §3.6.4 item 2: re-sent after the next HELLO_ACK */
    break;
  default:
    break;
  }
}

void tf_agent_init(tf_agent_t *a, const tf_agent_config_t *cfg) {
  memset(a, 0, sizeof *a);
  a->cfg = *cfg;
  a->hb_ms = TF_AGENT_DEFAULT_HB_MS;
  a->now = a->last_millis = cfg->hal->millis(cfg->hal->ctx);
  /* the active model: §5.10 checks, then the interpreter's prepare (tf_interp.h) */
  a->model_status = TF_STATUS_BAD_STATE;
  if (cfg->slots != NULL && cfg->map_slot != NULL) {
    tf_ota_config_t oc;
    tf_slots_boot_result_t boot = cfg->boot;
    memset(&oc, 0, sizeof oc);
    oc.slots = cfg->slots;
    oc.region_addr = cfg->ota_region_addr;
    oc.region_bytes = cfg->ota_region_bytes;
    oc.hooks.ctx = a;
    oc.hooks.check = ota_check;
    oc.hooks.load = ota_load;
    a->ota_status = tf_ota_open(&a->ota, &oc, &boot); /* may revert an unconfirmed trial (§4.6.1) */
    a->has_ota = a->ota_status == TF_OK;
    a->cfg.has_model = false;
    if (boot.slot != TF_SLOT_NONE) {
      (void)ota_load(a, boot.slot, boot.length, NULL);
    }
  } else if (cfg->model != NULL) {
    (void)prepare_model(a, cfg->model, cfg->model_len);
  }
  tf_link_init(&a->link, cfg->seed ^ cfg->boot_counter, a->now, on_link_event, a);
}

tf_status_t tf_agent_step(tf_agent_t *a) {
  const tf_hal_t *hal = a->cfg.hal;
  uint8_t buf[256];
  size_t got = 0;
  size_t out_len = 0;
  unsigned frames = 0;
  tf_status_t rc;

  a->now = hal->millis(hal->ctx);
  a->uptime_ms += (uint32_t)(a->now - a->last_millis);
  a->last_millis = a->now;
  while ((rc = hal->uart.read(hal->uart.ctx, buf, sizeof buf, &got)) == TF_OK && got > 0) {
    tf_link_input(&a->link, buf, got, a->now);
  }
  replay_release(a); /* reports the peer has acknowledged (§3.6.4 item 2) */
  if (a->state == TF_AGENT_RUNNING) {
    replay_resend(a); /* after a session end: what the link queue could not take at HELLO_ACK */
    tf_agent_train_poll(a); /* §4.3, §4.4: reports, one training step, credits */
  }
  if (a->state == TF_AGENT_WAIT_HELLO_ACK && due(a->now, a->hello_at)) {
    send_hello(a); /* §4.2 item 1: a new HELLO (new id) */
  } else if (a->state == TF_AGENT_RUNNING && due(a->now, a->hb_at)) {
    send_heartbeat(a);
  }
  /* transmit opportunities: frames are built now, so they carry the newest ack (§3.5.3) */
  while (frames++ < 64u && tf_link_output(&a->link, a->now, a->tx_frame, sizeof a->tx_frame, &out_len) == TF_OK &&
         out_len > 0) {
    (void)hal->uart.write(hal->uart.ctx, a->tx_frame, out_len);
  }
  return rc;
}
