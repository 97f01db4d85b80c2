/*
 * TEMPLATE, NOT RUN HERE: nRF52840 HAL (tf_port_nrf52840.h). Register offsets from the nRF52840
 * Product Specification (CLOCK, GPIO P0, UART0, NVMC chapters). The CPU stalls while the NVMC
 * erases or writes, so running from flash during those operations is allowed on this part.
 */
#include "tf_port_nrf52840.h"

#include "cortex_m.h"

#include <string.h>

#define REG(addr) (*(volatile uint32_t *)(addr))

/* CLOCK */
#define CLOCK_TASKS_HFCLKSTART REG(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(0x40000100u)
/* GPIO P0 */
#define P0_OUTSET REG(0x50000508u)
#define P0_PIN_CNF(n) REG(0x50000700u + 4u * (n))
/* UART0 (legacy, no EasyDMA) */
#define UART0_TASKS_STARTRX REG(0x40002000u)
#define UART0_TASKS_STARTTX REG(0x40002008u)
#define UART0_EVENTS_RXDRDY REG(0x40002108u)
#define UART0_EVENTS_TXDRDY REG(0x4000211Cu)
#define UART0_ENABLE REG(0x40002500u)
#define UART0_PSEL_TXD REG(0x4000250Cu)
#define UART0_PSEL_RXD REG(0x40002514u)
#define UART0_RXD REG(0x40002518u)
#define UART0_TXD REG(0x4000251Cu)
#define UART0_BAUDRATE REG(0x40002524u)
#define UART0_CONFIG REG(0x4000256Cu)
#define UART_ENABLE_ENABLED 4u
#define UART_BAUD_115200 0x01D7E000u
/* NVMC */
#define NVMC_READY REG(0x4001E400u)
#define NVMC_CONFIG REG(0x4001E504u)
#define NVMC_ERASEPAGE REG(0x4001E508u)
#define NVMC_CONFIG_REN 0u
#define NVMC_CONFIG_WEN 1u
#define NVMC_CONFIG_EEN 2u

#define TICKS_PER_MS (TF_NRF_CORE_HZ / 1000u)

void nrf52840_systick_handler(void);

static volatile uint32_t g_ms;

void nrf52840_systick_handler(void) {
  g_ms++;
}

/* ---- UART0 ---- */

static tf_status_t uart_write(void *ctx, const uint8_t *data, size_t len) {
  size_t i;

  (void)ctx;
  for (i = 0; i < len; i++) {
    UART0_EVENTS_TXDRDY = 0;
    UART0_TXD = data[i];
    while (UART0_EVENTS_TXDRDY == 0) {
    }
  }
  return TF_OK;
}

static tf_status_t uart_read(void *ctx, uint8_t *buf, size_t cap, size_t *got) {
  size_t n = 0;

  (void)ctx;
  while (n < cap && UART0_EVENTS_RXDRDY != 0) {
    UART0_EVENTS_RXDRDY = 0;
    buf[n++] = (uint8_t)UART0_RXD;
  }
  *got = n;
  return TF_OK;
}

/* ---- NVMC flash: offsets relative to TF_NRF_SLOTS_BASE ---- */

static void nvmc_wait(void) {
  while (NVMC_READY == 0) {
  }
}

static tf_status_t flash_erase(void *ctx, uint32_t addr) {
  (void)ctx;
  if (addr >= TF_NRF_FLASH_BYTES) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  if ((addr & (TF_NRF_FLASH_PAGE - 1u)) != 0) {
    return TF_STATUS_BAD_FIELD;
  }
  NVMC_CONFIG = NVMC_CONFIG_EEN;
  nvmc_wait();
  NVMC_ERASEPAGE = TF_NRF_SLOTS_BASE + addr;
  nvmc_wait();
  NVMC_CONFIG = NVMC_CONFIG_REN;
  nvmc_wait();
  return TF_OK;
}

static tf_status_t flash_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len) {
  uint32_t i, word;

  (void)ctx;
  if (addr > TF_NRF_FLASH_BYTES || len > TF_NRF_FLASH_BYTES - addr) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  if (((addr | len) & 3u) != 0) {
    return TF_STATUS_BAD_FIELD;
  }
  NVMC_CONFIG = NVMC_CONFIG_WEN;
  nvmc_wait();
  for (i = 0; i < len; i += 4u) {
    memcpy(&word, data + i, 4); /* data may be unaligned; flash words are little-endian */
    REG(TF_NRF_SLOTS_BASE + addr + i) = word;
    nvmc_wait();
  }
  NVMC_CONFIG = NVMC_CONFIG_REN;
  nvmc_wait();
  return TF_OK;
}

static tf_status_t flash_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len) {
  (void)ctx;
  if (addr > TF_NRF_FLASH_BYTES || len > TF_NRF_FLASH_BYTES - addr) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  memcpy(buf, (const void *)(uintptr_t)(TF_NRF_SLOTS_BASE + addr), len); /* memory-mapped */
  return TF_OK;
}

/* ---- clock, cycles, reset, log ---- */

static uint32_t nrf_millis(void *ctx) {
  (void)ctx;
  return g_ms;
}

static uint32_t nrf_cycles(void *ctx) {
  (void)ctx;
  return CM_DWT_CYCCNT;
}

static void nrf_reset(void *ctx) {
  (void)ctx;
  cm_dsb();
  CM_SCB_AIRCR = CM_AIRCR_RESET;
  cm_dsb();
  for (;;) {
  }
}

static void nrf_log(void *ctx, const char *line) {
  (void)uart_write(ctx, (const uint8_t *)line, strlen(line));
  (void)uart_write(ctx, (const uint8_t *)"\r\n", 2);
}

void tf_port_nrf52840_init(tf_hal_t *hal) {
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  while (CLOCK_EVENTS_HFCLKSTARTED == 0) {
  }
  P0_OUTSET = 1u << TF_NRF_PIN_TXD;
  P0_PIN_CNF(TF_NRF_PIN_TXD) = 1u; /* output */
  P0_PIN_CNF(TF_NRF_PIN_RXD) = 0u; /* input, buffer connected */
  UART0_PSEL_TXD = TF_NRF_PIN_TXD;
  UART0_PSEL_RXD = TF_NRF_PIN_RXD;
  UART0_BAUDRATE = UART_BAUD_115200;
  UART0_CONFIG = 0; /* no flow control, no parity */
  UART0_ENABLE = UART_ENABLE_ENABLED;
  UART0_TASKS_STARTTX = 1;
  UART0_TASKS_STARTRX = 1;

  CM_SYST_RVR = TICKS_PER_MS - 1u;
  CM_SYST_CVR = 0;
  CM_SYST_CSR = CM_SYST_CSR_ENABLE | CM_SYST_CSR_TICKINT | CM_SYST_CSR_CLKSOURCE;
  CM_DEMCR |= 1u << 24; /* TRCENA */
  CM_DWT_CYCCNT = 0;
  CM_DWT_CTRL |= 1u; /* CYCCNTENA */

  memset(hal, 0, sizeof *hal);
  hal->uart.write = uart_write;
  hal->uart.read = uart_read;
  hal->flash.size = TF_NRF_FLASH_BYTES;
  hal->flash.page_size = TF_NRF_FLASH_PAGE;
  hal->flash.write_align = 4u;
  hal->flash.erase = flash_erase;
  hal->flash.program = flash_program;
  hal->flash.read = flash_read;
  hal->caps.core = "cortex-m4";
  hal->caps.board = "nrf52840";
  hal->caps.clock_hz = TF_NRF_CORE_HZ;
  hal->caps.ram_bytes = 256u * 1024u;
  hal->caps.flash_bytes = 1024u * 1024u;
  hal->millis = nrf_millis;
  hal->cycles = nrf_cycles;
  hal->reset = nrf_reset;
  hal->log = nrf_log;
}

void tf_port_nrf52840_slots_config(tf_slots_config_t *cfg, const tf_flash_t *flash) {
  memset(cfg, 0, sizeof *cfg);
  cfg->flash = flash;
  cfg->slot_addr[0] = 0;
  cfg->slot_addr[1] = TF_NRF_SLOT_BYTES;
  cfg->slot_size = TF_NRF_SLOT_BYTES;
  cfg->state_addr[0] = 2u * TF_NRF_SLOT_BYTES;
  cfg->state_addr[1] = 2u * TF_NRF_SLOT_BYTES + TF_NRF_FLASH_PAGE;
}
