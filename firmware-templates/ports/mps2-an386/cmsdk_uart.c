/* Arm CMSDK APB UART, polled (cmsdk_uart.h). */
#include "cmsdk_uart.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define UART_DATA 0x000u
#define UART_STATE 0x004u
#define UART_CTRL 0x008u
#define UART_BAUDDIV 0x010u
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define STATE_OVERRUNS 0xCu
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u

void cmsdk_uart_init(uintptr_t base, uint32_t pclk_hz, uint32_t baud) {
  uint32_t div = pclk_hz / baud;

  REG(base, UART_CTRL) = 0;
  REG(base, UART_BAUDDIV) = div < 16u ? 16u : div;
  REG(base, UART_STATE) = STATE_OVERRUNS;
  REG(base, UART_CTRL) = CTRL_TX_EN | CTRL_RX_EN;
}

void cmsdk_uart_write(uintptr_t base, const uint8_t *data, size_t len) {
  size_t i;

  for (i = 0; i < len; i++) {
    while ((REG(base, UART_STATE) & STATE_TX_FULL) != 0) {
    }
    REG(base, UART_DATA) = data[i];
  }
}

size_t cmsdk_uart_read(uintptr_t base, uint8_t *buf, size_t cap) {
  size_t n = 0;

  while (n < cap && (REG(base, UART_STATE) & STATE_RX_FULL) != 0) {
    buf[n++] = (uint8_t)REG(base, UART_DATA);
  }
  return n;
}
