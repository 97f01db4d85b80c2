/**
 * @file tf_msg.h
 * @brief CBOR message codec of PROTOCOL.md §4 for the messages the device sends and receives:
 *        HELLO, HELLO_ACK, HEARTBEAT, LOG, ERROR, INFER_REQUEST, INFER_RESULT (the others:
 *        envelope only, for now).
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
 * For a known type whose body this codec does not decode yet, tf_msg_decode returns TF_OK with
 * body_decoded false (envelope and profile checked).
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

#endif /* TF_MSG_H */
