/**
 * @file tf_port_host.h
 * @brief Host (POSIX) port: the virtual MCU's HAL.
 *
 * UART: a pseudo-terminal created with posix_openpt/grantpt/unlockpt (the gateway opens its
 * slave path with the real serialport stack), an existing tty path, an inherited fd, or
 * stdin/stdout. With a baud rate set (tf_host_uart_set_baud), both directions are paced like a UART
 * at that rate, 8N1, on CLOCK_MONOTONIC (tf_uart_pace.h); without one the pty runs unthrottled.
 * Flash: a file with NOR semantics (erase = 0xFF, program = AND), each operation written through
 * with pwrite so a killed process leaves the same bytes a power cut would.
 * Clock: CLOCK_MONOTONIC. Cycles: nanoseconds scaled to the advertised clock. Reset: re-exec
 * the binary, keeping the UART file descriptor (the pty survives; RAM state does not).
 */
#ifndef TF_PORT_HOST_H
#define TF_PORT_HOST_H

#include "tf_uart_pace.h"
#include "tinyfleet/tf_hal.h"

#include <stddef.h>
#include <stdint.h>

/** Bytes one read(2) takes from the descriptor at most; the device takes them from there in pieces. */
#define TF_HOST_UART_RX_STAGE 2048u

/** UART over file descriptors. */
typedef struct tf_host_uart {
  int in_fd;
  int out_fd;
  int owns_fds; /**< close on tf_host_uart_close() */
  tf_uart_pace_t rx, tx; /**< line-rate pacing of each direction (baud 0: none) */
  /** Received bytes read from the descriptor, not yet taken by the device (like a UART's DMA ring):
   * one system call brings a whole paced chunk, however small the device's reads are. */
  uint8_t rx_stage[TF_HOST_UART_RX_STAGE];
  size_t rx_pos, rx_len;
} tf_host_uart_t;

/** Opens a new pseudo-terminal in raw mode; its slave path goes to @p path (capacity @p cap). */
tf_status_t tf_host_uart_open_pty(tf_host_uart_t *u, char *path, size_t cap);

/** Opens an existing tty or pty slave at @p path, raw mode. */
tf_status_t tf_host_uart_open_path(tf_host_uart_t *u, const char *path);

/** Uses an already open, inherited descriptor for both directions. */
tf_status_t tf_host_uart_open_fd(tf_host_uart_t *u, int fd);

/** Uses stdin/stdout. */
tf_status_t tf_host_uart_open_stdio(tf_host_uart_t *u);

void tf_host_uart_close(tf_host_uart_t *u);

/**
 * Paces both directions at @p baud bit/s, 10 bits per byte (8N1): the device reads the peer's bytes
 * no faster than a UART at that rate delivers them, and its writes reach the peer no earlier than
 * they would leave such a UART (tf_uart_pace.h). 0: unthrottled (the default).
 */
void tf_host_uart_set_baud(tf_host_uart_t *u, uint32_t baud);

/**
 * Waits up to @p timeout_ms for input on the UART (0: poll). When paced and bytes wait, sleeps until
 * the line has delivered a chunk of them (or the timeout), rather than returning at once.
 */
void tf_host_uart_wait(tf_host_uart_t *u, int timeout_ms);

/** The HAL's uart.write and uart.read (tf_hal.h) on a tf_host_uart_t context. */
tf_status_t tf_host_uart_write(void *ctx, const uint8_t *data, size_t len);
tf_status_t tf_host_uart_read(void *ctx, uint8_t *buf, size_t cap, size_t *got);

/** Flash in a file. */
typedef struct tf_host_flash {
  int fd;
  uint32_t size;
  uint32_t page_size;
  uint32_t write_align;
  uint32_t ops;      /**< erase and program operations counted since tf_host_flash_power_cut_at() */
  uint32_t cut_at;   /**< 0: never; else the operation at which power is cut */
} tf_host_flash_t;

/**
 * Fault injection (tests): the @p n-th erase or program from now on is torn, half of its bytes
 * written, and the process then ends at once with exit status 75, like a power cut (the flash file
 * keeps exactly what was written; nothing is flushed or cleaned up). 0 disarms. A line naming the
 * operation goes to stderr first.
 */
void tf_host_flash_power_cut_at(tf_host_flash_t *f, uint32_t n);

/**
 * Opens (or creates, erased) the flash file @p path of @p size bytes. An existing file of another
 * size is refused (TF_STATUS_BAD_FIELD) rather than silently reshaped.
 */
tf_status_t tf_host_flash_open(tf_host_flash_t *f, tf_flash_t *flash, const char *path, uint32_t size,
                               uint32_t page_size, uint32_t write_align);

void tf_host_flash_close(tf_host_flash_t *f);

/** Host state behind the clock/reset functions of the HAL. */
typedef struct tf_host_port {
  tf_host_uart_t uart;
  tf_host_flash_t flash;
  char *const *argv; /**< original argv, for reset (re-exec) */
  int argc;
} tf_host_port_t;

/**
 * Fills @p hal from an opened @p port (uart and flash already open) and @p caps.
 * @p log_fd receives log lines (usually 2), or -1 for none.
 */
void tf_host_hal_init(tf_hal_t *hal, tf_host_port_t *port, tf_flash_t *flash, const tf_device_caps_t *caps,
                      int log_fd);

#endif /* TF_PORT_HOST_H */
