/*
 * Arm CMSDK APB UART (Cortex-M System Design Kit), polled. On mps2-an386 UART0 is at 0x40004000
 * and QEMU connects it to the first -serial backend. Registers (32-bit):
 *   0x000 DATA     write: byte to send; read: received byte
 *   0x004 STATE    bit 0 TX buffer full, bit 1 RX buffer full (bits 2, 3: overruns, write 1 to clear)
 *   0x008 CTRL     bit 0 TX enable, bit 1 RX enable
 *   0x010 BAUDDIV  PCLK / baud rate, >= 16
 * The receive side holds one byte; QEMU applies back-pressure to its chardev when it is full,
 * so polling from the main loop loses nothing under QEMU. Real hardware at line rate needs the
 * RX interrupt and a ring buffer (left for the link-layer increment).
 */
#ifndef CMSDK_UART_H
#define CMSDK_UART_H

#include <stddef.h>
#include <stdint.h>

void cmsdk_uart_init(uintptr_t base, uint32_t pclk_hz, uint32_t baud);
void cmsdk_uart_write(uintptr_t base, const uint8_t *data, size_t len);
size_t cmsdk_uart_read(uintptr_t base, uint8_t *buf, size_t cap);

#endif /* CMSDK_UART_H */
