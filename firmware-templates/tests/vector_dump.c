/*
 * tf_vector_dump <protocol/vectors dir>: runs every golden vector through the C decoders and
 * prints one JSON object per line with what the C side decoded; test/firmware/vectors.test.ts
 * compares each line with the vector's .json (PROTOCOL.md §7) and names the first differing
 * field. All decoding happens here, in C; the TypeScript side only compares.
 *
 *   link/<name>.bin       -> {"kind":"link","file":...,"valid":..,"error":..,"header":{..},"payload":..,"decoded":{..}}
 *   cbor/<name>.cbor      -> {"kind":"cbor","file":...,"walk":"OK","status":..,"t":..,"body":..,"fields":{..}}
 *   cbor/invalid/<n>.cbor -> {"kind":"cbor-invalid",...same...}
 *   artifact/<name>.tfm -> {"kind":"artifact","file":...,"status":..,"header":{..},"ops":[..],"tensors":[..],...}
 */
#define _XOPEN_SOURCE 700

#include "tinyfleet/tf_artifact.h"
#include "tinyfleet/tf_cbor.h"
#include "tinyfleet/tf_link.h"
#include "tinyfleet/tf_msg.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (512u * 1024u)

static uint8_t g_file[MAX_FILE];

static long read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  size_t n;

  if (f == NULL) {
    return -1;
  }
  n = fread(g_file, 1, sizeof g_file, f);
  fclose(f);
  return (long)n;
}

static void hex(const uint8_t *p, size_t n) {
  size_t i;

  printf("{\"$hex\":\"");
  for (i = 0; i < n; i++) {
    printf("%02x", p[i]);
  }
  printf("\"}");
}

static void jstr(const uint8_t *p, size_t n) {
  size_t i;

  putchar('"');
  for (i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '"' || c == '\\') {
      printf("\\%c", c);
    } else if (c < 0x20u) {
      printf("\\u%04x", c);
    } else {
      putchar(c);
    }
  }
  putchar('"');
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls fn for every file in dir ending in suffix, sorted. */
static void each_file(const char *dir, const char *suffix, void (*fn)(const char *dir, const char *name)) {
  DIR *d = opendir(dir);
  struct dirent *e;
  static char store[256][256];
  char *names[256];
  size_t n = 0, i;

  if (d == NULL) {
    printf("{\"kind\":\"error\",\"file\":\"%s\",\"error\":\"cannot open directory\"}\n", dir);
    return;
  }
  while ((e = readdir(d)) != NULL && n < 256u) {
    if (ends_with(e->d_name, suffix) && strlen(e->d_name) < sizeof store[0]) {
      strcpy(store[n], e->d_name);
      names[n] = store[n];
      n++;
    }
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_names);
  for (i = 0; i < n; i++) {
    fn(dir, names[i]);
  }
}

/* ---- link ---- */

static void link_file(const char *dir, const char *name) {
  char path[1024];
  long len;
  tf_link_deframer_t df;
  tf_status_t last_rc = TF_OK;
  tf_link_frame_t f;
  bool have = false, after_crc = false;
  size_t pos = 0;
  static uint8_t raw[TF_LINK_OVERHEAD + TF_LINK_MAX_FRAME_PAYLOAD];
  size_t raw_len = 0;

  snprintf(path, sizeof path, "%s/%s", dir, name);
  len = read_file(path);
  printf("{\"kind\":\"link\",\"file\":\"%s\"", name);
  if (len < 0) {
    printf(",\"error\":\"cannot read\"}\n");
    return;
  }
  /* the deframer of §3.7.1, sized for the largest frame so data-max decodes */
  tf_link_deframer_init(&df);
  (void)tf_cobs_decoder_init(&df.cobs, raw, sizeof raw);
  while (pos < (size_t)len) {
    size_t used = 0, got = 0;
    tf_status_t rc = tf_link_deframer_feed(&df, g_file + pos, (size_t)len - pos, &used, &got);
    pos += used;
    if (rc != TF_OK) {
      have = true;
      last_rc = rc;
      raw_len = 0;
    } else if (got > 0) {
      have = true;
      raw_len = got;
      last_rc = tf_link_frame_decode(raw, got, TF_LINK_MAX_FRAME_PAYLOAD, &f, &after_crc);
    }
  }
  if (!have) {
    printf(",\"valid\":false,\"error\":\"NO_FRAME\"}\n");
    return;
  }
  printf(",\"valid\":%s", last_rc == TF_OK ? "true" : "false");
  if (last_rc != TF_OK) {
    printf(",\"error\":\"%s\"", tf_status_name(last_rc));
  }
  if (raw_len >= TF_LINK_HEADER_BYTES) {
    printf(",\"header\":{\"version\":%u,\"type\":%u,\"flags\":%u,\"rwnd\":%u,\"seq\":%u,\"ack\":%u,\"length\":%u}",
           f.h.version, f.h.type, f.h.flags, f.h.rwnd, f.h.seq, f.h.ack, f.h.length);
  }
  if (last_rc == TF_OK) {
    printf(",\"payload\":");
    hex(f.payload, f.h.length);
    if (f.h.type == TF_FRAME_HELLO || f.h.type == TF_FRAME_HELLO_ACK) {
      tf_link_hello_t h;
      tf_link_hello_read(f.payload, &h);
      printf(",\"decoded\":{\"version\":%u,\"window\":%u,\"max_frame_payload\":%u,\"max_message_bytes\":%lu,"
             "\"epoch\":%lu,\"peer_epoch\":%lu}",
             h.version, h.window, h.max_frame_payload, (unsigned long)h.max_message_bytes, (unsigned long)h.epoch,
             (unsigned long)h.peer_epoch);
    } else if (f.h.type == TF_FRAME_ACK) {
      const uint8_t *p = f.payload;
      printf(",\"decoded\":{\"sack\":%lu}",
             (unsigned long)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24)));
    } else if (f.h.type == TF_FRAME_ERROR) {
      uint16_t code = (uint16_t)(f.payload[0] | (f.payload[1] << 8));
      printf(",\"decoded\":{\"code\":%u,\"name\":\"%s\",\"text\":", code, tf_status_name((tf_status_t) - (int)code));
      jstr(f.payload + 2, f.h.length - 2u);
      printf("}");
    }
  }
  printf("}\n");
}

/* ---- cbor ---- */

static void field_str(const char *key, const tf_msg_str_t *s, int text) {
  if (s->data == NULL) {
    return;
  }
  printf(",\"%s\":", key);
  if (text) {
    jstr(s->data, s->len);
  } else {
    hex(s->data, s->len);
  }
}

static void f32_field(const char *key, float f) {
  printf(",\"%s\":%.9g", key, (double)f);
}

static void bits_field(const char *key, uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  f32_field(key, f);
}

static void shape_field(const uint32_t *shape, uint8_t rank) {
  size_t i;
  printf(",\"shape\":[");
  for (i = 0; i < rank; i++) {
    printf("%s%lu", i > 0 ? "," : "", (unsigned long)shape[i]);
  }
  printf("]");
}

static void sha_field(const char *key, const uint8_t *sha, size_t n) {
  if (sha != NULL) {
    printf(",\"%s\":", key);
    hex(sha, n);
  }
}

static void train_params(const tf_msg_train_params_t *p) {
  if (p->has_lmin) f32_field("lmin", p->lmin);
  if (p->has_lmax) f32_field("lmax", p->lmax);
  if (p->has_lr) f32_field("lr", p->lr);
  if (p->has_bs) printf(",\"bs\":%lu", (unsigned long)p->bs);
  if (p->has_eps) printf(",\"eps\":%lu", (unsigned long)p->eps);
  if (p->has_ea) f32_field("ea", p->ea);
  if (p->has_ee) f32_field("ee", p->ee);
  if (p->has_ew) f32_field("ew", p->ew);
  if (p->has_steps) printf(",\"steps\":%lu", (unsigned long)p->steps);
  if (p->has_smax) printf(",\"smax\":%lu", (unsigned long)p->smax);
  if (p->has_me) printf(",\"me\":%lu", (unsigned long)p->me);
  if (p->has_ge) printf(",\"ge\":%lu", (unsigned long)p->ge);
  if (p->has_gk) printf(",\"gk\":%lu", (unsigned long)p->gk);
  if (p->has_upd) printf(",\"upd\":%lu", (unsigned long)p->upd);
  if (p->has_rnd) printf(",\"rnd\":%lu", (unsigned long)p->rnd);
  if (p->has_lrb) f32_field("lrb", p->lrb);
}

/* §4.3, §4.4, §4.6 bodies */
static void dump_body2(const tf_msg_t *m) {
  size_t i;

  switch (m->env.type) {
  case TF_MSG_SAMPLE_BATCH: {
    const tf_msg_sample_batch_t *b = &m->u.sample_batch;
    printf(",\"sid\":%lu,\"seq\":%lu", (unsigned long)b->sid, (unsigned long)b->seq);
    shape_field(b->shape, b->rank);
    field_str("x", &b->x, 0);
    bits_field("xs", b->xs_bits);
    printf(",\"xz\":%lu", (unsigned long)b->xz);
    field_str("y", &b->y, 0);
    break;
  }
  case TF_MSG_SAMPLE_CREDIT:
    printf(",\"sid\":%lu,\"next\":%lu,\"cr\":%lu", (unsigned long)m->u.sample_credit.sid,
           (unsigned long)m->u.sample_credit.next, (unsigned long)m->u.sample_credit.cr);
    break;
  case TF_MSG_TRAIN_START:
  case TF_MSG_TRAIN_CONFIG:
  case TF_MSG_TRAIN_STOP: {
    const tf_msg_train_start_t *b = &m->u.train_start;
    printf(",\"sid\":%lu", (unsigned long)b->sid);
    if (b->has_layers) {
      printf(",\"layers\":[");
      for (i = 0; i < b->layer_count; i++) {
        printf("%s%u", i > 0 ? "," : "", b->layers[i]);
      }
      printf("]");
    }
    train_params(&b->p);
    if (b->has_seed) printf(",\"seed\":%lu", (unsigned long)b->seed);
    field_str("msha", &b->msha, 0);
    break;
  }
  case TF_MSG_TRAIN_STATUS: {
    const tf_msg_train_status_t *b = &m->u.train_status;
    printf(",\"sid\":%lu,\"st\":%u,\"step\":%lu,\"n\":%lu", (unsigned long)b->sid, b->st,
           (unsigned long)b->step, (unsigned long)b->n);
    if (b->has_err) printf(",\"err\":%u", b->err);
    field_str("msg", &b->msg, 1);
    break;
  }
  case TF_MSG_TRAIN_METRICS: {
    const tf_msg_train_metrics_t *b = &m->u.train_metrics;
    printf(",\"sid\":%lu,\"step\":%lu,\"n\":%lu", (unsigned long)b->sid, (unsigned long)b->step,
           (unsigned long)b->n);
    f32_field("loss", b->loss);
    f32_field("acc", b->acc);
    f32_field("ur", b->ur);
    printf(",\"cyc\":%llu,\"mem\":%lu,\"us\":%lu", (unsigned long long)b->cyc, (unsigned long)b->mem,
           (unsigned long)b->us);
    break;
  }
  case TF_MSG_GRAD_UPDATE: {
    const tf_msg_grad_update_t *b = &m->u.grad_update;
    printf(",\"sid\":%lu,\"step\":%lu,\"layer\":%lu,\"kind\":%lu,\"n\":%lu,\"nst\":%lu,\"es\":%lu",
           (unsigned long)b->sid, (unsigned long)b->step, (unsigned long)b->layer, (unsigned long)b->kind,
           (unsigned long)b->n, (unsigned long)b->nst, (unsigned long)b->es);
    printf(",\"idx\":{\"$tag\":69,\"value\":");
    hex(b->idx.data, b->idx.len);
    printf("}");
    field_str("q", &b->q, 0);
    bits_field("qs", b->qs_bits);
    printf(",\"qz\":%lu", (unsigned long)b->qz);
    if (b->has_eps) f32_field("eps", b->eps);
    break;
  }
  case TF_MSG_OTA_OFFER: {
    const tf_msg_ota_offer_t *b = &m->u.ota_offer;
    sha_field("sha", b->sha, 32);
    printf(",\"size\":%lu,\"bs\":%lu,\"nb\":%lu,\"mver\":%lu", (unsigned long)b->size, (unsigned long)b->bs,
           (unsigned long)b->nb, (unsigned long)b->mver);
    sha_field("kid", b->kid, 8);
    break;
  }
  case TF_MSG_OTA_BLOCK:
    sha_field("sha", m->u.ota_block.sha, 32);
    printf(",\"i\":%lu", (unsigned long)m->u.ota_block.i);
    field_str("d", &m->u.ota_block.d, 0);
    break;
  case TF_MSG_OTA_COMMIT:
  case TF_MSG_OTA_CONFIRM:
  case TF_MSG_OTA_REVERT:
  case TF_MSG_OTA_TEST_BOOT: {
    const tf_msg_ota_sha_t *b = &m->u.ota;
    sha_field("sha", b->sha, 32);
    if (b->has_smoke) {
      shape_field(b->shape, b->rank);
      field_str("x", &b->x, 0);
      bits_field("xs", b->xs_bits);
      printf(",\"xz\":%lu", (unsigned long)b->xz);
      sha_field("ysha", b->ysha, 32);
    }
    break;
  }
  case TF_MSG_OTA_STATUS: {
    const tf_msg_ota_status_t *b = &m->u.ota_status;
    printf(",\"st\":%u", b->st);
    sha_field("sha", b->sha, 32);
    if (b->has_mver) printf(",\"mver\":%lu", (unsigned long)b->mver);
    if (b->have.data != NULL) {
      printf(",\"nb\":%lu", (unsigned long)b->nb);
      field_str("have", &b->have, 0);
    }
    if (b->has_aslot) printf(",\"aslot\":%u", b->aslot);
    if (b->has_pslot) printf(",\"pslot\":%u", b->pslot);
    if (b->has_err) printf(",\"err\":%u", b->err);
    break;
  }
  default:
    break;
  }
}

static void dump_msg(const tf_msg_t *m) {
  size_t i;

  printf(",\"fields\":{\"v\":1,\"t\":%lu", (unsigned long)m->env.type);
  field_str("id", &m->env.id, 0);
  if (m->env.has_ts) {
    printf(",\"ts\":%llu", (unsigned long long)m->env.ts);
  }
  field_str("re", &m->env.re, 0);
  if (m->body_decoded) {
    switch (m->env.type) {
    case TF_MSG_HELLO: {
      const tf_msg_hello_t *h = &m->u.hello;
      field_str("dev", &h->dev, 1);
      field_str("fw", &h->fw, 1);
      field_str("core", &h->core, 1);
      printf(",\"abi\":%lu,\"clk\":%lu,\"flash\":%lu,\"ram\":%lu,\"slot\":%lu,\"ops\":[", (unsigned long)h->abi,
             (unsigned long)h->clk, (unsigned long)h->flash, (unsigned long)h->ram, (unsigned long)h->slot);
      for (i = 0; i < h->ops_count; i++) {
        printf("%s%u", i > 0 ? "," : "", h->ops[i]);
      }
      printf("],\"fqt\":%s,\"mmsg\":%lu,\"sbuf\":%lu,\"boot\":%lu", h->fqt ? "true" : "false",
             (unsigned long)h->mmsg, (unsigned long)h->sbuf, (unsigned long)h->boot);
      if (h->has_baud) {
        printf(",\"baud\":%lu", (unsigned long)h->baud);
      }
      if (h->has_model) {
        printf(",\"msha\":");
        hex(h->msha, 32);
        printf(",\"mver\":%lu,\"aslot\":%u", (unsigned long)h->mver, h->aslot);
      }
      break;
    }
    case TF_MSG_HELLO_ACK:
      field_str("name", &m->u.hello_ack.name, 1);
      printf(",\"time\":%llu", (unsigned long long)m->u.hello_ack.time);
      if (m->u.hello_ack.has_hb) {
        printf(",\"hb\":%lu", (unsigned long)m->u.hello_ack.hb);
      }
      break;
    case TF_MSG_HEARTBEAT: {
      const tf_msg_heartbeat_t *b = &m->u.heartbeat;
      printf(",\"up\":%llu,\"st\":%u,\"fram\":%lu,\"rx\":%lu,\"tx\":%lu,\"nerr\":%lu", (unsigned long long)b->up,
             b->st, (unsigned long)b->fram, (unsigned long)b->rx, (unsigned long)b->tx, (unsigned long)b->nerr);
      if (b->has_sid) {
        printf(",\"sid\":%lu", (unsigned long)b->sid);
      }
      break;
    }
    case TF_MSG_LOG:
      printf(",\"lvl\":%u", m->u.log.lvl);
      field_str("msg", &m->u.log.msg, 1);
      field_str("tag", &m->u.log.tag, 1);
      if (m->u.log.has_up) {
        printf(",\"up\":%llu", (unsigned long long)m->u.log.up);
      }
      break;
    case TF_MSG_INFER_REQUEST: {
      const tf_msg_infer_request_t *q = &m->u.infer_request;
      float xs;
      memcpy(&xs, &q->xs_bits, sizeof xs);
      printf(",\"shape\":[");
      for (i = 0; i < q->rank; i++) {
        printf("%s%lu", i > 0 ? "," : "", (unsigned long)q->shape[i]);
      }
      printf("]");
      field_str("x", &q->x, 0);
      printf(",\"xs\":%.17g,\"xz\":%lu", (double)xs, (unsigned long)q->xz);
      if (q->has_full) {
        printf(",\"full\":%s", q->full ? "true" : "false");
      }
      break;
    }
    case TF_MSG_INFER_RESULT: {
      const tf_msg_infer_result_t *r = &m->u.infer_result;
      printf(",\"cls\":%lu,\"cyc\":%llu", (unsigned long)r->cls, (unsigned long long)r->cyc);
      if (r->has_us) {
        printf(",\"us\":%lu", (unsigned long)r->us);
      }
      if (r->y.data != NULL) {
        float ys;
        memcpy(&ys, &r->ys_bits, sizeof ys);
        field_str("y", &r->y, 0);
        printf(",\"ys\":%.17g,\"yz\":%lu", (double)ys, (unsigned long)r->yz);
      }
      break;
    }
    case TF_MSG_ERROR:
      printf(",\"code\":%u", m->u.error.code);
      field_str("msg", &m->u.error.msg, 1);
      break;
    default:
      dump_body2(m);
      break;
    }
  }
  printf("}");
}

/* The device's encoders (reports it sends): re-encode the decoded message; "reenc" says whether
 * the bytes equal the vector's (the generator's preferred serialization) and "redec" whether the C
 * decoder accepts them again. */
static void reencode(const tf_msg_t *m, size_t len) {
  static uint8_t out[8192];
  size_t n = 0;
  tf_status_t rc;
  tf_msg_t again;

  switch (m->env.type) {
  case TF_MSG_SAMPLE_CREDIT: rc = tf_msg_encode_sample_credit(&m->env, &m->u.sample_credit, out, sizeof out, &n); break;
  case TF_MSG_TRAIN_STATUS: rc = tf_msg_encode_train_status(&m->env, &m->u.train_status, out, sizeof out, &n); break;
  case TF_MSG_TRAIN_METRICS: rc = tf_msg_encode_train_metrics(&m->env, &m->u.train_metrics, out, sizeof out, &n); break;
  case TF_MSG_GRAD_UPDATE: rc = tf_msg_encode_grad_update(&m->env, &m->u.grad_update, out, sizeof out, &n); break;
  case TF_MSG_OTA_STATUS: rc = tf_msg_encode_ota_status(&m->env, &m->u.ota_status, out, sizeof out, &n); break;
  default: return;
  }
  printf(",\"reenc\":%s,\"redec\":\"%s\"", rc == TF_OK && n == len && memcmp(out, g_file, n) == 0 ? "true" : "false",
         tf_status_name(rc == TF_OK ? tf_msg_decode(out, n, sizeof out, &again) : rc));
}

static const char *g_cbor_kind = "cbor";

static void cbor_file(const char *dir, const char *name) {
  char path[1024];
  long len;
  tf_cbor_reader_t r;
  tf_status_t walk;
  tf_status_t rc;
  tf_msg_t m;

  snprintf(path, sizeof path, "%s/%s", dir, name);
  len = read_file(path);
  printf("{\"kind\":\"%s\",\"file\":\"%s\"", g_cbor_kind, name);
  if (len < 0) {
    printf(",\"error\":\"cannot read\"}\n");
    return;
  }
  /* the generic reader: walk (skip) the whole item, then nothing may follow */
  walk = tf_cbor_reader_init(&r, g_file, (size_t)len, TF_CBOR_MAX_DEPTH);
  if (walk == TF_OK) {
    walk = tf_cbor_skip(&r);
  }
  if (walk == TF_OK && tf_cbor_reader_remaining(&r) != 0) {
    walk = TF_STATUS_MALFORMED;
  }
  rc = tf_msg_decode(g_file, (size_t)len, TF_MQTT_MAX_PAYLOAD_BYTES, &m);
  printf(",\"walk\":\"%s\",\"status\":\"%s\",\"t\":%lu,\"body\":%s", tf_status_name(walk), tf_status_name(rc),
         (unsigned long)m.env.type, m.body_decoded ? "true" : "false");
  if (rc == TF_OK) {
    dump_msg(&m);
    reencode(&m, (size_t)len);
  }
  printf("}\n");
}

/* ---- artifact ---- */

static const char *const DTYPE[] = {"?", "UINT8", "INT8", "INT32", "FLOAT32"};
static const char *const STORAGE[] = {"FLASH", "ARENA", "RAM_COPY"};

static void artifact_file(const char *dir, const char *name) {
  char path[1024];
  long len;
  tf_artifact_t a;
  tf_status_t rc;
  uint32_t i, k;

  snprintf(path, sizeof path, "%s/%s", dir, name);
  len = read_file(path);
  printf("{\"kind\":\"artifact\",\"file\":\"%s\"", name);
  if (len < 0) {
    printf(",\"error\":\"cannot read\"}\n");
    return;
  }
  rc = tf_artifact_open(&a, g_file, (size_t)len);
  printf(",\"status\":\"%s\",\"bytes\":%ld", tf_status_name(rc), len);
  if (rc != TF_OK) {
    printf("}\n");
    return;
  }
  printf(",\"header\":{\"magic\":%lu,\"format_version\":1,\"header_bytes\":192,\"flags\":%lu,\"content_bytes\":%lu,"
         "\"model_version\":%lu,\"abi_version\":%u,\"input_tensor\":%u,\"output_tensor\":%u,\"arena_infer_bytes\":%lu,"
         "\"arena_train_bytes\":%lu,\"ram_bytes\":%lu,\"name\":",
         (unsigned long)TF_ARTIFACT_MAGIC, (unsigned long)a.flags, (unsigned long)a.content_bytes,
         (unsigned long)a.model_version, a.abi_version, a.input_tensor, a.output_tensor,
         (unsigned long)a.arena_infer_bytes, (unsigned long)a.arena_train_bytes, (unsigned long)a.ram_bytes);
  jstr((const uint8_t *)a.name, strlen(a.name));
  printf(",\"sha256\":");
  hex(a.sha256, 32);
  printf(",\"sections\":[");
  for (i = 0; i < TF_ARTIFACT_SECTION_COUNT; i++) {
    printf("%s{\"offset\":%lu,\"bytes\":%lu,\"count\":%lu}", i > 0 ? "," : "", (unsigned long)a.sections[i].offset,
           (unsigned long)a.sections[i].bytes, (unsigned long)a.sections[i].count);
  }
  printf("]},\"ops\":[");
  for (i = 0; i < tf_artifact_op_count(&a); i++) {
    tf_artifact_op_t op;
    tf_artifact_op(&a, i, &op);
    printf("%s{\"index\":%lu,\"kind_value\":%u,\"inputs\":[", i > 0 ? "," : "", (unsigned long)i, op.kind);
    for (k = 0; k < op.input_count; k++) {
      printf("%s%u", k > 0 ? "," : "", op.inputs[k]);
    }
    printf("],\"output\":%u,\"p16\":[", op.output);
    for (k = 0; k < 8u; k++) {
      printf("%s%u", k > 0 ? "," : "", op.p16[k]);
    }
    printf("],\"act_min\":%ld,\"act_max\":%ld}", (long)op.act_min, (long)op.act_max);
  }
  printf("],\"tensors\":[");
  for (i = 0; i < tf_artifact_tensor_count(&a); i++) {
    tf_artifact_tensor_t t;
    tf_artifact_tensor(&a, i, &t);
    printf("%s{\"id\":%u,\"dtype\":\"%s\",\"storage\":\"%s\",\"flags_value\":%u,\"rank\":%u,\"shape\":[",
           i > 0 ? "," : "", t.id, DTYPE[t.dtype <= 4u ? t.dtype : 0], STORAGE[t.storage <= 2u ? t.storage : 0],
           t.flags, t.rank);
    for (k = 0; k < t.rank; k++) {
      printf("%s%lu", k > 0 ? "," : "", (unsigned long)t.shape[k]);
    }
    printf("],\"byte_size\":%lu,\"data_offset\":%lu,\"mem_offset\":%lu,\"ref\":%u,\"quant_value\":%u",
           (unsigned long)t.byte_size, (unsigned long)t.data_offset, (unsigned long)t.mem_offset, t.ref, t.quant);
    if (t.quant == TF_QUANT_PER_TENSOR) {
      printf(",\"scale\":%.9g,\"zero_point\":%ld", (double)t.scale, (long)t.zero_point);
    } else if (t.quant == TF_QUANT_PER_CHANNEL) {
      printf(",\"q_axis\":%u,\"q_count\":%lu,\"q_offset\":%lu,\"scales\":[", t.q_axis, (unsigned long)t.q_count,
             (unsigned long)t.q_offset);
      for (k = 0; k < t.q_count; k++) {
        float s;
        uint32_t bits = (uint32_t)t.qparams[4u * k] | ((uint32_t)t.qparams[4u * k + 1u] << 8) |
                        ((uint32_t)t.qparams[4u * k + 2u] << 16) | ((uint32_t)t.qparams[4u * k + 3u] << 24);
        memcpy(&s, &bits, sizeof s);
        printf("%s%.9g", k > 0 ? "," : "", (double)s);
      }
      printf("]");
    }
    if (t.data != NULL) {
      printf(",\"data\":");
      hex(t.data, t.byte_size);
    }
    printf("}");
  }
  printf("]");
  {
    tf_artifact_train_t tr;
    if (tf_artifact_train(&a, &tr) == TF_OK) {
      printf(",\"training\":{\"lambda_min\":%.9g,\"lambda_max\":%.9g,\"learning_rate\":%.9g,\"ema_activations\":%.9g,"
             "\"ema_errors\":%.9g,\"ema_weights\":%.9g,\"batch_size\":%u,\"eps_mode_value\":%u,\"update_value\":%u,"
             "\"rounding_value\":%u,\"trainable_ops\":[",
             (double)tr.lambda_min, (double)tr.lambda_max, (double)tr.learning_rate, (double)tr.ema_activations,
             (double)tr.ema_errors, (double)tr.ema_weights, tr.batch_size, tr.eps_mode, tr.update, tr.rounding);
      for (k = 0; k < tr.op_count; k++) {
        printf("%s%u", k > 0 ? "," : "", (unsigned)(tr.ops[2u * k] | (tr.ops[2u * k + 1u] << 8)));
      }
      printf("]}");
    }
  }
  printf(",\"signature\":{\"present\":%s,\"signed\":%s", a.has_envelope ? "true" : "false",
         a.signed_envelope ? "true" : "false");
  if (a.has_envelope) {
    printf(",\"envelope_offset\":%lu,\"key_id\":", (unsigned long)a.content_bytes);
    hex(a.key_id, 8);
    printf(",\"signature\":");
    hex(a.signature, 64);
  }
  printf("}}\n");
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : getenv("TF_VECTORS_DIR");
  char dir[1024];

  if (root == NULL) {
    fprintf(stderr, "usage: tf_vector_dump <protocol/vectors dir> (or TF_VECTORS_DIR)\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s/link", root);
  each_file(dir, ".bin", link_file);
  snprintf(dir, sizeof dir, "%s/cbor", root);
  each_file(dir, ".cbor", cbor_file);
  g_cbor_kind = "cbor-invalid";
  snprintf(dir, sizeof dir, "%s/cbor/invalid", root);
  each_file(dir, ".cbor", cbor_file);
  snprintf(dir, sizeof dir, "%s/artifact", root);
  each_file(dir, ".tfm", artifact_file);
  return 0;
}
