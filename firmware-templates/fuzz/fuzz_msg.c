/* libFuzzer target: the CBOR reader (walk/skip) and the message decoder (PROTOCOL.md §4.1.7). */
#include "tinyfleet/tf_cbor.h"
#include "tinyfleet/tf_msg.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tf_cbor_reader_t r;
  tf_msg_t m;
  uint8_t buf[2048];
  size_t len = 0;

  if (tf_cbor_reader_init(&r, data, size, TF_CBOR_MAX_DEPTH) == TF_OK) {
    (void)tf_cbor_skip(&r);
  }
  if (tf_msg_decode(data, size, 65536u, &m) == TF_OK && m.body_decoded) {
    /* re-encode what was decoded: it must decode again */
    tf_status_t rc = TF_OK;
    switch (m.env.type) {
    case TF_MSG_HELLO: rc = tf_msg_encode_hello(&m.env, &m.u.hello, buf, sizeof buf, &len); break;
    case TF_MSG_HELLO_ACK: rc = tf_msg_encode_hello_ack(&m.env, &m.u.hello_ack, buf, sizeof buf, &len); break;
    case TF_MSG_HEARTBEAT: rc = tf_msg_encode_heartbeat(&m.env, &m.u.heartbeat, buf, sizeof buf, &len); break;
    case TF_MSG_LOG: rc = tf_msg_encode_log(&m.env, &m.u.log, buf, sizeof buf, &len); break;
    case TF_MSG_INFER_RESULT: rc = tf_msg_encode_infer_result(&m.env, &m.u.infer_result, buf, sizeof buf, &len); break;
    case TF_MSG_SAMPLE_CREDIT: rc = tf_msg_encode_sample_credit(&m.env, &m.u.sample_credit, buf, sizeof buf, &len); break;
    case TF_MSG_TRAIN_STATUS: rc = tf_msg_encode_train_status(&m.env, &m.u.train_status, buf, sizeof buf, &len); break;
    case TF_MSG_TRAIN_METRICS: rc = tf_msg_encode_train_metrics(&m.env, &m.u.train_metrics, buf, sizeof buf, &len); break;
    case TF_MSG_GRAD_UPDATE: rc = tf_msg_encode_grad_update(&m.env, &m.u.grad_update, buf, sizeof buf, &len); break;
    case TF_MSG_OTA_STATUS: rc = tf_msg_encode_ota_status(&m.env, &m.u.ota_status, buf, sizeof buf, &len); break;
    case TF_MSG_ERROR: rc = tf_msg_encode_error(&m.env, &m.u.error, buf, sizeof buf, &len); break;
    default: rc = TF_STATUS_BAD_STATE; break; /* no device encoder for this type (gateway -> device, or training) */
    }
    if (rc == TF_OK) {
      tf_msg_t m2;
      if (tf_msg_decode(buf, len, 65536u, &m2) != TF_OK || m2.env.type != m.env.type) {
        __builtin_trap(); /* the encoder wrote something its own decoder rejects */
      }
    }
  }
  return 0;
}
