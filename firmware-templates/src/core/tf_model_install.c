/* Installing an initial model into the A/B slots (tf_runtime.h): the update path of tf_slots.h. */
#include "tinyfleet/tf_runtime.h"

#include "tinyfleet/tf_artifact.h"
#include "tinyfleet/tf_sha256.h"

tf_status_t tf_runtime_install_model(tf_slots_t *slots, const uint8_t *data, uint32_t len,
                                     tf_slots_boot_result_t *boot) {
  tf_artifact_t art;
  uint8_t digest[TF_SHA256_DIGEST_BYTES];
  uint8_t slot = TF_SLOT_NONE;
  tf_status_t rc;

  rc = tf_artifact_open(&art, data, len); /* PROTOCOL.md §5.10 before any flash write */
  if (rc == TF_OK) rc = tf_slots_begin_update(slots, len, &slot);
  if (rc == TF_OK) rc = tf_slots_write(slots, 0, data, len);
  if (rc == TF_OK) {
    tf_sha256(data, len, digest);
    rc = tf_slots_finish(slots, len, digest);
  }
  if (rc == TF_OK) rc = tf_slots_set_pending(slots, slot);
  if (rc == TF_OK) rc = tf_slots_boot(slots, boot); /* runs as a trial ... */
  if (rc == TF_OK) rc = tf_slots_confirm(slots);    /* ... validated above: confirm at once */
  if (rc == TF_OK && boot->slot != slot) rc = TF_STATUS_INTERNAL;
  return rc;
}
