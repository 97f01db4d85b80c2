/* mps2-an386 HAL (tf_port_mps2.h). */
#include "tf_port_mps2.h"

#include "cmsdk_uart.h"
#include "cortex_m.h"

#include "tinyfleet/tf_flash_ram.h"

#include <string.h>

#define TICKS_PER_MS (TF_MPS2_SYSCLK_HZ / 1000u)

void mps2_systick_handler(void);

static volatile uint32_t g_ms;
static tf_flash_ram_t g_flash_ram;

/* Model flash: PSRAM at an address from the linker script, outside .data/.bss, so startup does
 * not touch it and a system reset keeps it. */
extern uint8_t tf_ld_model_flash[];
typedef char tf_mps2_flash_fits_psram[(TF_MPS2_FLASH_BYTES <= 16u * 1024u * 1024u) ? 1 : -1];

void mps2_systick_handler(void) {
  g_ms++;
}

static tf_status_t uart_write(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  cmsdk_uart_write(TF_MPS2_UART0, data, len);
  return TF_OK;
}

static tf_status_t uart_read(void *ctx, uint8_t *buf, size_t cap, size_t *got) {
  (void)ctx;
  *got = cmsdk_uart_read(TF_MPS2_UART0, buf, cap);
  return TF_OK;
}

static uint32_t mps2_millis(void *ctx) {
  (void)ctx;
  return g_ms;
}

/* Cycles from SysTick: whole milliseconds plus the count-down progress in this one. QEMU has
 * no DWT cycle counter; under -icount this is deterministic. */
static uint32_t mps2_cycles(void *ctx) {
  uint32_t ms, cvr;

  (void)ctx;
  do {
    ms = g_ms;
    cvr = CM_SYST_CVR;
  } while (ms != g_ms);
  return ms * TICKS_PER_MS + (TICKS_PER_MS - 1u - cvr);
}

static void mps2_reset(void *ctx) {
  (void)ctx;
  cm_dsb();
  CM_SCB_AIRCR = CM_AIRCR_RESET;
  cm_dsb();
  for (;;) {
  }
}

static void mps2_log(void *ctx, const char *line) {
  (void)ctx;
  cmsdk_uart_write(TF_MPS2_UART0, (const uint8_t *)line, strlen(line));
  cmsdk_uart_write(TF_MPS2_UART0, (const uint8_t *)"\r\n", 2);
}

void tf_port_mps2_init(tf_hal_t *hal) {
  cmsdk_uart_init(TF_MPS2_UART0, TF_MPS2_SYSCLK_HZ, TF_MPS2_BAUD);
  CM_SYST_RVR = TICKS_PER_MS - 1u;
  CM_SYST_CVR = 0;
  CM_SYST_CSR = CM_SYST_CSR_ENABLE | CM_SYST_CSR_TICKINT | CM_SYST_CSR_CLKSOURCE;

  memset(hal, 0, sizeof *hal);
  hal->uart.write = uart_write;
  hal->uart.read = uart_read;
  (void)tf_flash_ram_init(&g_flash_ram, &hal->flash, tf_ld_model_flash, TF_MPS2_FLASH_BYTES, TF_MPS2_FLASH_PAGE,
                          TF_MPS2_FLASH_ALIGN, NULL);
  hal->caps.core = "cortex-m4";
  hal->caps.board = "mps2-an386";
  hal->caps.clock_hz = TF_MPS2_SYSCLK_HZ;
  hal->caps.ram_bytes = 4u * 1024u * 1024u;
  hal->caps.flash_bytes = 4u * 1024u * 1024u;
  hal->millis = mps2_millis;
  hal->cycles = mps2_cycles;
  hal->reset = mps2_reset;
  hal->log = mps2_log;
}

void tf_port_mps2_slots_config(tf_slots_config_t *cfg, const tf_flash_t *flash) {
  memset(cfg, 0, sizeof *cfg);
  cfg->flash = flash;
  cfg->slot_addr[0] = 0;
  cfg->slot_addr[1] = TF_MPS2_SLOT_BYTES;
  cfg->slot_size = TF_MPS2_SLOT_BYTES;
  cfg->state_addr[0] = 2u * TF_MPS2_SLOT_BYTES;
  cfg->state_addr[1] = 2u * TF_MPS2_SLOT_BYTES + TF_MPS2_FLASH_PAGE;
}
