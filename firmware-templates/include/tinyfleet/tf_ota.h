/**
 * @file tf_ota.h
 * @brief The device side of OTA (PROTOCOL.md §4.6): the state machine of §4.6.1 over the A/B
 *        slots (tf_slots.h) with a persisted, power-cut safe transfer record.
 *
 * Transfer record: a region of whole flash pages (tf_ota_region_bytes) outside the slots:
 *
 *     0    header, 64 bytes: magic "TFOT", sha[32], size, nb, mver, kid[8], pslot, CRC-32
 *     64   state log: TF_OTA_LOG_ENTRIES entries of 32 bytes {state, err u16, 0x5A, CRC-32, 0xFF...}
 *     576  block marks: one flash write unit (write_align bytes) per block, programmed 0x00
 *
 * All little-endian, field by field (§1.2). A new transfer erases the region, starts the slot
 * update (records WRITING; tf_slots_begin_update_lazy erases nothing when a page is at most a
 * block, else tf_slots_begin_update erases the pages of `size` bytes) and then programs the header:
 * a torn header fails its CRC and reads as IDLE. The state is the last entry of the log with a
 * good CRC (none: RECEIVING); each state change appends one entry, so every unit is programmed at
 * most once between erases. A block is programmed (its pages erased first, unless the offer erased
 * the slot up front in this power cycle) and only then its mark; a mark counts as set when any of its bytes is not
 * 0xFF, since its programming starts only after the block is durable. So after any power cut the
 * have-bitmap (§4.1.4 layout) names only durable blocks (§4.6.1 "Power loss").
 *
 * The active slot is never written: blocks go to the slot tf_slots_begin_update chose (not the
 * running one). Test boot happens in place (§4.6.1 table: "persist a trial record, load the
 * pending slot, run the smoke test"): tf_slots_set_pending + tf_slots_boot mark the trial durably,
 * then the load hook runs the smoke test; an unconfirmed trial is reverted by the next boot
 * (tf_ota_open reports REVERTED with err TIMEOUT).
 *
 * Signatures: the device keeps no public keys, so every `kid` is accepted (the gateway verified
 * the signature, §5.9); integrity is checked by SHA-256 (§5.8) at commit.
 * Flash with pages larger than TF_OTA_BLOCK_BYTES cannot erase a single block: there a block
 * torn by a power cut is rewritten without erase and the commit fails (SHA_MISMATCH, FAILED);
 * the transfer then starts over.
 */
#ifndef TF_OTA_H
#define TF_OTA_H

#include "tinyfleet/tf_msg.h"
#include "tinyfleet/tf_slots.h"

#include <stdbool.h>
#include <stdint.h>

#define TF_OTA_LOG_ENTRIES 16u
#define TF_OTA_MARKS_OFFSET 576u
#define TF_OTA_HAVE_BYTES (TF_OTA_MAX_BLOCKS / 8u)

/**
 * Port hooks. check: §4.6.4 checks of the artifact written to @p slot (@p len bytes) beyond the
 * file SHA-256: the §5.8 digest equals the header's and @p sha (SHA_MISMATCH), §5.10, ABI, op
 * kinds and arena sizes against the device (INCOMPATIBLE). load: makes @p slot the running model;
 * with @p smoke (OTA_TEST_BOOT) runs the smoke test of §4.6.5 (INCOMPATIBLE or
 * SMOKE_TEST_FAILED); with NULL it just loads (after a revert).
 */
typedef struct tf_ota_hooks {
  void *ctx;
  tf_status_t (*check)(void *ctx, uint8_t slot, uint32_t len, const uint8_t sha[32]);
  tf_status_t (*load)(void *ctx, uint8_t slot, uint32_t len, const tf_msg_ota_sha_t *smoke);
} tf_ota_hooks_t;

typedef struct tf_ota_config {
  tf_slots_t *slots;          /**< opened and booted */
  uint32_t region_addr;       /**< page aligned, outside the slots and state pages */
  uint32_t region_bytes;      /**< >= tf_ota_region_bytes(), whole pages */
  tf_ota_hooks_t hooks;
} tf_ota_config_t;

/** The transfer record in RAM (fields are read-only for callers). */
typedef struct tf_ota {
  tf_ota_config_t cfg;
  uint8_t state; /**< OTA_STATES */
  uint16_t err;  /**< reason in FAILED / REVERTED, 0: none */
  uint8_t sha[32];
  uint32_t size, nb, mver;
  uint8_t kid[8];
  uint8_t pslot;
  bool fresh;      /**< the slot was erased up front by the offer of this power cycle (else: per block) */
  uint32_t log_next; /**< next free state log entry */
  uint32_t have_count;
  uint8_t have[TF_OTA_HAVE_BYTES];
} tf_ota_t;

/** Bytes of the record region for slots of @p slot_size and flash of @p write_align / @p page_size. */
uint32_t tf_ota_region_bytes(uint32_t slot_size, uint32_t write_align, uint32_t page_size);

/**
 * Loads the transfer record at boot, right after tf_slots_boot() gave @p boot (which it may
 * change): an unconfirmed trial is reverted (REVERTED, err TIMEOUT), a confirm cut after its
 * commit point becomes CONFIRMED, a transfer in RECEIVING resumes. Call before loading the model
 * of boot->slot. @return TF_OK, TF_STATUS_BAD_FIELD (layout), TF_STATUS_FLASH_ERROR.
 */
tf_status_t tf_ota_open(tf_ota_t *o, const tf_ota_config_t *cfg, tf_slots_boot_result_t *boot);

/*
 * Requests of §4.6.2-§4.6.7. TF_OK: answer with tf_ota_status(); an error status: answer ERROR
 * with that code (BAD_STATE, NO_SPACE, OUT_OF_RANGE, FLASH_ERROR, ...). tf_ota_block() answers
 * nothing on TF_OK (a late or repeated block is dropped, §4.6.1).
 */
tf_status_t tf_ota_offer(tf_ota_t *o, const tf_msg_ota_offer_t *m);
tf_status_t tf_ota_block(tf_ota_t *o, const tf_msg_ota_block_t *m);
tf_status_t tf_ota_commit(tf_ota_t *o, const uint8_t sha[32]);
tf_status_t tf_ota_test_boot(tf_ota_t *o, const tf_msg_ota_sha_t *m);
tf_status_t tf_ota_confirm(tf_ota_t *o, const uint8_t sha[32]);
tf_status_t tf_ota_revert(tf_ota_t *o, const uint8_t sha[32]);

/** The OTA_STATUS body of the current state (§4.6.8); strings point into @p o. */
void tf_ota_status(const tf_ota_t *o, tf_msg_ota_status_t *out);

#endif /* TF_OTA_H */
