/**
 * @file tf_msg.h
 * @brief CBOR message codec of PROTOCOL.md §4 for every message on the device hop: HELLO,
 *        HELLO_ACK, HEARTBEAT, LOG, ERROR (§4.2), SAMPLE_BATCH, SAMPLE_CREDIT (§4.3), TRAIN_START,
 *        TRAIN_STOP, TRAIN_CONFIG, TRAIN_STATUS, TRAIN_METRICS, GRAD_UPDATE (§4.4), INFER_REQUEST,
 *        INFER_RESULT (§4.5), OTA_OFFER, OTA_BLOCK, OTA_COMMIT, OTA_TEST_BOOT, OTA_CONFIRM,
 *        OTA_REVERT, OTA_STATUS (§4.6). Gateway-level types (§4.7, §4.8: GW_*, BLOCK_*) travel on
 *        MQTT only: envelope and profile checked, body not decoded (body_decoded false).
 *
 * Decoding (tf_msg_decode) follows the order of §4.1.7 and reports the first failure:
 *   1. size > max_bytes                                    TF_STATUS_TOO_LARGE
 *   2. the CBOR profile of §4.1.2 over the whole input     TRUNCATED / MALFORMED
 *      (tf_msg_check_profile: definite lengths only, text keys each at most once, valid UTF-8,
 *      false/true/null, floats, tags 69/78/85 around a byte string of a multiple of the element
 *      size, depth <= 8, nothing after the item)
 *   3. a map                                               MALFORMED
 *   4. v present, a uint, = 1                              BAD_FIELD / UNSUPPORTED_VERSION
 *   5. t present, a uint, a known type                     BAD_FIELD / UNKNOWN_TYPE
 *   6. id, ts, re, then the body keys in table order       BAD_FIELD / OUT_OF_RANGE
 *   7. the rules across fields                             as each message states
 * Zero copy: every string in a decoded message points into the input buffer. No allocation, no
 * recursion (the profile walk keeps an explicit stack of at most TF_MESSAGE_MAX_DEPTH levels).
 * Float32 fields (§4.1.3) accept float16/32/64 and integers, rounded to binary32; scales are kept
 * as their binary32 bits. Optional fields have a has_* flag (or data NULL for strings).
 *
 * Encoding: tf_msg_encode_* write the envelope keys first (v, t, id, ts, re), then the body in
 * table order (§4.1.1 item 2), preferred serialization.
 */
#ifndef TF_MSG_H
#define TF_MSG_H

#include "tinyfleet/tf_protocol.h"
#include "tinyfleet/tf_status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest integer any catalog field holds (§4.1.2 item 6). */
#define TF_MSG_UINT53_MAX 0x1FFFFFFFFFFFFFull

/** A view of a byte or text string inside the decoded buffer; len 0 with data NULL: absent. */
typedef struct tf_msg_str {
  const uint8_t *data;
  size_t len;
} tf_msg_str_t;

/** Envelope, §4.1.1. */
typedef struct tf_msg_envelope {
  uint32_t type; /**< MSG value (t) */
  tf_msg_str_t id;
  bool has_ts;
  uint64_t ts;
  tf_msg_str_t re; /**< data NULL: absent */
} tf_msg_envelope_t;

/** HELLO, §4.2.1. */
typedef struct tf_msg_hello {
  tf_msg_str_t dev, fw, core;
  uint32_t abi, clk, flash, ram, slot;
  uint8_t ops[TF_MESSAGE_MAX_OP_KINDS];
  uint8_t ops_count;
  bool fqt;
  uint32_t mmsg, sbuf;
  bool has_baud;
  uint32_t baud;
  bool has_model; /**< msha, mver, aslot present */
  const uint8_t *msha; /**< 32 bytes */
  uint32_t mver;
  uint8_t aslot;
  uint32_t boot;
} tf_msg_hello_t;

/** HELLO_ACK, §4.2.2. */
typedef struct tf_msg_hello_ack {
  tf_msg_str_t name;
  uint64_t time;
  uint32_t hb; /**< ms; 10000 when absent */
  bool has_hb;
} tf_msg_hello_ack_t;

/** HEARTBEAT, §4.2.3. */
typedef struct tf_msg_heartbeat {
  uint64_t up;
  uint8_t st; /**< DEVICE_STATES */
  uint32_t fram, rx, tx, nerr;
  bool has_sid;
  uint32_t sid;
} tf_msg_heartbeat_t;

/** LOG, §4.2.4. */
typedef struct tf_msg_log {
  uint8_t lvl; /**< LOG_LEVELS */
  tf_msg_str_t msg;
  tf_msg_str_t tag; /**< data NULL: absent */
  bool has_up;
  uint64_t up;
} tf_msg_log_t;

/** ERROR, §4.2.5. */
typedef struct tf_msg_error {
  uint16_t code;
  tf_msg_str_t msg; /**< data NULL: absent */
} tf_msg_error_t;

/** INFER_REQUEST, §4.5.1. Scales are carried as float32 bits (compared bit for bit, §6.2.1). */
typedef struct tf_msg_infer_request {
  uint32_t shape[4];
  uint8_t rank;      /**< 1..4 */
  tf_msg_str_t x;    /**< product of shape bytes, shape[0] = 1 */
  uint32_t xs_bits;  /**< float32 bits of xs, > 0 */
  uint32_t xz;       /**< 0..255 */
  bool full;         /**< default true */
  bool has_full;
} tf_msg_infer_request_t;

/** INFER_RESULT, §4.5.2. */
typedef struct tf_msg_infer_result {
  uint32_t cls;
  uint64_t cyc;
  bool has_us;
  uint32_t us;
  tf_msg_str_t y;   /**< data NULL: absent (then ys, yz absent too) */
  uint32_t ys_bits;
  uint32_t yz;
} tf_msg_infer_result_t;


/** SAMPLE_BATCH, §4.3.1. */
typedef struct tf_msg_sample_batch {
  uint32_t sid, seq;
  uint32_t shape[4];
  uint8_t rank;     /**< shape[0] = n, 1..64 */
  tf_msg_str_t x;   /**< product of shape bytes */
  uint32_t xs_bits; /**< float32 bits */
  uint32_t xz;
  tf_msg_str_t y; /**< n labels */
} tf_msg_sample_batch_t;

/** SAMPLE_CREDIT, §4.3.2. */
typedef struct tf_msg_sample_credit {
  uint32_t sid, next, cr;
} tf_msg_sample_credit_t;

/** Optional parameters of TRAIN_START / TRAIN_CONFIG (§4.4.2, §4.4.4); has_* false: absent. */
typedef struct tf_msg_train_params {
  bool has_lmin, has_lmax, has_lr, has_bs, has_eps, has_ea, has_ee, has_ew;
  bool has_steps, has_smax, has_me, has_ge, has_gk;
  bool has_upd, has_rnd, has_lrb; /**< §6.6.10 */
  float lmin, lmax, lr, ea, ee, ew, lrb;
  uint32_t bs, eps, steps, smax, me, ge, gk, upd, rnd;
} tf_msg_train_params_t;

/** TRAIN_START (§4.4.2), TRAIN_CONFIG (§4.4.4: no layers, no msha), TRAIN_STOP (§4.4.3: sid only). */
typedef struct tf_msg_train_start {
  uint32_t sid;
  bool has_layers;
  uint8_t layer_count;
  uint16_t layers[TF_MESSAGE_MAX_TRAIN_LAYERS];
  tf_msg_train_params_t p;
  bool has_seed; /**< TRAIN_START only (§6.6.10) */
  uint32_t seed;
  tf_msg_str_t msha; /**< 32 bytes; data NULL: absent */
} tf_msg_train_start_t;

/** TRAIN_STATUS, §4.4.5. */
typedef struct tf_msg_train_status {
  uint32_t sid;
  uint8_t st; /**< TRAIN_STATES */
  uint32_t step, n;
  bool has_err;
  uint16_t err;
  tf_msg_str_t msg; /**< data NULL: absent */
} tf_msg_train_status_t;

/** TRAIN_METRICS, §4.4.6. */
typedef struct tf_msg_train_metrics {
  uint32_t sid, step, n;
  float loss, acc, ur;
  uint64_t cyc;
  uint32_t mem, us;
} tf_msg_train_metrics_t;

/** GRAD_UPDATE, §4.4.7. idx: k uint16 little-endian (tag 69), read with tf_msg_u16le(). */
typedef struct tf_msg_grad_update {
  uint32_t sid, step, layer, kind, n, nst, es;
  tf_msg_str_t idx; /**< the bytes inside tag 69; k = len / 2 */
  tf_msg_str_t q;
  uint32_t qs_bits, qz;
  bool has_eps;
  float eps;
} tf_msg_grad_update_t;

/** OTA_OFFER, §4.6.2. */
typedef struct tf_msg_ota_offer {
  const uint8_t *sha; /**< 32 bytes */
  uint32_t size, bs, nb, mver;
  const uint8_t *kid; /**< 8 bytes; all zero: unsigned */
} tf_msg_ota_offer_t;

/** OTA_BLOCK, §4.6.3. */
typedef struct tf_msg_ota_block {
  const uint8_t *sha;
  uint32_t i;
  tf_msg_str_t d;
} tf_msg_ota_block_t;

/** OTA_COMMIT, OTA_CONFIRM, OTA_REVERT (§4.6.4, §4.6.6, §4.6.7), and OTA_TEST_BOOT (§4.6.5). */
typedef struct tf_msg_ota_sha {
  const uint8_t *sha;
  bool has_smoke; /**< OTA_TEST_BOOT: shape, x, xs, xz, ysha all present */
  uint32_t shape[4];
  uint8_t rank;
  tf_msg_str_t x;
  uint32_t xs_bits, xz;
  const uint8_t *ysha;
} tf_msg_ota_sha_t;

/** OTA_STATUS, §4.6.8. */
typedef struct tf_msg_ota_status {
  uint8_t st; /**< OTA_STATES */
  const uint8_t *sha; /**< NULL: absent (only in IDLE) */
  bool has_mver;
  uint32_t mver;
  uint32_t nb;         /**< with have */
  tf_msg_str_t have;   /**< §4.1.4 bitmap of nb blocks; data NULL: absent */
  bool has_aslot, has_pslot;
  uint8_t aslot, pslot;
  bool has_err;
  uint16_t err;
} tf_msg_ota_status_t;

typedef struct tf_msg {
  tf_msg_envelope_t env;
  bool body_decoded; /**< false: a known type whose body is not decoded by this codec */
  union {
    tf_msg_hello_t hello;
    tf_msg_hello_ack_t hello_ack;
    tf_msg_heartbeat_t heartbeat;
    tf_msg_log_t log;
    tf_msg_error_t error;
    tf_msg_infer_request_t infer_request;
    tf_msg_infer_result_t infer_result;
    tf_msg_sample_batch_t sample_batch;
    tf_msg_sample_credit_t sample_credit;
    tf_msg_train_start_t train_start; /**< also TRAIN_CONFIG and TRAIN_STOP */
    tf_msg_train_status_t train_status;
    tf_msg_train_metrics_t train_metrics;
    tf_msg_grad_update_t grad_update;
    tf_msg_ota_offer_t ota_offer;
    tf_msg_ota_block_t ota_block;
    tf_msg_ota_sha_t ota; /**< OTA_COMMIT, OTA_TEST_BOOT, OTA_CONFIRM, OTA_REVERT */
    tf_msg_ota_status_t ota_status;
  } u;
} tf_msg_t;

/** §4.1.2 profile check of a whole input (steps 2 of §4.1.7). */
tf_status_t tf_msg_check_profile(const uint8_t *buf, size_t len);

/** True for the UTF-8 encodings RFC 3629 allows (no overlongs, surrogates, or > U+10FFFF). */
bool tf_msg_utf8_valid(const uint8_t *s, size_t len);

/**
 * Decodes one message. On failure, m->env.id is filled when step 6 could read the id (so an
 * ERROR reply can carry re, §4.1.7), and m->env.type when t was read (0 otherwise).
 */
tf_status_t tf_msg_decode(const uint8_t *buf, size_t len, size_t max_bytes, tf_msg_t *m);

/** True when type @p t is a request (its reply names a message, §4.1.7), so a rejection is answered. */
bool tf_msg_is_request(uint32_t t);

/** Encoders. @return TF_OK or TF_STATUS_NO_SPACE; @p out_len the encoded size. */
tf_status_t tf_msg_encode_hello(const tf_msg_envelope_t *env, const tf_msg_hello_t *b, uint8_t *buf, size_t cap,
                                size_t *out_len);
tf_status_t tf_msg_encode_hello_ack(const tf_msg_envelope_t *env, const tf_msg_hello_ack_t *b, uint8_t *buf,
                                    size_t cap, size_t *out_len);
tf_status_t tf_msg_encode_heartbeat(const tf_msg_envelope_t *env, const tf_msg_heartbeat_t *b, uint8_t *buf,
                                    size_t cap, size_t *out_len);
tf_status_t tf_msg_encode_log(const tf_msg_envelope_t *env, const tf_msg_log_t *b, uint8_t *buf, size_t cap,
                              size_t *out_len);
tf_status_t tf_msg_encode_error(const tf_msg_envelope_t *env, const tf_msg_error_t *b, uint8_t *buf, size_t cap,
                                size_t *out_len);

tf_status_t tf_msg_encode_infer_result(const tf_msg_envelope_t *env, const tf_msg_infer_result_t *b, uint8_t *buf,
                                       size_t cap, size_t *out_len);

tf_status_t tf_msg_encode_sample_credit(const tf_msg_envelope_t *env, const tf_msg_sample_credit_t *b, uint8_t *buf,
                                        size_t cap, size_t *out_len);
tf_status_t tf_msg_encode_train_status(const tf_msg_envelope_t *env, const tf_msg_train_status_t *b, uint8_t *buf,
                                       size_t cap, size_t *out_len);
tf_status_t tf_msg_encode_train_metrics(const tf_msg_envelope_t *env, const tf_msg_train_metrics_t *b, uint8_t *buf,
                                        size_t cap, size_t *out_len);
tf_status_t tf_msg_encode_grad_update(const tf_msg_envelope_t *env, const tf_msg_grad_update_t *b, uint8_t *buf,
                                      size_t cap, size_t *out_len);
tf_status_t tf_msg_encode_ota_status(const tf_msg_envelope_t *env, const tf_msg_ota_status_t *b, uint8_t *buf,
                                     size_t cap, size_t *out_len);

/**
 * §4.1.4 block bitmap check: exactly ceil(nb / 8) bytes (shorter TRUNCATED, longer TOO_LARGE),
 * spare high bits 0 (else BAD_FIELD).
 */
tf_status_t tf_msg_check_bitmap(const uint8_t *bitmap, size_t len, uint32_t nb);

/** Little-endian uint16 element @p i of a tag-69 typed array. */
static inline uint16_t tf_msg_u16le(const tf_msg_str_t *a, size_t i) {
  return (uint16_t)(a->data[2u * i] | (a->data[2u * i + 1u] << 8));
}

#endif /* TF_MSG_H */
