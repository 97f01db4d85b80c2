/*
 * TEMPLATE, NOT RUN HERE: TinyFleet on an nRF52840 board. Flash the .hex/.bin with your
 * programmer (nrfjprog, pyOCD, J-Link); the log and link share UART0 (the DK's USB serial).
 * Boots, logs the banner, self test and slot decision, then echoes UART0 input.
 */
#include "tf_port_nrf52840.h"

#include "tinyfleet/tf_runtime.h"

static tf_slots_t g_slots;

int main(void) {
  tf_hal_t hal;
  tf_slots_config_t cfg;
  tf_slots_boot_result_t boot;
  uint8_t buf[64];
  size_t got = 0;

  tf_port_nrf52840_init(&hal);
  tf_port_nrf52840_slots_config(&cfg, &hal.flash);
  if (tf_runtime_start(&hal, &g_slots, &cfg, &boot) != TF_OK) {
    hal.log(hal.ctx, "halted");
    for (;;) {
    }
  }
  hal.log(hal.ctx, "ready: echo mode (the device agent is not built yet)");
  for (;;) {
    if (hal.uart.read(hal.uart.ctx, buf, sizeof buf, &got) == TF_OK && got > 0) {
      (void)hal.uart.write(hal.uart.ctx, buf, got);
    }
  }
}
