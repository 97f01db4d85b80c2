/*
 * TinyFleet on QEMU's mps2-an386 (Cortex-M4):
 *   qemu-system-arm -M mps2-an386 -nographic -kernel tinyfleet-mps2-an386.elf
 * Boots, logs the banner, self test, slot decision and a SysTick check on UART0, then echoes
 * UART0 input (the device agent replaces the echo loop later).
 */
#include "tf_port_mps2.h"

#include "tinyfleet/tf_runtime.h"

static tf_slots_t g_slots;

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
  uint8_t buf[64];
  size_t got = 0;

  tf_port_mps2_init(&hal);
  tf_port_mps2_slots_config(&cfg, &hal.flash);
  if (tf_runtime_start(&hal, &g_slots, &cfg, &boot) != TF_OK) {
    hal.log(hal.ctx, "halted");
    for (;;) {
    }
  }
  check_clock(&hal);
  hal.log(hal.ctx, "ready: echo mode (the device agent is not built yet)");
  for (;;) {
    if (hal.uart.read(hal.uart.ctx, buf, sizeof buf, &got) == TF_OK && got > 0) {
      (void)hal.uart.write(hal.uart.ctx, buf, got);
    }
  }
}
