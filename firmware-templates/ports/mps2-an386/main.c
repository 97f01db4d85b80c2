/*
 * TinyFleet on QEMU's mps2-an386 (Cortex-M4):
 *   qemu-system-arm -M mps2-an386 -nographic -kernel tinyfleet-mps2-an386.elf
 * Boots, logs the banner, self test, slot decision and a SysTick check on UART0, then runs the
 * device agent (tf_agent.h: link layer of PROTOCOL.md §3, HELLO / HEARTBEAT / ERROR of §4.2) on
 * UART0. From the "ready" line on, UART0 carries only link frames (no more log lines); the boot
 * lines before it are line noise to the link, which the leading 0x00 of HELLO ends (§3.7.3).
 * The boot counter is not persisted on this board yet (always 1).
 */
#include "tf_port_mps2.h"

#include "tinyfleet/tf_agent.h"
#include "tinyfleet/tf_runtime.h"

#include <string.h>

static tf_slots_t g_slots;
static tf_agent_t g_agent;

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
  hal.log(hal.ctx, "ready: device agent on UART0, link frames follow");
  hal.log = NULL; /* the link owns UART0 from here */
  {
    static const char *const id = "mps2-an386-qemu";
    const tf_slots_state_t *st = tf_slots_state(&g_slots);
    tf_agent_config_t *c = &acfg;
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
    }
  }
  tf_agent_init(&g_agent, &acfg);
  for (;;) {
    (void)tf_agent_step(&g_agent);
  }
}
