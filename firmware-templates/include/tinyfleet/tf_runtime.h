/**
 * @file tf_runtime.h
 * @brief Runtime identity and the boot-time self test shared by every port.
 *
 * tf_selftest_run() runs known-answer tests of the portable primitives (CRC-32, SHA-256, COBS,
 * CBOR) on the target itself, so a port (QEMU, a real board) shows at boot that the core
 * computes the same bytes as the host tests. It needs no HAL and uses < 512 bytes of stack.
 */
#ifndef TF_RUNTIME_H
#define TF_RUNTIME_H

#include "tinyfleet/tf_hal.h"
#include "tinyfleet/tf_slots.h"

#include <stddef.h>
#include <stdint.h>

/** Version of this runtime (semantic versioning). */
#define TF_RUNTIME_VERSION "0.1.0"

/** Result of tf_selftest_run(). */
typedef struct tf_selftest_result {
  uint32_t passed;
  uint32_t failed;
  const char *first_failure; /**< name of the first failed check, or NULL */
} tf_selftest_result_t;

/** Runs the built-in known-answer tests. */
void tf_selftest_run(tf_selftest_result_t *result);

/**
 * Writes the NUL-terminated banner
 * "TinyFleet runtime 0.1.0 (protocol 1) on <board> (<core>, <clock_hz> Hz, <ram> B RAM, <flash> B flash)"
 * into @p buf. @return its length, or 0 if @p cap is too small (buf then holds "").
 */
size_t tf_runtime_banner(const tf_device_caps_t *caps, char *buf, size_t cap);

/**
 * Appends the decimal form of @p value to the NUL-terminated string in @p buf (capacity @p cap).
 * @return the new length, or 0 if it does not fit (buf unchanged). A tiny formatter so ports
 * can log without printf.
 */
size_t tf_str_append_u32(char *buf, size_t cap, uint32_t value);

/**
 * The common start of every port, logged through hal->log (if set):
 *   "TinyFleet runtime ..."              the banner (tf_runtime_banner)
 *   "selftest: N passed, M failed"       tf_selftest_run on this target
 *   "slots: no model" | "slots: model in slot S[ (trial)], L bytes[; ...]"
 * Opens @p slots over @p cfg and runs the boot decision into @p boot.
 * @return TF_OK; TF_STATUS_INTERNAL if the self test failed; or the error of tf_slots_open/boot.
 */
tf_status_t tf_runtime_start(const tf_hal_t *hal, tf_slots_t *slots, const tf_slots_config_t *cfg,
                             tf_slots_boot_result_t *boot);

/**
 * Installs @p len bytes of artifact at @p data as the model (first boot of a vmcu started with
 * --model, or a firmware image with an embedded initial model): validates it (tf_artifact_open),
 * writes the inactive slot, then test-boots and confirms it; @p boot is the new boot decision.
 * @return TF_OK, the artifact's §5.10 status, or the tf_slots_* error.
 */
tf_status_t tf_runtime_install_model(tf_slots_t *slots, const uint8_t *data, uint32_t len,
                                     tf_slots_boot_result_t *boot);

/** Appends NUL-terminated @p s to @p buf; @return new length, or 0 if it does not fit. */
size_t tf_str_append(char *buf, size_t cap, const char *s);

#endif /* TF_RUNTIME_H */
