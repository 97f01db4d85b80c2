/*
 * TinyFleet on QEMU's mps2-an386 (Cortex-M4):
 *   qemu-system-arm -M mps2-an386 -nographic -kernel tinyfleet-mps2-an386.elf
 * Boots, logs the banner, self test, slot decision and a SysTick check on UART0, then runs the
 * device agent (tf_agent.h: link layer of PROTOCOL.md §3, HELLO / HEARTBEAT / ERROR of §4.2) on
 * UART0. From the "ready" line on, UART0 carries only link frames (no more log lines); the boot
 * lines before it are line noise to the link, which the leading 0x00 of HELLO ends (§3.7.3).
 * The boot counter is not persisted on this board yet (always 1).
 *
 * Model: the active slot is used in place (the PSRAM "flash" is memory-mapped). An image built
 * with -DTF_MODEL_TFM=model.tfm installs that artifact into the empty slots at boot. The line
 * "model: ready, arena A B measured, P B planned" (or "model: not usable: STATUS") is logged.
 */
#include "tf_port_mps2.h"
#ifdef TF_MPS2_BENCH
#include "tf_mps2_bench.h"
#endif

#include "tinyfleet/tf_agent.h"
#include "tinyfleet/tf_runtime.h"

#include <string.h>

static tf_slots_t g_slots;
static tf_agent_t g_agent;

#ifndef TF_MPS2_ARENA_BYTES
#define TF_MPS2_ARENA_BYTES (64u * 1024u)
#endif
#ifndef TF_MPS2_INTERP_RAM_BYTES
#define TF_MPS2_INTERP_RAM_BYTES (16u * 1024u)
#endif
static union {
  uint8_t b[TF_MPS2_ARENA_BYTES];
  uint64_t align;
} g_arena;
static union {
  uint8_t b[TF_MPS2_INTERP_RAM_BYTES];
  uint64_t align;
} g_ram;

/* Training (tf_train.h, PROTOCOL.md §4.4): saved values, errors and gradient rows; received samples */
#ifndef TF_MPS2_TRAIN_BYTES
#define TF_MPS2_TRAIN_BYTES (64u * 1024u)
#endif
#ifndef TF_MPS2_SAMPLE_BYTES
#define TF_MPS2_SAMPLE_BYTES (16u * 1024u)
#endif
static union {
  uint8_t b[TF_MPS2_TRAIN_BYTES];
  uint64_t align;
} g_train;
static union {
  uint8_t b[TF_MPS2_SAMPLE_BYTES];
  uint64_t align;
} g_samples;

extern uint8_t tf_ld_model_flash[];

/* tf_agent_config_t.map_slot: the PSRAM standing in for flash is memory-mapped. */
static const uint8_t *map_slot(void *ctx, uint8_t slot, uint32_t len) {
  const tf_slots_t *s = (const tf_slots_t *)ctx;
  return slot <= 1u && len <= s->cfg.slot_size ? tf_ld_model_flash + s->cfg.slot_addr[slot] : NULL;
}
#ifdef TF_HAS_EMBEDDED_MODEL
extern const unsigned char tf_embedded_model[];
extern const unsigned long tf_embedded_model_len;
#endif

static void log_model(const tf_hal_t *hal, const tf_agent_t *a) {
  char line[96] = "model: ";

  if (a->model_status == TF_OK) {
    (void)tf_str_append(line, sizeof line, "ready, arena ");
    (void)tf_str_append_u32(line, sizeof line, a->interp.arena_required);
    (void)tf_str_append(line, sizeof line, " B measured, ");
    (void)tf_str_append_u32(line, sizeof line, a->art.arena_infer_bytes);
    (void)tf_str_append(line, sizeof line, " B planned");
  } else {
    (void)tf_str_append(line, sizeof line, "not usable: ");
    (void)tf_str_append(line, sizeof line, tf_status_name(a->model_status));
  }
  hal->log(hal->ctx, line);
}

/* Shows that SysTick drives millis() and cycles(): waits 10 ms (bounded) and logs the cycles. */
static void check_clock(const tf_hal_t *hal) {
  char line[64] = "";
  uint32_t t0 = hal->millis(hal->ctx);
  uint32_t c0 = hal->cycles(hal->ctx);
  uint32_t spins = 0;

  while (hal->millis(hal->ctx) - t0 < 10u && ++spins < 100000000u) {
  }
  if (hal->millis(hal->ctx) - t0 < 10u) {
    hal->log(hal->ctx, "clock: SysTick is not running");
    return;
  }
  (void)tf_str_append(line, sizeof line, "clock: 10 ms = ");
  (void)tf_str_append_u32(line, sizeof line, hal->cycles(hal->ctx) - c0);
  (void)tf_str_append(line, sizeof line, " cycles");
  hal->log(hal->ctx, line);
}

int main(void) {
  tf_hal_t hal;
  tf_slots_config_t cfg;
  tf_slots_boot_result_t boot;
  tf_agent_config_t acfg;

  tf_port_mps2_init(&hal);
  tf_port_mps2_slots_config(&cfg, &hal.flash);
  if (tf_runtime_start(&hal, &g_slots, &cfg, &boot) != TF_OK) {
    hal.log(hal.ctx, "halted");
    for (;;) {
    }
  }
  check_clock(&hal);
#ifdef TF_HAS_EMBEDDED_MODEL
  if (boot.slot == TF_SLOT_NONE) {
    tf_status_t rc = tf_runtime_install_model(&g_slots, tf_embedded_model, (uint32_t)tf_embedded_model_len, &boot);
    hal.log(hal.ctx, rc == TF_OK ? "model: embedded model installed" : "model: embedded model rejected");
  }
#endif
  {
    static const char *const id = "mps2-an386-qemu";
    const tf_slots_state_t *st = tf_slots_state(&g_slots);
    tf_agent_config_t *c = &acfg;
    memset(c, 0, sizeof *c);
    c->hal = &hal;
    c->device_id = id;
    c->fw_version = TF_RUNTIME_VERSION;
    c->slot_bytes = cfg.slot_size;
    c->boot_counter = 1;
    c->baud = TF_MPS2_BAUD;
    c->seed = hal.cycles(hal.ctx) ^ 0x6D707332u;
    c->has_model = boot.slot != TF_SLOT_NONE;
    c->active_slot = c->has_model ? boot.slot : 0;
    c->model_version = 0;
    if (c->has_model) {
      uint8_t mv[4];
      (void)memcpy(c->model_sha256, st->slot[boot.slot].sha256, sizeof c->model_sha256);
      if (hal.flash.read(hal.flash.ctx, boot.addr + 16u, mv, sizeof mv) == TF_OK) {
        c->model_version = (uint32_t)mv[0] | ((uint32_t)mv[1] << 8) | ((uint32_t)mv[2] << 16) | ((uint32_t)mv[3] << 24);
      }
      c->model = tf_ld_model_flash + boot.addr; /* memory-mapped, used in place */
      c->model_len = boot.length;
    }
    c->arena = g_arena.b;
    c->arena_len = sizeof g_arena.b;
    c->ram = g_ram.b;
    c->ram_len = sizeof g_ram.b;
    c->train_buf = g_train.b;
    c->train_len = sizeof g_train.b;
    c->sample_buf = g_samples.b;
    c->sample_len = sizeof g_samples.b;
  }
  /* OTA (PROTOCOL.md §4.6): the agent owns the model, mapped in place from the PSRAM "flash" */
  acfg.slots = &g_slots;
  acfg.boot = boot;
  acfg.ota_region_addr = TF_MPS2_OTA_ADDR;
  acfg.ota_region_bytes = TF_MPS2_OTA_BYTES;
  acfg.map_slot = map_slot;
  acfg.map_ctx = &g_slots;
  tf_agent_init(&g_agent, &acfg);
  if (g_agent.cfg.has_model) {
    log_model(&hal, &g_agent);
  }
#ifdef TF_MPS2_BENCH
  if (g_agent.model_status == TF_OK) { /* one inference on an all-zero input, timed by SysTick */
    char line[64] = "bench: infer_cycles ";
    tf_interp_t *it = &g_agent.interp;
    uint32_t c0;
    memset(it->input, 0, it->input_bytes);
    c0 = hal.cycles(hal.ctx);
    (void)tf_interp_invoke(it, it->input, it->input_bytes);
    (void)tf_str_append_u32(line, sizeof line, hal.cycles(hal.ctx) - c0);
    hal.log(hal.ctx, line);
    tf_mps2_bench_train(&hal, &g_agent, g_samples.b, sizeof g_samples.b); /* bench_train.c */
  }
#endif
  hal.log(hal.ctx, "ready: device agent on UART0, link frames follow");
  hal.log = NULL; /* the link owns UART0 from here */
  for (;;) {
    (void)tf_agent_step(&g_agent);
  }
}
