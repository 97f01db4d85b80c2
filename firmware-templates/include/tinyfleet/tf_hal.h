/**
 * @file tf_hal.h
 * @brief The hardware abstraction: everything the portable core needs from a port.
 *
 * A port fills one tf_hal_t (a struct of function pointers plus a context pointer for each
 * group) and passes it to the core; the core never includes a vendor header. Ports in this
 * tree: ports/host (the virtual MCU), ports/mps2-an386 (QEMU Cortex-M4), ports/nrf52840
 * (template for a real board).
 *
 * Threading: the core calls the HAL from one thread of execution (the main loop). A port may
 * fill its UART receive buffer from an interrupt; it is then responsible for the locking
 * between that interrupt and uart.read().
 */
#ifndef TF_HAL_H
#define TF_HAL_H

#include "tinyfleet/tf_status.h"

#include <stddef.h>
#include <stdint.h>

/** Largest flash programming granularity the core supports (bytes). */
#define TF_FLASH_MAX_WRITE_ALIGN 32u

/**
 * Serial port carrying the link (PROTOCOL.md §3).
 * write: queues or sends all @p len bytes; may block until they are accepted by the hardware;
 *        returns TF_OK or TF_STATUS_LINK_DOWN.
 * read:  non-blocking; copies up to @p cap bytes that have already arrived into @p buf and
 *        sets @p got (0 when nothing is pending); returns TF_OK or TF_STATUS_LINK_DOWN.
 */
typedef struct tf_hal_uart {
  void *ctx;
  tf_status_t (*write)(void *ctx, const uint8_t *data, size_t len);
  tf_status_t (*read)(void *ctx, uint8_t *buf, size_t cap, size_t *got);
} tf_hal_uart_t;

/**
 * NOR-flash-like storage for the model slots, addressed from 0 to size-1.
 *
 * Semantics every implementation provides (the host and RAM twins enforce them):
 *  - erase(addr): addr is page aligned; sets the whole page to 0xFF.
 *  - program(addr, data, len): addr and len are multiples of write_align; can only clear
 *    bits (the result is old & data). The core programs each write_align unit at most once
 *    between erases, so flash with ECC words (STM32H7: 32 bytes) works unchanged.
 *  - read(addr, buf, len): any alignment.
 *  - all return TF_OK, TF_STATUS_OUT_OF_RANGE (outside [0, size)), TF_STATUS_BAD_FIELD
 *    (misaligned) or TF_STATUS_FLASH_ERROR (the device failed). After a power cut during erase or
 *    program the affected page/range holds unspecified bits; the core copes (tf_slots.h).
 */
typedef struct tf_flash {
  void *ctx;
  uint32_t size;        /**< total bytes, a multiple of page_size */
  uint32_t page_size;   /**< erase unit in bytes, a power of two */
  uint32_t write_align; /**< program unit in bytes, a power of two <= TF_FLASH_MAX_WRITE_ALIGN */
  tf_status_t (*erase)(void *ctx, uint32_t addr);
  tf_status_t (*program)(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len);
  tf_status_t (*read)(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len);
} tf_flash_t;

/** What this device is, for the HELLO message (PROTOCOL.md §4). Strings are static. */
typedef struct tf_device_caps {
  const char *core;     /**< CPU core, e.g. "cortex-m4" */
  const char *board;    /**< port/board name, e.g. "mps2-an386" */
  uint32_t clock_hz;    /**< core clock */
  uint32_t ram_bytes;   /**< RAM available to the runtime */
  uint32_t flash_bytes; /**< flash of the part (not only the model slots) */
} tf_device_caps_t;

/** The complete HAL. Optional members may be NULL where noted. */
typedef struct tf_hal {
  tf_hal_uart_t uart;
  tf_flash_t flash;
  tf_device_caps_t caps;
  void *ctx; /**< context for the functions below */
  /** Monotonic milliseconds since start; wraps at 2^32 (compare with unsigned subtraction). */
  uint32_t (*millis)(void *ctx);
  /** Optional: free-running cycle counter (DWT CYCCNT or equivalent) for benchmarks. */
  uint32_t (*cycles)(void *ctx);
  /** Restarts the device: RAM state is lost, flash is kept. Does not return on hardware. */
  void (*reset)(void *ctx);
  /** Optional: one line of human-readable diagnostics (no newline), e.g. a debug UART. */
  void (*log)(void *ctx, const char *line);
} tf_hal_t;

#endif /* TF_HAL_H */
