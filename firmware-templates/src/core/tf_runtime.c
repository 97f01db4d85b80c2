/* Runtime identity, the common port start, a tiny string formatter (tf_runtime.h); no printf. */
#include "tinyfleet/tf_runtime.h"

#include "tinyfleet/tf_protocol.h"

#include <string.h>

size_t tf_str_append(char *buf, size_t cap, const char *s) {
  size_t len = strlen(buf);
  size_t n = strlen(s);

  if (n >= cap - len) {
    return 0;
  }
  memcpy(buf + len, s, n + 1u);
  return len + n;
}

size_t tf_str_append_u32(char *buf, size_t cap, uint32_t value) {
  char digits[11];
  size_t i = sizeof digits - 1u;

  digits[i] = '\0';
  do {
    digits[--i] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0);
  return tf_str_append(buf, cap, digits + i);
}

size_t tf_runtime_banner(const tf_device_caps_t *caps, char *buf, size_t cap) {
  size_t n = 1;

  if (cap == 0) {
    return 0;
  }
  buf[0] = '\0';
  n = n && tf_str_append(buf, cap, "TinyFleet runtime " TF_RUNTIME_VERSION " (protocol ");
  n = n && tf_str_append_u32(buf, cap, TF_PROTOCOL_VERSION);
  n = n && tf_str_append(buf, cap, ") on ");
  n = n && tf_str_append(buf, cap, caps->board != NULL ? caps->board : "?");
  n = n && tf_str_append(buf, cap, " (");
  n = n && tf_str_append(buf, cap, caps->core != NULL ? caps->core : "?");
  n = n && tf_str_append(buf, cap, ", ");
  n = n && tf_str_append_u32(buf, cap, caps->clock_hz);
  n = n && tf_str_append(buf, cap, " Hz, ");
  n = n && tf_str_append_u32(buf, cap, caps->ram_bytes);
  n = n && tf_str_append(buf, cap, " B RAM, ");
  n = n && tf_str_append_u32(buf, cap, caps->flash_bytes);
  n = n && tf_str_append(buf, cap, " B flash)");
  if (!n) {
    buf[0] = '\0';
    return 0;
  }
  return strlen(buf);
}

static void log_line(const tf_hal_t *hal, const char *line) {
  if (hal->log != NULL) {
    hal->log(hal->ctx, line);
  }
}

tf_status_t tf_runtime_start(const tf_hal_t *hal, tf_slots_t *slots, const tf_slots_config_t *cfg,
                             tf_slots_boot_result_t *boot) {
  tf_status_t rc = TF_OK;
  tf_selftest_result_t st;
  char line[160];

  (void)tf_runtime_banner(&hal->caps, line, sizeof line);
  log_line(hal, line);
  tf_selftest_run(&st);
  line[0] = '\0';
  (void)tf_str_append(line, sizeof line, "selftest: ");
  (void)tf_str_append_u32(line, sizeof line, st.passed);
  (void)tf_str_append(line, sizeof line, " passed, ");
  (void)tf_str_append_u32(line, sizeof line, st.failed);
  (void)tf_str_append(line, sizeof line, " failed");
  if (st.first_failure != NULL) {
    (void)tf_str_append(line, sizeof line, " (first: ");
    (void)tf_str_append(line, sizeof line, st.first_failure);
    (void)tf_str_append(line, sizeof line, ")");
  }
  log_line(hal, line);
  if (st.failed != 0) {
    rc = TF_STATUS_INTERNAL;
    goto out;
  }
  rc = tf_slots_open(slots, cfg);
  if (rc == TF_OK) {
    rc = tf_slots_boot(slots, boot);
  }
  line[0] = '\0';
  if (rc != TF_OK) {
    (void)tf_str_append(line, sizeof line, "slots: boot failed: ");
    (void)tf_str_append(line, sizeof line, tf_status_name(rc));
  } else if (boot->slot == TF_SLOT_NONE) {
    (void)tf_str_append(line, sizeof line, "slots: no model");
  } else {
    (void)tf_str_append(line, sizeof line, "slots: model in slot ");
    (void)tf_str_append_u32(line, sizeof line, boot->slot);
    (void)tf_str_append(line, sizeof line, boot->trial ? " (trial), " : ", ");
    (void)tf_str_append_u32(line, sizeof line, boot->length);
    (void)tf_str_append(line, sizeof line, " bytes");
  }
  if (rc == TF_OK && boot->reverted) {
    (void)tf_str_append(line, sizeof line, "; unconfirmed trial reverted");
  }
  if (rc == TF_OK && boot->fallback) {
    (void)tf_str_append(line, sizeof line, "; confirmed model damaged, running the other slot");
  }
  log_line(hal, line);
out:
  return rc;
}
