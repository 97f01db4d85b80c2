/*
 * The device OTA state machine (tf_ota.h, PROTOCOL.md §4.6) over a strict RAM flash (NOR
 * semantics, each write unit programmed once between erases), with the port hooks played by the
 * test: `check` compares the slot's SHA-256 with the offer (standing in for the §5.8 digest),
 * `load` records which slot runs and fails the smoke test on request.
 *
 * Functional cases: full transfer + test boot + confirm; repeated requests of passed phases;
 * requests out of phase (BAD_STATE); out-of-range blocks; a corrupted block (FAILED with
 * SHA_MISMATCH, the active slot untouched); a failed smoke test (REVERTED); revert in
 * TEST_BOOTING and after CONFIRMED; an unconfirmed trial reverted by the next boot (TIMEOUT); the
 * lazy slot erase (the offer erases no slot page, each block its own, pages past the artifact never).
 *
 * Power-loss replay (STYLE.md §17): the whole OTA (offer, 4 blocks, commit, test boot, confirm)
 * is run once to count its flash operations, then replayed from the same image with the power cut
 * at every operation in each of four tear modes (nothing done, half done, random bits, done but
 * not returned). After each cut the device reboots (slots boot decision + tf_ota_open) and the test
 * checks: the slot that runs holds the old or the new model byte for byte; in RECEIVING every
 * block whose bit is set is durable; the gateway's re-offer resumes with exactly the missing blocks
 * and the update then completes (VERIFIED, TEST_BOOTING, CONFIRMED) and survives another reboot.
 */
#include "tf_test.h"

#include "tinyfleet/tf_flash_ram.h"
#include "tinyfleet/tf_ota.h"
#include "tinyfleet/tf_sha256.h"

#include <stdio.h>
#include <string.h>

#define PAGE 4096u
#define ALIGN 8u
#define SLOT (4u * TF_OTA_BLOCK_BYTES)
#define STATE_ADDR (2u * SLOT)
#define OTA_ADDR (STATE_ADDR + 2u * PAGE)
#define FLASH_SIZE (OTA_ADDR + PAGE)
#define NEW_LEN (3u * TF_OTA_BLOCK_BYTES + 1000u) /* 4 blocks, the last short */
#define OLD_LEN 5000u

static uint8_t g_mem[FLASH_SIZE];
static uint8_t g_map[TF_FLASH_RAM_MAP_BYTES(FLASH_SIZE, ALIGN)];
static uint8_t g_base[FLASH_SIZE]; /* the image every replay starts from: old model confirmed */
static tf_flash_ram_t g_ram;
static tf_flash_t g_raw;

static uint8_t g_old[OLD_LEN], g_new[NEW_LEN];
static uint8_t g_old_sha[32], g_new_sha[32];

/* ---- a flash that loses power at operation cut_at ---- */
enum { TEAR_NONE, TEAR_HALF, TEAR_RANDOM, TEAR_DONE, TEAR_MODES };

static struct {
  tf_flash_t face;
  long ops, cut_at;
  int mode, dead;
  uint32_t rng;
  uint32_t erased[64]; /* pages erased since arm(), in order (lazy_erase) */
  uint32_t n_erased;
} g_cut;

static uint32_t rnd(void) {
  g_cut.rng = g_cut.rng * 1664525u + 1013904223u;
  return g_cut.rng >> 8;
}

static int fails_now(void) {
  if (g_cut.dead) return 1;
  if (g_cut.ops++ != g_cut.cut_at) return 0;
  g_cut.dead = 1;
  return 2; /* this operation is torn */
}

static tf_status_t cut_erase(void *ctx, uint32_t addr) {
  uint32_t i;
  int f = fails_now();

  (void)ctx;
  if (f == 0) {
    if (g_cut.n_erased < sizeof g_cut.erased / sizeof g_cut.erased[0]) g_cut.erased[g_cut.n_erased++] = addr;
    return g_raw.erase(g_raw.ctx, addr);
  }
  if (f == 2 && addr % PAGE == 0 && addr < FLASH_SIZE) {
    for (i = 0; i < PAGE; i++) {
      uint8_t *p = &g_mem[addr + i];
      if (g_cut.mode == TEAR_DONE || (g_cut.mode == TEAR_HALF && i < PAGE / 2u)) *p = 0xFF;
      if (g_cut.mode == TEAR_RANDOM) *p |= (uint8_t)rnd();
    }
  }
  return TF_STATUS_FLASH_ERROR;
}

static tf_status_t cut_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len) {
  uint32_t i;
  int f = fails_now();

  (void)ctx;
  if (f == 0) return g_raw.program(g_raw.ctx, addr, data, len);
  if (f == 2 && addr < FLASH_SIZE && len <= FLASH_SIZE - addr) {
    for (i = 0; i < len; i++) {
      uint8_t *p = &g_mem[addr + i];
      if (g_cut.mode == TEAR_DONE || (g_cut.mode == TEAR_HALF && i < len / 2u)) *p &= data[i];
      if (g_cut.mode == TEAR_RANDOM) *p &= (uint8_t)(data[i] | (uint8_t)rnd());
    }
  }
  return TF_STATUS_FLASH_ERROR;
}

static tf_status_t cut_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len) {
  (void)ctx;
  return g_raw.read(g_raw.ctx, addr, buf, len);
}

static void arm(long cut_at, int mode) {
  g_cut.face = g_raw;
  g_cut.face.ctx = &g_cut;
  g_cut.face.erase = cut_erase;
  g_cut.face.program = cut_program;
  g_cut.face.read = cut_read;
  g_cut.ops = 0;
  g_cut.cut_at = cut_at;
  g_cut.mode = mode;
  g_cut.dead = 0;
  g_cut.n_erased = 0;
  g_cut.rng = (uint32_t)(cut_at * 7919 + mode * 104729 + 1);
}

/* ---- the device: slots + OTA over the cut flash, hooks played by the test ---- */
static struct {
  tf_slots_t slots;
  tf_ota_t ota;
  tf_slots_boot_result_t boot;
  int running; /* slot the "agent" runs, -1: none */
  int smoke_fails;
  tf_status_t open_rc;
} g_dev;

static tf_status_t hook_check(void *ctx, uint8_t slot, uint32_t len, const uint8_t sha[32]) {
  static uint8_t buf[SLOT];
  uint8_t d[32];
  (void)ctx;
  if (g_raw.read(g_raw.ctx, g_dev.slots.cfg.slot_addr[slot], buf, len) != TF_OK) return TF_STATUS_FLASH_ERROR;
  tf_sha256(buf, len, d);
  return memcmp(d, sha, 32) == 0 ? TF_OK : TF_STATUS_SHA_MISMATCH; /* stands in for §5.8 + §5.10 */
}

static tf_status_t hook_load(void *ctx, uint8_t slot, uint32_t len, const tf_msg_ota_sha_t *smoke) {
  (void)ctx;
  (void)len;
  g_dev.running = slot;
  return smoke != NULL && g_dev.smoke_fails ? TF_STATUS_SMOKE_TEST_FAILED : TF_OK;
}

/* Power-on: slots boot decision, then the transfer record (tf_agent_init's order). */
static tf_status_t device_boot(const tf_flash_t *f) {
  tf_slots_config_t sc;
  tf_ota_config_t oc;
  tf_status_t rc;

  memset(&g_dev.slots, 0, sizeof g_dev.slots);
  memset(&sc, 0, sizeof sc);
  sc.flash = f;
  sc.slot_addr[0] = 0;
  sc.slot_addr[1] = SLOT;
  sc.slot_size = SLOT;
  sc.state_addr[0] = STATE_ADDR;
  sc.state_addr[1] = STATE_ADDR + PAGE;
  g_dev.running = -1;
  rc = tf_slots_open(&g_dev.slots, &sc);
  if (rc == TF_OK) rc = tf_slots_boot(&g_dev.slots, &g_dev.boot);
  if (rc != TF_OK) return rc;
  memset(&oc, 0, sizeof oc);
  oc.slots = &g_dev.slots;
  oc.region_addr = OTA_ADDR;
  oc.region_bytes = PAGE;
  oc.hooks.check = hook_check;
  oc.hooks.load = hook_load;
  rc = tf_ota_open(&g_dev.ota, &oc, &g_dev.boot);
  g_dev.open_rc = rc;
  if (rc == TF_OK && g_dev.boot.slot != TF_SLOT_NONE) g_dev.running = g_dev.boot.slot;
  return rc;
}

static void offer_of(tf_msg_ota_offer_t *m, const uint8_t *sha, uint32_t size) {
  static const uint8_t kid[8] = {0};
  m->sha = sha;
  m->size = size;
  m->bs = TF_OTA_BLOCK_BYTES;
  m->nb = (size + TF_OTA_BLOCK_BYTES - 1u) / TF_OTA_BLOCK_BYTES;
  m->mver = 7;
  m->kid = kid;
}

static tf_status_t send_block(uint32_t i, const uint8_t *file, uint32_t size, const uint8_t *sha) {
  tf_msg_ota_block_t b;
  uint32_t off = i * TF_OTA_BLOCK_BYTES;
  b.sha = sha;
  b.i = i;
  b.d.data = off < size ? file + off : file; /* past the end: a 1-byte block (OUT_OF_RANGE cases) */
  b.d.len = off >= size ? 1u : size - off < TF_OTA_BLOCK_BYTES ? size - off : TF_OTA_BLOCK_BYTES;
  return tf_ota_block(&g_dev.ota, &b);
}

static tf_msg_ota_sha_t sha_msg(const uint8_t *sha) {
  tf_msg_ota_sha_t m;
  memset(&m, 0, sizeof m);
  m.sha = sha;
  return m;
}

/* Which model does slot `slot` hold: 0 old, 1 new, -1 neither. */
static int holds(int slot) {
  static uint8_t buf[SLOT];
  const tf_slots_state_t *st = tf_slots_state(&g_dev.slots);
  if (slot < 0 || slot > 1) return -1;
  if (g_raw.read(g_raw.ctx, g_dev.slots.cfg.slot_addr[slot], buf, SLOT) != TF_OK) return -1;
  if (st->slot[slot].length == OLD_LEN && memcmp(buf, g_old, OLD_LEN) == 0) return 0;
  if (st->slot[slot].length == NEW_LEN && memcmp(buf, g_new, NEW_LEN) == 0) return 1;
  return -1;
}

/* A fresh device with the old model confirmed in slot 0 (the --model install path). */
static void make_base(void) {
  tf_slots_boot_result_t b;
  uint8_t slot = TF_SLOT_NONE;
  uint32_t i, seed = 12345u;

  for (i = 0; i < OLD_LEN; i++) g_old[i] = (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24);
  for (i = 0; i < NEW_LEN; i++) g_new[i] = (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24);
  tf_sha256(g_old, OLD_LEN, g_old_sha);
  tf_sha256(g_new, NEW_LEN, g_new_sha);
  (void)tf_flash_ram_init(&g_ram, &g_raw, g_mem, FLASH_SIZE, PAGE, ALIGN, g_map);
  tf_flash_ram_format(&g_ram);
  TF_CHECK_OK(device_boot(&g_raw));
  TF_CHECK_OK(tf_slots_begin_update(&g_dev.slots, OLD_LEN, &slot));
  TF_CHECK_OK(tf_slots_write(&g_dev.slots, 0, g_old, OLD_LEN));
  TF_CHECK_OK(tf_slots_finish(&g_dev.slots, OLD_LEN, g_old_sha));
  TF_CHECK_OK(tf_slots_set_pending(&g_dev.slots, slot));
  TF_CHECK_OK(tf_slots_boot(&g_dev.slots, &b));
  TF_CHECK_OK(tf_slots_confirm(&g_dev.slots));
  memcpy(g_base, g_mem, FLASH_SIZE);
}

static void restore_base(void) {
  memcpy(g_mem, g_base, FLASH_SIZE);
  tf_flash_ram_rescan(&g_ram);
}

/* The whole OTA as the gateway drives it; stops at the first error. */
static tf_status_t full_ota(const tf_flash_t *f, int confirm) {
  tf_msg_ota_offer_t o;
  tf_msg_ota_sha_t m = sha_msg(g_new_sha);
  uint32_t i;
  tf_status_t rc = device_boot(f);

  offer_of(&o, g_new_sha, NEW_LEN);
  if (rc == TF_OK) rc = tf_ota_offer(&g_dev.ota, &o);
  for (i = 0; rc == TF_OK && i < o.nb; i++) rc = send_block(i, g_new, NEW_LEN, g_new_sha);
  if (rc == TF_OK) rc = tf_ota_commit(&g_dev.ota, g_new_sha);
  if (rc == TF_OK && g_dev.ota.state != TF_OTA_STATE_VERIFIED) rc = TF_STATUS_INTERNAL;
  if (rc == TF_OK) rc = tf_ota_test_boot(&g_dev.ota, &m);
  if (rc == TF_OK && confirm) rc = tf_ota_confirm(&g_dev.ota, g_new_sha);
  return rc;
}

static void happy_path(void) {
  tf_msg_ota_status_t st;
  tf_msg_ota_sha_t m = sha_msg(g_new_sha);
  tf_msg_ota_offer_t o;

  restore_base();
  TF_CHECK_OK(device_boot(&g_raw));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_IDLE);
  TF_CHECK_RC(tf_ota_commit(&g_dev.ota, g_new_sha), TF_STATUS_BAD_STATE); /* any request but OFFER in IDLE */
  offer_of(&o, g_new_sha, NEW_LEN);
  o.size = SLOT + 1u;
  o.nb = 5;
  TF_CHECK_RC(tf_ota_offer(&g_dev.ota, &o), TF_STATUS_NO_SPACE);
  offer_of(&o, g_new_sha, NEW_LEN);
  TF_CHECK_OK(tf_ota_offer(&g_dev.ota, &o));
  TF_CHECK_EQ(g_dev.ota.pslot, 1u); /* never the active slot */
  TF_CHECK_OK(send_block(1, g_new, NEW_LEN, g_new_sha));
  TF_CHECK_OK(send_block(1, g_new, NEW_LEN, g_new_sha)); /* repeated: nothing */
  TF_CHECK_RC(send_block(4, g_new, NEW_LEN, g_new_sha), TF_STATUS_OUT_OF_RANGE);
  TF_CHECK_RC(send_block(0, g_new, 100, g_new_sha), TF_STATUS_OUT_OF_RANGE); /* wrong length */
  TF_CHECK_RC(send_block(0, g_new, NEW_LEN, g_old_sha), TF_STATUS_BAD_STATE); /* another sha */
  TF_CHECK_OK(tf_ota_commit(&g_dev.ota, g_new_sha)); /* blocks missing: status with have */
  tf_ota_status(&g_dev.ota, &st);
  TF_CHECK_EQ(st.st, TF_OTA_STATE_RECEIVING);
  TF_CHECK_EQ(st.nb, 4u);
  TF_CHECK_EQ(st.have.len, 1u);
  TF_CHECK_EQ(st.have.data[0], 0x02u);
  TF_CHECK_RC(tf_ota_test_boot(&g_dev.ota, &m), TF_STATUS_BAD_STATE); /* phase not reached */
  TF_CHECK_RC(tf_ota_confirm(&g_dev.ota, g_new_sha), TF_STATUS_BAD_STATE);
  /* a reset in RECEIVING: the bitmap survives */
  TF_CHECK_OK(device_boot(&g_raw));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_RECEIVING);
  TF_CHECK_EQ(g_dev.ota.have[0], 0x02u);
  TF_CHECK_OK(tf_ota_offer(&g_dev.ota, &o)); /* resume: same record */
  TF_CHECK_EQ(g_dev.ota.have_count, 1u);
  TF_CHECK_OK(send_block(0, g_new, NEW_LEN, g_new_sha));
  TF_CHECK_OK(send_block(2, g_new, NEW_LEN, g_new_sha));
  TF_CHECK_OK(send_block(3, g_new, NEW_LEN, g_new_sha));
  TF_CHECK_OK(tf_ota_commit(&g_dev.ota, g_new_sha));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_VERIFIED);
  TF_CHECK_OK(tf_ota_commit(&g_dev.ota, g_new_sha)); /* repeated */
  TF_CHECK_OK(send_block(0, g_new, NEW_LEN, g_new_sha)); /* late block: dropped */
  TF_CHECK_OK(tf_ota_test_boot(&g_dev.ota, &m));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_TEST_BOOTING);
  TF_CHECK_EQ(g_dev.running, 1);
  TF_CHECK_RC(tf_ota_offer(&g_dev.ota, &o), TF_STATUS_BAD_STATE); /* OFFER in TEST_BOOTING */
  TF_CHECK_OK(tf_ota_confirm(&g_dev.ota, g_new_sha));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_CONFIRMED);
  tf_ota_status(&g_dev.ota, &st);
  TF_CHECK(st.has_aslot && st.aslot == 1u && st.have.data == NULL);
  TF_CHECK_OK(tf_ota_offer(&g_dev.ota, &o)); /* repeated: status */
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_CONFIRMED);
  TF_CHECK_OK(device_boot(&g_raw));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_CONFIRMED);
  TF_CHECK_EQ(holds(g_dev.running), 1);
  /* revert after CONFIRMED: the previous slot still holds a valid artifact */
  TF_CHECK_OK(tf_ota_revert(&g_dev.ota, g_new_sha));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_REVERTED);
  TF_CHECK_EQ(holds(g_dev.running), 0);
  TF_CHECK_OK(device_boot(&g_raw));
  TF_CHECK_EQ(holds(g_dev.running), 0);
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_REVERTED);
}

/* Slot erase is lazy (tf_ota_offer): the offer erases no page of the slot; each block erases its own
 * pages just before it is programmed, so only the pages the artifact needs are erased, spread over the
 * transfer (PROTOCOL.md §4.6.1); the bytes of the other pages stay as they were. */
static void lazy_erase(void) {
  static const uint8_t pattern = 0xA5u;
  tf_msg_ota_offer_t o;
  uint8_t sha2[32];
  uint32_t i, size = TF_OTA_BLOCK_BYTES + 100u; /* 2 blocks of the 4-block slot */

  restore_base();
  memset(g_mem + SLOT, pattern, SLOT); /* the inactive slot holds bytes of an older model */
  tf_flash_ram_rescan(&g_ram);
  arm(-1, TEAR_NONE); /* counts operations, never cuts */
  TF_CHECK_OK(device_boot(&g_cut.face));
  tf_sha256(g_new, size, sha2);
  offer_of(&o, sha2, size);
  g_cut.n_erased = 0;
  TF_CHECK_OK(tf_ota_offer(&g_dev.ota, &o));
  TF_CHECK_EQ(g_dev.ota.pslot, 1u);
  for (i = 0; i < g_cut.n_erased; i++) {
    TF_CHECK(g_cut.erased[i] < SLOT || g_cut.erased[i] >= 2u * SLOT); /* no page of slot 1 */
  }
  TF_CHECK_EQ(g_mem[SLOT], pattern);
  g_cut.n_erased = 0;
  TF_CHECK_OK(send_block(1, g_new, size, sha2)); /* any order */
  TF_CHECK_EQ(g_cut.n_erased, 1u);
  TF_CHECK_EQ(g_cut.erased[0], SLOT + PAGE); /* its own page, just before it is programmed */
  TF_CHECK_EQ(g_mem[SLOT], pattern);         /* block 0's page: not yet erased */
  TF_CHECK_OK(send_block(0, g_new, size, sha2));
  TF_CHECK_EQ(g_cut.n_erased, 2u);
  TF_CHECK_EQ(g_cut.erased[1], SLOT);
  TF_CHECK_OK(tf_ota_commit(&g_dev.ota, sha2));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_VERIFIED);
  TF_CHECK(memcmp(g_mem + SLOT, g_new, size) == 0);
  TF_CHECK_EQ(g_mem[SLOT + 2u * PAGE], pattern); /* pages past the artifact: never erased */
  TF_CHECK_EQ(g_mem[SLOT + 4u * PAGE - 1u], pattern);
}

static void corrupted_block(void) {
  static uint8_t bad[NEW_LEN];
  tf_msg_ota_offer_t o;
  uint32_t i;

  restore_base();
  TF_CHECK_OK(device_boot(&g_raw));
  memcpy(bad, g_new, NEW_LEN);
  bad[5000] ^= 0x40;
  offer_of(&o, g_new_sha, NEW_LEN);
  TF_CHECK_OK(tf_ota_offer(&g_dev.ota, &o));
  for (i = 0; i < 4; i++) TF_CHECK_OK(send_block(i, bad, NEW_LEN, g_new_sha));
  TF_CHECK_OK(tf_ota_commit(&g_dev.ota, g_new_sha));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_FAILED);
  TF_CHECK_EQ(g_dev.ota.err, TF_ERR_SHA_MISMATCH);
  TF_CHECK_EQ(holds(0), 0); /* the active slot is untouched */
  TF_CHECK_OK(device_boot(&g_raw));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_FAILED);
  TF_CHECK_EQ(holds(g_dev.running), 0);
  /* the gateway offers again: a new transfer, all blocks needed */
  TF_CHECK_OK(tf_ota_offer(&g_dev.ota, &o));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_RECEIVING);
  TF_CHECK_EQ(g_dev.ota.have_count, 0u);
  for (i = 0; i < 4; i++) TF_CHECK_OK(send_block(i, g_new, NEW_LEN, g_new_sha));
  TF_CHECK_OK(tf_ota_commit(&g_dev.ota, g_new_sha));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_VERIFIED);
}

static void smoke_fail_and_reverts(void) {
  tf_msg_ota_sha_t m = sha_msg(g_new_sha);

  /* smoke test fails: REVERTED SMOKE_TEST_FAILED, previous model runs again */
  restore_base();
  TF_CHECK_RC(full_ota(&g_raw, 0), TF_OK);
  restore_base();
  g_dev.smoke_fails = 1;
  TF_CHECK_OK(full_ota(&g_raw, 0));
  g_dev.smoke_fails = 0;
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_REVERTED);
  TF_CHECK_EQ(g_dev.ota.err, TF_ERR_SMOKE_TEST_FAILED);
  TF_CHECK_EQ(holds(g_dev.running), 0);
  TF_CHECK_OK(tf_ota_test_boot(&g_dev.ota, &m)); /* repeated after the end: status */
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_REVERTED);
  /* OTA_REVERT in TEST_BOOTING */
  restore_base();
  TF_CHECK_OK(full_ota(&g_raw, 0));
  TF_CHECK_EQ(g_dev.running, 1);
  TF_CHECK_OK(tf_ota_revert(&g_dev.ota, g_new_sha));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_REVERTED);
  TF_CHECK_EQ(holds(g_dev.running), 0);
  /* a trial never confirmed: the next boot reverts it and reports TIMEOUT */
  restore_base();
  TF_CHECK_OK(full_ota(&g_raw, 0));
  TF_CHECK_OK(device_boot(&g_raw));
  TF_CHECK_EQ(g_dev.ota.state, TF_OTA_STATE_REVERTED);
  TF_CHECK_EQ(g_dev.ota.err, TF_ERR_TIMEOUT);
  TF_CHECK_EQ(holds(g_dev.running), 0);
}

/* After a cut: reboot, check, then let the gateway finish the update. */
static int recover_and_finish(long cut, int mode) {
  tf_msg_ota_offer_t o;
  tf_msg_ota_sha_t m = sha_msg(g_new_sha);
  uint32_t i, missing, sent = 0;
  int ok = 1;
  uint8_t st;

  tf_flash_ram_rescan(&g_ram); /* unknown history: a unit with any programmed bit counts as written */
  if (device_boot(&g_raw) != TF_OK || holds(g_dev.running) < 0) {
    printf("  cut %ld mode %d: no valid model boots (running %d)\n", cut, mode, g_dev.running);
    return 0;
  }
  st = g_dev.ota.state;
  if (st == TF_OTA_STATE_RECEIVING) { /* every bit set names a durable block */
    for (i = 0; i < g_dev.ota.nb; i++) {
      uint8_t buf[TF_OTA_BLOCK_BYTES];
      uint32_t off = i * TF_OTA_BLOCK_BYTES, n = NEW_LEN - off < sizeof buf ? NEW_LEN - off : (uint32_t)sizeof buf;
      if (((g_dev.ota.have[i / 8u] >> (i % 8u)) & 1u) &&
          (g_raw.read(g_raw.ctx, SLOT * g_dev.ota.pslot + off, buf, n) != TF_OK || memcmp(buf, g_new + off, n) != 0)) {
        printf("  cut %ld mode %d: block %u marked but not durable\n", cut, mode, (unsigned)i);
        ok = 0;
      }
    }
  }
  /* the gateway: offer again, send the blocks whose bit is 0, commit, test boot, confirm */
  offer_of(&o, g_new_sha, NEW_LEN);
  if (st != TF_OTA_STATE_CONFIRMED) {
    if (tf_ota_offer(&g_dev.ota, &o) != TF_OK) return 0;
    if (g_dev.ota.state == TF_OTA_STATE_RECEIVING) {
      missing = g_dev.ota.nb - g_dev.ota.have_count;
      for (i = 0; i < g_dev.ota.nb; i++) {
        if (!((g_dev.ota.have[i / 8u] >> (i % 8u)) & 1u)) {
          if (send_block(i, g_new, NEW_LEN, g_new_sha) != TF_OK) return 0;
          sent++;
        }
      }
      if (sent != missing) ok = 0;
      if (tf_ota_commit(&g_dev.ota, g_new_sha) != TF_OK) return 0;
    }
    if (g_dev.ota.state != TF_OTA_STATE_VERIFIED) {
      printf("  cut %ld mode %d: after resume state %u (err %u), want VERIFIED\n", cut, mode, g_dev.ota.state,
             g_dev.ota.err);
      return 0;
    }
    if (tf_ota_test_boot(&g_dev.ota, &m) != TF_OK || tf_ota_confirm(&g_dev.ota, g_new_sha) != TF_OK) return 0;
  }
  if (device_boot(&g_raw) != TF_OK || g_dev.ota.state != TF_OTA_STATE_CONFIRMED || holds(g_dev.running) != 1) {
    printf("  cut %ld mode %d: the update did not complete (state %u, running %d)\n", cut, mode, g_dev.ota.state,
           g_dev.running);
    return 0;
  }
  return ok;
}

static long g_cut_points;

static void power_loss_replay(void) {
  long total, cut;
  int mode;

  restore_base();
  arm(-1, TEAR_NONE);
  TF_CHECK_OK(full_ota(&g_cut.face, 1));
  total = g_cut.ops;
  TF_CHECK(total > 10);
  for (cut = 0; cut < total; cut++) {
    for (mode = 0; mode < TEAR_MODES; mode++) {
      restore_base();
      arm(cut, mode);
      (void)full_ota(&g_cut.face, 1);
      if (!TF_CHECK(recover_and_finish(cut, mode))) {
        printf("  (cut point %ld of %ld, tear mode %d)\n", cut, total, mode);
      }
      g_cut_points++;
    }
  }
}

int main(void) {
  make_base();
  TF_TEST_RUN(happy_path);
  TF_TEST_RUN(lazy_erase);
  TF_TEST_RUN(corrupted_block);
  TF_TEST_RUN(smoke_fail_and_reverts);
  TF_TEST_RUN(power_loss_replay);
  printf("ota power-loss replay: %ld cut points tested\n", g_cut_points);
  return tf_test_finish();
}
