/**
 * @file tf_slots.h
 * @brief A/B model slots with power-loss safety and MCUboot-style test boots.
 *
 * Flash layout (all regions page aligned, not overlapping, inside one tf_flash_t):
 *
 *     slot 0 | slot 1          two model slots of slot_size bytes each
 *     state copy 0 | copy 1    one page each; alternating copies of the state record
 *
 * The state record (TF_SLOTS_RECORD_BYTES, serialized field by field, little-endian,
 * PROTOCOL.md §1.2 conventions; see tf_slots.c) holds a sequence number, the confirmed, pending
 * and trial slot indices, per slot {status, length, sha256}, and a CRC-32 (PROTOCOL.md §1.2).
 * Every state change writes a new record with seq+1 into the copy that does *not* hold the
 * current record (erase that page, program the record once, read it back). A write torn by a
 * power cut leaves that copy with a bad CRC, so the older, intact copy wins at the next boot:
 * every state change is atomic. Erased flash (0xFF) never passes the CRC and reads as "no
 * record"; slot index 0xFF (TF_SLOT_NONE) means "unset".
 *
 * Update and test boot (the TEST swap semantics of MCUboot, without swapping: slots are
 * executed in place):
 *
 *     tf_slots_open()          load the newest valid state record (no writes)
 *     tf_slots_boot()          boot decision, at every start (may write state):
 *                                - a trial still marked from the previous boot was never
 *                                  confirmed: it is reverted (slot marked REJECTED);
 *                                - else a pending slot is consumed: it is marked trial and
 *                                  booted once (the mark is durable *before* it runs);
 *                                - else the confirmed slot; if it fails verification, the
 *                                  other slot if it is COMPLETE and verifies (fallback).
 *                              The chosen slot is always verified: sha256 of its recorded
 *                              length, then the validate callback (artifact parser).
 *     tf_slots_begin_update()  records the inactive slot as WRITING, then erases the pages of the
 *                              update's length (tf_slots_begin_update_lazy(): erases nothing, the
 *                              caller erases each page before it programs it)
 *     tf_slots_write()         programs a block at an offset (write_align aligned)
 *     tf_slots_finish()        checks sha256 + validate, records COMPLETE, length and sha256
 *     tf_slots_set_pending()   requests a test boot of that slot
 *     (reset, or call tf_slots_boot() again: the slot now runs as a trial)
 *     tf_slots_confirm()       makes the trial the confirmed slot
 *     tf_slots_revert()        abandons the trial or pending slot; boot again to load the
 *                              confirmed model
 *
 * Guarantee (checked by tests/test_slots_powerloss.c): a power cut at any flash operation of
 * these calls leaves flash such that the next tf_slots_boot() chooses a slot holding a complete,
 * verified model (the old or the new one), and a trial that was cut before its confirmation
 * is reverted on the boot after it. An update interrupted by a reset cannot be resumed: call
 * tf_slots_begin_update() again (the slot is erased; each flash unit is programmed once).
 *
 * All state lives in the caller's tf_slots_t; no allocation; stack use < 300 bytes.
 */
#ifndef TF_SLOTS_H
#define TF_SLOTS_H

#include "tinyfleet/tf_hal.h"
#include "tinyfleet/tf_sha256.h"
#include "tinyfleet/tf_status.h"

#include <stdbool.h>
#include <stdint.h>

/** Slot index meaning "none" (also what erased flash reads as). */
#define TF_SLOT_NONE 0xFFu

/** Size of one serialized state record; a multiple of every write_align up to 32. */
#define TF_SLOTS_RECORD_BYTES 96u

/** Status of one slot in the state record. */
typedef enum tf_slot_status {
  TF_SLOT_EMPTY = 0,    /**< nothing usable */
  TF_SLOT_WRITING = 1,  /**< an update was started; contents incomplete */
  TF_SLOT_COMPLETE = 2, /**< finished: length and sha256 recorded and checked */
  TF_SLOT_REJECTED = 3  /**< complete, but its trial boot was reverted; never booted again */
} tf_slot_status_t;

/** What the state record says about one slot. */
typedef struct tf_slot_info {
  uint8_t status; /**< tf_slot_status_t */
  uint32_t length;
  uint8_t sha256[TF_SHA256_DIGEST_BYTES];
} tf_slot_info_t;

/** The decoded state record. */
typedef struct tf_slots_state {
  uint32_t seq;      /**< 0: no record found */
  uint8_t confirmed; /**< slot known good, or TF_SLOT_NONE */
  uint8_t pending;   /**< slot to test-boot at the next boot, or TF_SLOT_NONE */
  uint8_t trial;     /**< slot booted on trial and not yet confirmed, or TF_SLOT_NONE */
  tf_slot_info_t slot[2];
} tf_slots_state_t;

/**
 * Validity check of a finished slot (the artifact parser plugs in here): return TF_OK if the
 * @p len bytes at @p addr in @p flash are a usable model, else a negative status (e.g.
 * TF_STATUS_MALFORMED, TF_STATUS_INCOMPATIBLE).
 */
typedef tf_status_t (*tf_slot_validate_fn)(void *ctx, const tf_flash_t *flash, uint32_t addr, uint32_t len);

/** Where the slots live. */
typedef struct tf_slots_config {
  const tf_flash_t *flash;
  uint32_t slot_addr[2];  /**< page aligned */
  uint32_t slot_size;     /**< multiple of the page size */
  uint32_t state_addr[2]; /**< one page each, page aligned */
  tf_slot_validate_fn validate; /**< optional */
  void *validate_ctx;
} tf_slots_config_t;

/** Outcome of tf_slots_boot(). */
typedef struct tf_slots_boot_result {
  uint8_t slot;     /**< slot to run, or TF_SLOT_NONE (no valid model: run without one) */
  bool trial;       /**< running on trial: confirm or revert */
  bool reverted;    /**< an unconfirmed trial was reverted by this boot */
  bool fallback;    /**< the confirmed slot failed verification; the other one is used */
  uint32_t addr;    /**< flash address of the model */
  uint32_t length;  /**< model length in bytes */
} tf_slots_boot_result_t;

/** Slot manager; fields are private (read the state with tf_slots_state()). */
typedef struct tf_slots {
  tf_slots_config_t cfg;
  tf_slots_state_t state;
  uint8_t state_copy; /**< copy holding the current record, or TF_SLOT_NONE */
  uint8_t booted;     /**< slot chosen by the last tf_slots_boot(), or TF_SLOT_NONE */
  uint8_t writing;    /**< slot of the update in progress in this power cycle, or TF_SLOT_NONE */
  uint32_t write_limit; /**< length announced to tf_slots_begin_update() */
} tf_slots_t;

/**
 * Checks the layout and loads the newest valid state record. Performs no flash writes.
 * @return TF_OK; TF_STATUS_BAD_FIELD for a bad layout; TF_STATUS_FLASH_ERROR on read failure.
 */
tf_status_t tf_slots_open(tf_slots_t *s, const tf_slots_config_t *cfg);

/** Boot decision (see the file comment). @return TF_OK (also with no model) or an error. */
tf_status_t tf_slots_boot(tf_slots_t *s, tf_slots_boot_result_t *out);

/**
 * Starts an update of @p total_len bytes into the inactive slot (neither confirmed nor running)
 * and returns its index in @p slot. Records WRITING, then erases the pages needed.
 * @return TF_OK; TF_STATUS_NO_SPACE (too large for a slot); TF_STATUS_BAD_STATE (a trial is
 *         running, or no slot is free); TF_STATUS_FLASH_ERROR.
 */
tf_status_t tf_slots_begin_update(tf_slots_t *s, uint32_t total_len, uint8_t *slot);

/**
 * As tf_slots_begin_update(), but erases nothing: the caller erases each page of the slot before it
 * programs it (flash units are programmed once between erases), so the erase time is spread over the
 * transfer (tf_ota.c erases a block's pages when the block arrives). Power-loss safe the same way: the
 * slot is WRITING, so never booted, until tf_slots_finish() has verified it.
 */
tf_status_t tf_slots_begin_update_lazy(tf_slots_t *s, uint32_t total_len, uint8_t *slot);

/**
 * Programs @p len bytes at @p offset of the slot being updated. @p offset must be a multiple of
 * the flash write_align; a @p len that is not is only allowed for the last block (it is padded
 * with 0xFF). Each byte range may be written once.
 * @return TF_OK; TF_STATUS_BAD_STATE (no update); TF_STATUS_BAD_FIELD (misaligned);
 *         TF_STATUS_NO_SPACE (beyond total_len); TF_STATUS_FLASH_ERROR.
 */
tf_status_t tf_slots_write(tf_slots_t *s, uint32_t offset, const uint8_t *data, uint32_t len);

/**
 * Ends the update: the first @p length bytes must hash to @p sha256 and pass the validate
 * callback; then the slot is recorded COMPLETE. On failure the update is over (begin again).
 * @return TF_OK; TF_STATUS_SHA_MISMATCH; the validator's status; TF_STATUS_BAD_STATE;
 *         TF_STATUS_NO_SPACE (length > total_len); TF_STATUS_FLASH_ERROR.
 */
tf_status_t tf_slots_finish(tf_slots_t *s, uint32_t length, const uint8_t sha256[TF_SHA256_DIGEST_BYTES]);

/**
 * Requests a test boot of @p slot (COMPLETE, not the confirmed one, no trial running); the next
 * tf_slots_boot() runs it as a trial.
 */
tf_status_t tf_slots_set_pending(tf_slots_t *s, uint8_t slot);

/**
 * Makes the running trial permanent. Idempotent: TF_OK without a write when the running slot
 * is already the confirmed one. @return TF_STATUS_BAD_STATE otherwise.
 */
tf_status_t tf_slots_confirm(tf_slots_t *s);

/**
 * Abandons the running trial (marking its slot REJECTED) or a pending request. Afterwards call
 * tf_slots_boot() (or reset) to run the confirmed model. @return TF_STATUS_BAD_STATE if there is
 * nothing to revert.
 */
tf_status_t tf_slots_revert(tf_slots_t *s);

/**
 * Continues, after a reset, an update that the state record shows WRITING in @p slot with
 * @p total_len (an OTA transfer resumed from its persisted bitmap, PROTOCOL.md §4.6.1): further
 * tf_slots_write() / tf_slots_finish() calls go to it. The caller knows which byte ranges are
 * durable and erases a range before it writes it again. @return TF_OK or TF_STATUS_BAD_STATE.
 */
tf_status_t tf_slots_resume_update(tf_slots_t *s, uint8_t slot, uint32_t total_len);

/**
 * Makes the COMPLETE, verified @p slot the confirmed, running one in one record write (an OTA
 * revert after CONFIRMED, §4.6.1). The caller loads the model of that slot.
 * @return TF_OK; TF_STATUS_BAD_STATE (a trial runs, or the slot is being written); verify errors.
 */
tf_status_t tf_slots_activate(tf_slots_t *s, uint8_t slot);

/** Slot chosen by the last tf_slots_boot() / tf_slots_activate(), or TF_SLOT_NONE. */
uint8_t tf_slots_running(const tf_slots_t *s);

/** The current state record (decoded). */
const tf_slots_state_t *tf_slots_state(const tf_slots_t *s);

/**
 * Verifies @p slot: COMPLETE, sha256 of its recorded length matches, validate callback passes.
 * @return TF_OK; TF_STATUS_BAD_STATE (not COMPLETE); TF_STATUS_SHA_MISMATCH; validator status.
 */
tf_status_t tf_slots_verify(const tf_slots_t *s, uint8_t slot);

#endif /* TF_SLOTS_H */
