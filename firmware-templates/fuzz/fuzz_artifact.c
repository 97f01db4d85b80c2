/* libFuzzer target: the artifact reader (PROTOCOL.md §5.10: never crash or read outside the input).
 * Inputs that pass the frame checks get their digest fixed up, so the fuzzer reaches steps 5-9. */
#include "tinyfleet/tf_artifact.h"
#include "tinyfleet/tf_sha256.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t g_buf[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tf_artifact_t a;
  uint32_t content;

  (void)tf_artifact_open(&a, data, size);
  if (size < 192u || size > sizeof g_buf) {
    return 0;
  }
  memcpy(g_buf, data, size);
  content = (uint32_t)g_buf[12] | ((uint32_t)g_buf[13] << 8) | ((uint32_t)g_buf[14] << 16) | ((uint32_t)g_buf[15] << 24);
  if (content >= 192u && content <= size) {
    tf_sha256_ctx_t c;
    tf_sha256_init(&c);
    tf_sha256_update(&c, g_buf, 80);
    tf_sha256_update(&c, g_buf + 112, content - 112u);
    tf_sha256_final(&c, g_buf + 80);
  }
  if (tf_artifact_open(&a, g_buf, size) == TF_OK) {
    uint32_t i;
    tf_artifact_op_t op;
    tf_artifact_tensor_t t;
    tf_artifact_train_t tr;
    for (i = 0; i < tf_artifact_op_count(&a); i++) tf_artifact_op(&a, i, &op);
    for (i = 0; i < tf_artifact_tensor_count(&a); i++) tf_artifact_tensor(&a, i, &t);
    (void)tf_artifact_train(&a, &tr);
  }
  return 0;
}
