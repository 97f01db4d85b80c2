/* Status helpers (tf_status.h). Names match the ERROR_CODES table, PROTOCOL.md §1.5. */
#include "tinyfleet/tf_status.h"

#include <stddef.h>

/* One row per protocol error code, in the order of the constants table. */
static const struct {
  uint16_t code;
  const char *name;
} k_names[] = {
    {TF_ERR_OK, "OK"},
    {TF_ERR_MALFORMED, "MALFORMED"},
    {TF_ERR_CRC_MISMATCH, "CRC_MISMATCH"},
    {TF_ERR_UNSUPPORTED_VERSION, "UNSUPPORTED_VERSION"},
    {TF_ERR_TOO_LARGE, "TOO_LARGE"},
    {TF_ERR_UNKNOWN_TYPE, "UNKNOWN_TYPE"},
    {TF_ERR_BAD_FIELD, "BAD_FIELD"},
    {TF_ERR_OUT_OF_RANGE, "OUT_OF_RANGE"},
    {TF_ERR_TRUNCATED, "TRUNCATED"},
    {TF_ERR_BUSY, "BUSY"},
    {TF_ERR_BAD_STATE, "BAD_STATE"},
    {TF_ERR_TIMEOUT, "TIMEOUT"},
    {TF_ERR_LINK_DOWN, "LINK_DOWN"},
    {TF_ERR_SHA_MISMATCH, "SHA_MISMATCH"},
    {TF_ERR_BAD_SIGNATURE, "BAD_SIGNATURE"},
    {TF_ERR_INCOMPATIBLE, "INCOMPATIBLE"},
    {TF_ERR_NO_SPACE, "NO_SPACE"},
    {TF_ERR_FLASH_ERROR, "FLASH_ERROR"},
    {TF_ERR_SMOKE_TEST_FAILED, "SMOKE_TEST_FAILED"},
    {TF_ERR_UNAUTHORIZED, "UNAUTHORIZED"},
    {TF_ERR_DUPLICATE, "DUPLICATE"},
    {TF_ERR_INTERNAL, "INTERNAL"},
};

uint16_t tf_status_to_error(tf_status_t status) {
  size_t i;
  int code = -(int)status;

  for (i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
    if ((int)k_names[i].code == code) {
      return k_names[i].code;
    }
  }
  return (uint16_t)TF_ERR_INTERNAL;
}

const char *tf_status_name(tf_status_t status) {
  size_t i;
  uint16_t code = tf_status_to_error(status);

  for (i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
    if (k_names[i].code == code) {
      return k_names[i].name;
    }
  }
  return "INTERNAL";
}
