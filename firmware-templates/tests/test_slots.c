/* A/B slots: update, test boot, confirm, revert, verification, fallback, record layout. */
#include "tf_test.h"

#include "slots_fixture.h"

#include "tinyfleet/tf_crc32.h"

#include <string.h>

static fx_model_t g_a, g_b, g_c;
static tf_slots_t g_s;
static tf_slots_config_t g_cfg;

static void fresh(void) {
  fx_flash_init(1);
  fx_config(&g_cfg, &fx_flash);
  TF_CHECK_OK(tf_slots_open(&g_s, &g_cfg));
  fx_model_make(&g_a, 3000, 1);
  fx_model_make(&g_b, 3501, 2); /* not a multiple of the write unit */
  fx_model_make(&g_c, 100, 3);
}

/* A device with model A confirmed in slot 0. */
static void with_confirmed_a(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = 9;

  fresh();
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK_OK(fx_install(&g_s, &g_a, &slot));
  TF_CHECK_OK(tf_slots_set_pending(&g_s, slot));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK_OK(tf_slots_confirm(&g_s));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && !b.trial);
}

static void fresh_device_has_no_model(void) {
  tf_slots_boot_result_t b;

  fresh();
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK_EQ(b.slot, TF_SLOT_NONE);
  TF_CHECK(!b.trial && !b.reverted && !b.fallback);
  TF_CHECK_EQ(tf_slots_state(&g_s)->seq, 0u);
  TF_CHECK_RC(tf_slots_confirm(&g_s), TF_STATUS_BAD_STATE);
  TF_CHECK_RC(tf_slots_revert(&g_s), TF_STATUS_BAD_STATE);
}

static void first_install_test_boot_confirm(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = 9;

  fresh();
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK_OK(fx_install(&g_s, &g_a, &slot));
  TF_CHECK_EQ(slot, 0u);
  TF_CHECK_EQ(tf_slots_state(&g_s)->slot[0].status, TF_SLOT_COMPLETE);
  TF_CHECK_OK(tf_slots_boot(&g_s, &b)); /* finished but not pending: still nothing runs */
  TF_CHECK_EQ(b.slot, TF_SLOT_NONE);
  TF_CHECK_OK(tf_slots_set_pending(&g_s, 0));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && b.trial && b.length == g_a.len && b.addr == g_cfg.slot_addr[0]);
  TF_CHECK_OK(tf_slots_confirm(&g_s));
  TF_CHECK_EQ(tf_slots_state(&g_s)->confirmed, 0u);
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && !b.trial);
  TF_CHECK(fx_slot_holds(&g_s, 0, &g_a));
}

static void unconfirmed_trial_reverts_on_next_boot(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = 9;

  with_confirmed_a();
  TF_CHECK_OK(fx_install(&g_s, &g_b, &slot));
  TF_CHECK_EQ(slot, 1u);
  TF_CHECK_OK(tf_slots_set_pending(&g_s, 1));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 1 && b.trial);
  TF_CHECK_RC(tf_slots_begin_update(&g_s, 100, &slot), TF_STATUS_BAD_STATE); /* trial running */
  TF_CHECK_OK(tf_slots_boot(&g_s, &b)); /* reset without confirm */
  TF_CHECK(b.slot == 0 && !b.trial && b.reverted);
  TF_CHECK_EQ(tf_slots_state(&g_s)->slot[1].status, TF_SLOT_REJECTED);
  TF_CHECK_RC(tf_slots_set_pending(&g_s, 1), TF_STATUS_BAD_STATE); /* rejected stays rejected */
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && !b.reverted);
}

static void confirm_makes_update_permanent(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = 9;
  uint32_t seq;

  with_confirmed_a();
  TF_CHECK_OK(fx_install(&g_s, &g_b, &slot));
  TF_CHECK_OK(tf_slots_set_pending(&g_s, slot));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK_OK(tf_slots_confirm(&g_s));
  seq = tf_slots_state(&g_s)->seq;
  TF_CHECK_OK(tf_slots_confirm(&g_s)); /* idempotent, no write */
  TF_CHECK_EQ(tf_slots_state(&g_s)->seq, seq);
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 1 && !b.trial && b.length == g_b.len);
  TF_CHECK(fx_slot_holds(&g_s, 1, &g_b));
  /* the next update goes to the other slot, the old model A */
  TF_CHECK_OK(fx_install(&g_s, &g_c, &slot));
  TF_CHECK_EQ(slot, 0u);
}

static void explicit_revert(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = 9;

  with_confirmed_a();
  TF_CHECK_OK(fx_install(&g_s, &g_b, &slot));
  TF_CHECK_OK(tf_slots_set_pending(&g_s, slot));
  TF_CHECK_OK(tf_slots_revert(&g_s)); /* pending, not booted yet */
  TF_CHECK_EQ(tf_slots_state(&g_s)->pending, TF_SLOT_NONE);
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && !b.trial);
  TF_CHECK_OK(tf_slots_set_pending(&g_s, 1));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 1 && b.trial);
  TF_CHECK_OK(tf_slots_revert(&g_s)); /* trial: smoke test failed */
  TF_CHECK_RC(tf_slots_confirm(&g_s), TF_STATUS_BAD_STATE);
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && !b.trial && !b.reverted);
  TF_CHECK_EQ(tf_slots_state(&g_s)->slot[1].status, TF_SLOT_REJECTED);
}

static void finish_checks_sha_and_validator_status(void) {
  uint8_t slot = 9, bad[TF_SHA256_DIGEST_BYTES];

  with_confirmed_a();
  TF_CHECK_OK(tf_slots_begin_update(&g_s, g_b.len, &slot));
  TF_CHECK_OK(tf_slots_write(&g_s, 0, g_b.bytes, g_b.len));
  memcpy(bad, g_b.sha, sizeof bad);
  bad[5] ^= 1u;
  TF_CHECK_RC(tf_slots_finish(&g_s, g_b.len, bad), TF_STATUS_SHA_MISMATCH);
  TF_CHECK_EQ(tf_slots_state(&g_s)->slot[1].status, TF_SLOT_WRITING);
  TF_CHECK_RC(tf_slots_finish(&g_s, g_b.len, g_b.sha), TF_STATUS_BAD_STATE); /* update over */
  TF_CHECK_RC(tf_slots_set_pending(&g_s, 1), TF_STATUS_BAD_STATE);
  /* a missing block is a hash mismatch too */
  TF_CHECK_OK(tf_slots_begin_update(&g_s, g_b.len, &slot));
  TF_CHECK_OK(tf_slots_write(&g_s, 0, g_b.bytes, FX_BLOCK));
  TF_CHECK_RC(tf_slots_finish(&g_s, g_b.len, g_b.sha), TF_STATUS_SHA_MISMATCH);
}

static tf_status_t reject_small(void *ctx, const tf_flash_t *flash, uint32_t addr, uint32_t len) {
  uint8_t first = 0;
  int *calls = (int *)ctx;

  (*calls)++;
  if (flash->read(flash->ctx, addr, &first, 1) != TF_OK) {
    return TF_STATUS_FLASH_ERROR;
  }
  return len < 1000u ? TF_STATUS_INCOMPATIBLE : TF_OK;
}

static void validator_plugs_in(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = 9;
  int calls = 0;

  fresh();
  g_cfg.validate = reject_small;
  g_cfg.validate_ctx = &calls;
  TF_CHECK_OK(tf_slots_open(&g_s, &g_cfg));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK_RC(fx_install(&g_s, &g_c, &slot), TF_STATUS_INCOMPATIBLE);
  TF_CHECK_OK(fx_install(&g_s, &g_a, &slot));
  TF_CHECK_OK(tf_slots_set_pending(&g_s, slot));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b)); /* verified again at boot */
  TF_CHECK(b.slot == slot && b.trial);
  TF_CHECK_EQ(calls, 3);
}

static void write_argument_checks(void) {
  uint8_t slot = 9;

  with_confirmed_a();
  TF_CHECK_RC(tf_slots_write(&g_s, 0, g_b.bytes, 8), TF_STATUS_BAD_STATE);
  TF_CHECK_RC(tf_slots_begin_update(&g_s, FX_SLOT_SIZE + 1u, &slot), TF_STATUS_NO_SPACE);
  TF_CHECK_RC(tf_slots_begin_update(&g_s, 0, &slot), TF_STATUS_BAD_FIELD);
  TF_CHECK_OK(tf_slots_begin_update(&g_s, 1000, &slot));
  TF_CHECK_RC(tf_slots_write(&g_s, 4, g_b.bytes, 8), TF_STATUS_BAD_FIELD);
  TF_CHECK_RC(tf_slots_write(&g_s, 1000, g_b.bytes, 8), TF_STATUS_NO_SPACE);
  TF_CHECK_RC(tf_slots_write(&g_s, 992, g_b.bytes, 9), TF_STATUS_NO_SPACE);
  TF_CHECK_OK(tf_slots_write(&g_s, 992, g_b.bytes, 8));
  TF_CHECK_RC(tf_slots_write(&g_s, 992, g_b.bytes, 8), TF_STATUS_FLASH_ERROR); /* written twice */
  TF_CHECK_RC(tf_slots_set_pending(&g_s, 0), TF_STATUS_BAD_STATE);           /* the confirmed one */
  TF_CHECK_RC(tf_slots_set_pending(&g_s, 2), TF_STATUS_OUT_OF_RANGE);
}

static void damaged_confirmed_slot_falls_back(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = 9;

  with_confirmed_a();
  TF_CHECK_OK(fx_install(&g_s, &g_b, &slot)); /* slot 1 complete, never tested */
  TF_CHECK_OK(tf_slots_set_pending(&g_s, 1));
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK_OK(tf_slots_confirm(&g_s)); /* B confirmed in 1, A still complete in 0 */
  fx_mem[g_cfg.slot_addr[1] + 10] ^= 0x40u; /* bit rot in the confirmed model */
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && b.fallback && !b.trial);
  TF_CHECK_RC(tf_slots_verify(&g_s, 1), TF_STATUS_SHA_MISMATCH);
  /* the next update replaces the damaged slot and the running model becomes the confirmed one */
  TF_CHECK_OK(fx_install(&g_s, &g_c, &slot));
  TF_CHECK_EQ(slot, 1u);
  TF_CHECK_EQ(tf_slots_state(&g_s)->confirmed, 0u);
  TF_CHECK_OK(tf_slots_boot(&g_s, &b));
  TF_CHECK(b.slot == 0 && !b.fallback);
}

static void record_layout_is_explicit(void) {
  uint8_t rec[TF_SLOTS_RECORD_BYTES];
  uint32_t crc;

  with_confirmed_a();
  /* the newest copy: little-endian magic "TFSS", version 1, CRC-32 over bytes 0..91 */
  memcpy(rec, fx_mem + g_cfg.state_addr[g_s.state_copy], sizeof rec);
  TF_CHECK(memcmp(rec, "TFSS", 4) == 0);
  TF_CHECK_EQ(rec[4], 1u);
  TF_CHECK_EQ(rec[5], 0u); /* confirmed slot 0 */
  TF_CHECK_EQ(rec[6], 0xFFu);
  TF_CHECK_EQ(rec[7], 0xFFu);
  TF_CHECK_EQ(rec[8] | (rec[9] << 8), tf_slots_state(&g_s)->seq);
  TF_CHECK_EQ(rec[12], TF_SLOT_COMPLETE);
  TF_CHECK_EQ(rec[16] | (rec[17] << 8), g_a.len);
  TF_CHECK_MEM(rec + 20, g_a.sha, 32);
  crc = (uint32_t)rec[92] | ((uint32_t)rec[93] << 8) | ((uint32_t)rec[94] << 16) | ((uint32_t)rec[95] << 24);
  TF_CHECK_EQ(crc, tf_crc32(rec, 92));
}

static void older_copy_wins_over_damaged_newer(void) {
  tf_slots_t again;
  uint32_t seq;
  uint8_t newest;

  with_confirmed_a();
  seq = tf_slots_state(&g_s)->seq;
  newest = g_s.state_copy;
  fx_mem[g_cfg.state_addr[newest] + 40] ^= 0x01u;
  TF_CHECK_OK(tf_slots_open(&again, &g_cfg));
  TF_CHECK_EQ(tf_slots_state(&again)->seq, seq - 1u);
  TF_CHECK_EQ(again.state_copy, (uint8_t)(1u - newest));
  /* both copies damaged: back to "no record", never a crash */
  fx_mem[g_cfg.state_addr[1u - newest] + 40] ^= 0x01u;
  TF_CHECK_OK(tf_slots_open(&again, &g_cfg));
  TF_CHECK_EQ(tf_slots_state(&again)->seq, 0u);
  TF_CHECK_EQ(tf_slots_state(&again)->confirmed, TF_SLOT_NONE);
}

static void layout_validation(void) {
  tf_slots_config_t c;
  tf_slots_t s;

  fresh();
  c = g_cfg;
  c.slot_addr[1] = FX_SLOT_SIZE - FX_PAGE; /* overlaps slot 0 */
  TF_CHECK_RC(tf_slots_open(&s, &c), TF_STATUS_BAD_FIELD);
  c = g_cfg;
  c.state_addr[1] = c.state_addr[0]; /* same page */
  TF_CHECK_RC(tf_slots_open(&s, &c), TF_STATUS_BAD_FIELD);
  c = g_cfg;
  c.state_addr[1] += 8; /* misaligned */
  TF_CHECK_RC(tf_slots_open(&s, &c), TF_STATUS_BAD_FIELD);
  c = g_cfg;
  c.slot_size = FX_SLOT_SIZE + 8u;
  TF_CHECK_RC(tf_slots_open(&s, &c), TF_STATUS_BAD_FIELD);
  c = g_cfg;
  c.state_addr[1] = FX_FLASH_SIZE; /* past the end */
  TF_CHECK_RC(tf_slots_open(&s, &c), TF_STATUS_BAD_FIELD);
}

int main(void) {
  TF_TEST_RUN(fresh_device_has_no_model);
  TF_TEST_RUN(first_install_test_boot_confirm);
  TF_TEST_RUN(unconfirmed_trial_reverts_on_next_boot);
  TF_TEST_RUN(confirm_makes_update_permanent);
  TF_TEST_RUN(explicit_revert);
  TF_TEST_RUN(finish_checks_sha_and_validator_status);
  TF_TEST_RUN(validator_plugs_in);
  TF_TEST_RUN(write_argument_checks);
  TF_TEST_RUN(damaged_confirmed_slot_falls_back);
  TF_TEST_RUN(record_layout_is_explicit);
  TF_TEST_RUN(older_copy_wins_over_damaged_newer);
  TF_TEST_RUN(layout_validation);
  return tf_test_finish();
}
