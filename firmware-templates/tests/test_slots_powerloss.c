/*
 * Power-loss replay of model updates (STYLE.md §17, after MCUboot's sim): run a scenario once
 * to count its flash operations (erases and programs), then for every operation i and every
 * tear mode, restore the starting flash image, run the scenario again with the power cut at
 * operation i, "reboot" (fresh tf_slots_t over the same bytes, boot decision), and check:
 *
 *  - the boot decision succeeds and runs a complete model whose bytes equal the old or the new
 *    image exactly (or, for a first install, no model at all), never anything else;
 *  - the state is consistent (confirmed slot complete, no pending left, a trial only for the
 *    slot that runs);
 *  - a trial that was not confirmed is reverted by the following boot;
 *  - the device is not bricked: a further update, test boot and confirm all succeed.
 *
 * Tear modes for the interrupted operation: nothing done; first half done; a random subset of
 * the bit changes done (a torn erase sets random bits, a torn program clears random bits);
 * everything done but power lost before the call returned.
 */
#include "tf_test.h"

#include "slots_fixture.h"

#include <stdio.h>
#include <string.h>

enum { TEAR_NONE, TEAR_HALF, TEAR_RANDOM, TEAR_DONE, TEAR_MODES };

/* A flash that loses power at operation `cut_at` (counting erases and programs from 0). */
typedef struct cut_flash {
  tf_flash_t face;
  long ops;
  long cut_at; /* -1: never */
  int mode;
  int dead;
  uint32_t rng;
} cut_flash_t;

static cut_flash_t g_cut;

static uint32_t rnd(void) {
  g_cut.rng = g_cut.rng * 1664525u + 1013904223u;
  return g_cut.rng >> 8;
}

/* Decides whether this operation is the one interrupted; 1 if the call must fail. */
static int power_fails_now(void) {
  if (g_cut.dead) {
    return 1;
  }
  if (g_cut.ops++ != g_cut.cut_at) {
    return 0;
  }
  g_cut.dead = 1;
  return 1;
}

static tf_status_t cut_erase(void *ctx, uint32_t addr) {
  uint8_t *p = fx_mem + addr;
  uint32_t i;
  int was_dead = g_cut.dead;

  (void)ctx;
  if (!power_fails_now()) {
    return fx_flash.erase(fx_flash.ctx, addr);
  }
  if (was_dead || addr % FX_PAGE != 0 || addr >= FX_FLASH_SIZE) {
    return TF_STATUS_FLASH_ERROR;
  }
  switch (g_cut.mode) {
  case TEAR_HALF:
    memset(p, 0xFF, FX_PAGE / 2u);
    break;
  case TEAR_RANDOM:
    for (i = 0; i < FX_PAGE; i++) {
      p[i] |= (uint8_t)rnd(); /* erasing sets bits; some got there */
    }
    break;
  case TEAR_DONE:
    memset(p, 0xFF, FX_PAGE);
    break;
  default:
    break;
  }
  return TF_STATUS_FLASH_ERROR;
}

static tf_status_t cut_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len) {
  uint8_t *p = fx_mem + addr;
  uint32_t i;
  int was_dead = g_cut.dead;

  (void)ctx;
  if (!power_fails_now()) {
    return fx_flash.program(fx_flash.ctx, addr, data, len);
  }
  if (was_dead || addr > FX_FLASH_SIZE || len > FX_FLASH_SIZE - addr) {
    return TF_STATUS_FLASH_ERROR;
  }
  switch (g_cut.mode) {
  case TEAR_HALF:
    for (i = 0; i < len / 2u; i++) {
      p[i] &= data[i];
    }
    break;
  case TEAR_RANDOM:
    for (i = 0; i < len; i++) {
      p[i] &= (uint8_t)(data[i] | (uint8_t)rnd()); /* programming clears bits; some got cleared */
    }
    break;
  case TEAR_DONE:
    for (i = 0; i < len; i++) {
      p[i] &= data[i];
    }
    break;
  default:
    break;
  }
  return TF_STATUS_FLASH_ERROR;
}

static tf_status_t cut_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len) {
  (void)ctx;
  return fx_flash.read(fx_flash.ctx, addr, buf, len);
}

static void cut_flash_arm(long cut_at, int mode) {
  g_cut.face = fx_flash;
  g_cut.face.ctx = &g_cut;
  g_cut.face.erase = cut_erase;
  g_cut.face.program = cut_program;
  g_cut.face.read = cut_read;
  g_cut.ops = 0;
  g_cut.cut_at = cut_at;
  g_cut.mode = mode;
  g_cut.dead = 0;
  g_cut.rng = (uint32_t)(cut_at * 7919 + mode * 104729 + 1);
}

typedef enum scenario { SC_FIRST_INSTALL, SC_UPDATE_CONFIRM, SC_UPDATE_REVERT, SC_UPDATE_NO_CONFIRM } scenario_t;

static fx_model_t g_old, g_new, g_next;
static uint8_t g_start[FX_FLASH_SIZE]; /* flash image the scenario starts from */

/* Milestones of the uncut run, as operation counts after each step. */
typedef struct milestones {
  long after_pending;
  long after_confirm;
  long total;
} milestones_t;

/* Runs the scenario on the cut flash; stops at the first error (the power is gone). */
static tf_status_t run_scenario(scenario_t sc, milestones_t *m) {
  tf_slots_config_t cfg;
  tf_slots_t s;
  tf_slots_boot_result_t b;
  tf_status_t rc;
  uint8_t slot = TF_SLOT_NONE;

  fx_config(&cfg, &g_cut.face);
  rc = tf_slots_open(&s, &cfg);
  if (rc == TF_OK) {
    rc = tf_slots_boot(&s, &b); /* the device is running the old model (or none) */
  }
  if (rc == TF_OK) {
    rc = fx_install(&s, &g_new, &slot);
  }
  if (rc == TF_OK) {
    rc = tf_slots_set_pending(&s, slot);
  }
  m->after_pending = g_cut.ops;
  if (rc == TF_OK) {
    rc = tf_slots_boot(&s, &b); /* reset into the trial */
  }
  if (rc == TF_OK && !b.trial) {
    rc = TF_STATUS_INTERNAL;
  }
  if (rc == TF_OK && (sc == SC_UPDATE_CONFIRM || sc == SC_FIRST_INSTALL)) {
    rc = tf_slots_confirm(&s);
  } else if (rc == TF_OK && sc == SC_UPDATE_REVERT) {
    rc = tf_slots_revert(&s);
    if (rc == TF_OK) {
      rc = tf_slots_boot(&s, &b);
    }
  }
  m->after_confirm = g_cut.ops;
  m->total = g_cut.ops;
  return rc;
}

/* After a cut: what does the next boot run? 0 = old, 1 = new, -1 = nothing, -2 = invalid. */
static int classify(const tf_slots_t *s, const tf_slots_boot_result_t *b, int have_old) {
  if (b->slot == TF_SLOT_NONE) {
    return have_old ? -2 : -1;
  }
  if (have_old && b->length == g_old.len && fx_slot_holds(s, b->slot, &g_old)) {
    return 0;
  }
  if (b->length == g_new.len && fx_slot_holds(s, b->slot, &g_new)) {
    return 1;
  }
  return -2;
}

static int state_consistent(const tf_slots_t *s, const tf_slots_boot_result_t *b) {
  const tf_slots_state_t *st = tf_slots_state(s);

  if (st->pending != TF_SLOT_NONE) {
    return 0; /* every boot consumes a pending request */
  }
  if (st->confirmed != TF_SLOT_NONE && st->slot[st->confirmed].status != TF_SLOT_COMPLETE) {
    return 0;
  }
  if (st->trial != TF_SLOT_NONE && (st->trial != b->slot || !b->trial || st->trial == st->confirmed)) {
    return 0;
  }
  return b->slot == TF_SLOT_NONE || b->slot == st->confirmed || b->trial || b->fallback;
}

typedef struct tally {
  long cut_points;
  long old_runs;
  long new_runs;
  long none_runs;
} tally_t;

/* One replay: cut, reboot twice, check, then prove the device still updates. */
static void replay_one(scenario_t sc, long cut_at, int mode, const milestones_t *ms, tally_t *t) {
  tf_slots_config_t cfg;
  tf_slots_t s;
  tf_slots_boot_result_t b1, b2;
  milestones_t ignored;
  int have_old = sc != SC_FIRST_INSTALL;
  int k1, k2;
  uint8_t slot = TF_SLOT_NONE;

  memcpy(fx_mem, g_start, sizeof fx_mem);
  fx_flash_init(0);
  cut_flash_arm(cut_at, mode);
  (void)run_scenario(sc, &ignored);

  /* reboot: new RAM state over the same flash bytes, no more power cuts */
  fx_flash_init(0);
  fx_config(&cfg, &fx_flash);
  if (!TF_CHECK_OK(tf_slots_open(&s, &cfg)) || !TF_CHECK_OK(tf_slots_boot(&s, &b1))) {
    printf("  scenario %d cut at %ld mode %d\n", (int)sc, cut_at, mode);
    return;
  }
  k1 = classify(&s, &b1, have_old);
  if (!TF_CHECK(k1 != -2) || !TF_CHECK(state_consistent(&s, &b1))) {
    printf("  scenario %d cut at %ld mode %d: slot %u trial %d len %u\n", (int)sc, cut_at, mode, b1.slot, b1.trial,
           (unsigned)b1.length);
    return;
  }
  /* before the test-boot request is durable, only the old model can run */
  if (cut_at < ms->after_pending - 1 && !TF_CHECK(k1 == (have_old ? 0 : -1))) {
    printf("  scenario %d cut at %ld mode %d: new model ran before it was requested\n", (int)sc, cut_at, mode);
  }
  /* a revert scenario never makes the new model permanent */
  if (sc == SC_UPDATE_REVERT && k1 == 1 && !TF_CHECK(b1.trial)) {
    printf("  scenario %d cut at %ld mode %d: reverted model is confirmed\n", (int)sc, cut_at, mode);
  }
  t->cut_points++;
  t->old_runs += k1 == 0;
  t->new_runs += k1 == 1;
  t->none_runs += k1 == -1;

  /* second reboot without confirming: a trial is reverted, anything else stays */
  TF_CHECK_OK(tf_slots_boot(&s, &b2));
  k2 = classify(&s, &b2, have_old);
  TF_CHECK(state_consistent(&s, &b2));
  if (b1.trial) {
    TF_CHECK(b2.reverted && !b2.trial);
    TF_CHECK(k2 == (have_old ? 0 : -1));
  } else {
    TF_CHECK(k2 == k1 && b2.slot == b1.slot);
  }

  /* not bricked: a complete update cycle still works from here */
  fx_model_make(&g_next, 1234, 77);
  if (TF_CHECK_OK(fx_install(&s, &g_next, &slot)) && TF_CHECK_OK(tf_slots_set_pending(&s, slot)) &&
      TF_CHECK_OK(tf_slots_boot(&s, &b2)) && TF_CHECK(b2.trial && b2.slot == slot) &&
      TF_CHECK_OK(tf_slots_confirm(&s)) && TF_CHECK_OK(tf_slots_boot(&s, &b2))) {
    TF_CHECK(b2.slot == slot && !b2.trial && fx_slot_holds(&s, slot, &g_next));
  }
}

/* Prepares g_start: erased flash, plus the old model confirmed unless it is a first install. */
static void prepare_start(scenario_t sc) {
  tf_slots_config_t cfg;
  tf_slots_t s;
  tf_slots_boot_result_t b;
  uint8_t slot = TF_SLOT_NONE;

  fx_flash_init(1);
  fx_config(&cfg, &fx_flash);
  if (sc != SC_FIRST_INSTALL) {
    TF_CHECK_OK(tf_slots_open(&s, &cfg));
    TF_CHECK_OK(tf_slots_boot(&s, &b));
    TF_CHECK_OK(fx_install(&s, &g_old, &slot));
    TF_CHECK_OK(tf_slots_set_pending(&s, slot));
    TF_CHECK_OK(tf_slots_boot(&s, &b));
    TF_CHECK_OK(tf_slots_confirm(&s));
  }
  memcpy(g_start, fx_mem, sizeof g_start);
}

static long g_total_cut_points;

static void replay_scenario(scenario_t sc, const char *name) {
  milestones_t ms;
  tally_t t;
  long i;
  int mode;

  memset(&t, 0, sizeof t);
  prepare_start(sc);
  memcpy(fx_mem, g_start, sizeof fx_mem);
  fx_flash_init(0);
  cut_flash_arm(-1, TEAR_NONE);
  if (!TF_CHECK_OK(run_scenario(sc, &ms))) {
    return;
  }
  for (i = 0; i < ms.total; i++) {
    for (mode = 0; mode < TEAR_MODES; mode++) {
      replay_one(sc, i, mode, &ms, &t);
    }
  }
  printf("  %s: %ld flash operations x %d tear modes = %ld cut points; next boot ran old %ld, new %ld, none %ld\n",
         name, ms.total, TEAR_MODES, t.cut_points, t.old_runs, t.new_runs, t.none_runs);
  TF_CHECK_EQ(t.cut_points, ms.total * TEAR_MODES);
  g_total_cut_points += t.cut_points;
}

static void first_install(void) {
  replay_scenario(SC_FIRST_INSTALL, "first install + test boot + confirm");
}

static void update_confirm(void) {
  replay_scenario(SC_UPDATE_CONFIRM, "update + test boot + confirm");
}

static void update_revert(void) {
  replay_scenario(SC_UPDATE_REVERT, "update + test boot + revert");
}

static void update_trial_never_confirmed(void) {
  replay_scenario(SC_UPDATE_NO_CONFIRM, "update + test boot, no confirm");
}

int main(void) {
  fx_model_make(&g_old, 3000, 1);
  fx_model_make(&g_new, 3501, 2);
  TF_TEST_RUN(first_install);
  TF_TEST_RUN(update_confirm);
  TF_TEST_RUN(update_revert);
  TF_TEST_RUN(update_trial_never_confirmed);
  printf("power-loss replay: %ld cut points tested\n", g_total_cut_points);
  return tf_test_finish();
}
