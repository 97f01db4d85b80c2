/* Shared by the message codec files (tf_msg.c, tf_msg_body.c): field readers of PROTOCOL.md §4.1.7
 * step 6 over the top-level map of a message that passed the profile, and the encoder helpers.
 * Not a public header. */
#ifndef TF_MSG_INTERNAL_H
#define TF_MSG_INTERNAL_H

#include "tinyfleet/tf_cbor.h"
#include "tinyfleet/tf_msg.h"

/* The top-level map of a message that passed the profile. */
typedef struct msg_map {
  const uint8_t *buf;
  size_t len;
  size_t start; /* first key */
  size_t pairs;
} msg_map_t;

/* Character sets of the catalog's text fields. */
typedef enum charset { CS_ANY, CS_DEVICE_ID, CS_CORE, CS_TAG } charset_t;

/* Ranges of float32 fields (§4.1.3: NaN / infinite is OUT_OF_RANGE first). */
typedef enum f32_range { F32_POSITIVE, F32_NONNEG, F32_UNIT } f32_range_t;

bool tf_msgi_find(const msg_map_t *m, const char *key, tf_cbor_reader_t *r);
tf_status_t tf_msgi_get_uint(const msg_map_t *m, const char *key, bool required, uint64_t min, uint64_t max,
                             bool *present, uint64_t *v);
tf_status_t tf_msgi_req_u32(const msg_map_t *m, const char *key, uint64_t min, uint64_t max, uint32_t *v);
tf_status_t tf_msgi_opt_u32(const msg_map_t *m, const char *key, uint64_t min, uint64_t max, bool *present,
                            uint32_t *v);
bool tf_msgi_in_charset(const uint8_t *s, size_t n, charset_t cs);
tf_status_t tf_msgi_get_str(const msg_map_t *m, const char *key, bool required, bool text, size_t min, size_t max,
                            charset_t cs, tf_msg_str_t *out);
tf_status_t tf_msgi_get_f32(const msg_map_t *m, const char *key, bool required, f32_range_t range, bool *present,
                            float *out);
tf_status_t tf_msgi_get_scale(const msg_map_t *m, const char *key, bool required, bool *present, uint32_t *bits);
tf_status_t tf_msgi_get_shape(const msg_map_t *m, const char *key, bool required, uint32_t shape[4], uint8_t *rank,
                              uint64_t *elems);

void tf_msgi_put_envelope(tf_cbor_writer_t *w, const tf_msg_envelope_t *env, size_t body_pairs);
void tf_msgi_put_uint(tf_cbor_writer_t *w, const char *key, uint64_t v);
void tf_msgi_put_text(tf_cbor_writer_t *w, const char *key, const tf_msg_str_t *s);
tf_status_t tf_msgi_finish(const tf_cbor_writer_t *w, size_t *out_len);

/* Body decoders of tf_msg_body.c (§4.3, §4.4, §4.6). */
tf_status_t tf_msgi_decode_body(uint32_t t, const msg_map_t *m, tf_msg_t *out, bool *decoded);

#endif /* TF_MSG_INTERNAL_H */
