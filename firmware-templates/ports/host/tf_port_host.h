/**
 * @file tf_port_host.h
 * @brief Host (POSIX) port: the virtual MCU's HAL.
 *
 * UART: a pseudo-terminal created with posix_openpt/grantpt/unlockpt (the gateway opens its
 * slave path with the real serialport stack), an existing tty path, an inherited fd, or
 * stdin/stdout. Flash: a file with NOR semantics (erase = 0xFF, program = AND), each operation
 * written through with pwrite so a killed process leaves the same bytes a power cut would.
 * Clock: CLOCK_MONOTONIC. Cycles: nanoseconds scaled to the advertised clock. Reset: re-exec
 * the binary, keeping the UART file descriptor (the pty survives; RAM state does not).
 */
#ifndef TF_PORT_HOST_H
#define TF_PORT_HOST_H

#include "tinyfleet/tf_hal.h"

#include <stddef.h>
#include <stdint.h>

/** UART over file descriptors. */
typedef struct tf_host_uart {
  int in_fd;
  int out_fd;
  int owns_fds; /**< close on tf_host_uart_close() */
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

/** Waits up to @p timeout_ms for input on the UART (0: poll). */
void tf_host_uart_wait(const tf_host_uart_t *u, int timeout_ms);

/** Flash in a file. */
typedef struct tf_host_flash {
  int fd;
  uint32_t size;
  uint32_t page_size;
  uint32_t write_align;
} tf_host_flash_t;

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
