/**
 * @file tf_status.h
 * @brief Status codes returned by every TinyFleet runtime function.
 *
 * Every function that can fail returns a tf_status_t: TF_OK (0) on success or a negative
 * code. Each negative code is the negation of a protocol error code from the constants table
 * (tf_protocol.h, PROTOCOL.md §1.5), so a failure can be reported on the wire unchanged:
 * `error_code = (uint16_t)-status` (see tf_status_to_error()).
 *
 * Conventions used across the runtime:
 *  - TF_STATUS_BAD_FIELD      an argument is NULL, misaligned or otherwise not allowed
 *  - TF_STATUS_OUT_OF_RANGE   a value lies outside its allowed range
 *  - TF_STATUS_MALFORMED      input bytes could not be decoded (COBS, CBOR)
 *  - TF_STATUS_TRUNCATED      input ended before the structure did
 *  - TF_STATUS_TOO_LARGE      input exceeds a limit (frame size, nesting depth)
 *  - TF_STATUS_NO_SPACE       a caller-owned output buffer or a flash slot is too small
 *  - TF_STATUS_FLASH_ERROR    the flash HAL reported a failure
 *  - TF_STATUS_BAD_STATE      the request is not valid in the current state
 */
#ifndef TF_STATUS_H
#define TF_STATUS_H

#include "tinyfleet/tf_protocol.h"

#include <stdint.h>

/** Runtime status: 0 or the negated protocol error code (PROTOCOL.md §1.5). */
typedef enum tf_status {
  TF_OK = 0,
  TF_STATUS_MALFORMED = -(int)TF_ERR_MALFORMED,
  TF_STATUS_CRC_MISMATCH = -(int)TF_ERR_CRC_MISMATCH,
  TF_STATUS_UNSUPPORTED_VERSION = -(int)TF_ERR_UNSUPPORTED_VERSION,
  TF_STATUS_TOO_LARGE = -(int)TF_ERR_TOO_LARGE,
  TF_STATUS_UNKNOWN_TYPE = -(int)TF_ERR_UNKNOWN_TYPE,
  TF_STATUS_BAD_FIELD = -(int)TF_ERR_BAD_FIELD,
  TF_STATUS_OUT_OF_RANGE = -(int)TF_ERR_OUT_OF_RANGE,
  TF_STATUS_TRUNCATED = -(int)TF_ERR_TRUNCATED,
  TF_STATUS_BUSY = -(int)TF_ERR_BUSY,
  TF_STATUS_BAD_STATE = -(int)TF_ERR_BAD_STATE,
  TF_STATUS_TIMEOUT = -(int)TF_ERR_TIMEOUT,
  TF_STATUS_LINK_DOWN = -(int)TF_ERR_LINK_DOWN,
  TF_STATUS_SHA_MISMATCH = -(int)TF_ERR_SHA_MISMATCH,
  TF_STATUS_BAD_SIGNATURE = -(int)TF_ERR_BAD_SIGNATURE,
  TF_STATUS_INCOMPATIBLE = -(int)TF_ERR_INCOMPATIBLE,
  TF_STATUS_NO_SPACE = -(int)TF_ERR_NO_SPACE,
  TF_STATUS_FLASH_ERROR = -(int)TF_ERR_FLASH_ERROR,
  TF_STATUS_SMOKE_TEST_FAILED = -(int)TF_ERR_SMOKE_TEST_FAILED,
  TF_STATUS_UNAUTHORIZED = -(int)TF_ERR_UNAUTHORIZED,
  TF_STATUS_DUPLICATE = -(int)TF_ERR_DUPLICATE,
  TF_STATUS_INTERNAL = -(int)TF_ERR_INTERNAL
} tf_status_t;

/**
 * Protocol error code (PROTOCOL.md §1.5) for a status. TF_OK maps to TF_ERR_OK (never sent);
 * a value that is not a tf_status_t maps to TF_ERR_INTERNAL.
 */
uint16_t tf_status_to_error(tf_status_t status);

/** Symbolic name of a status as in the constants table ("OK", "MALFORMED", ...); never NULL. */
const char *tf_status_name(tf_status_t status);

#endif /* TF_STATUS_H */
