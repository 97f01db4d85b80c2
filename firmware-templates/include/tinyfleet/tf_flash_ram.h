/**
 * @file tf_flash_ram.h
 * @brief A tf_flash_t over a caller-owned RAM array, with real flash semantics.
 *
 * Used by the mps2-an386 port (the QEMU board has no flash controller; its PSRAM stands in)
 * and by the host tests. Erase sets a page to 0xFF; program ANDs (can only clear bits); the
 * flash contract of tf_hal.h is checked strictly: misaligned or out-of-range accesses fail,
 * and with `strict_once` a program unit written twice without an erase in between fails with
 * TF_STATUS_FLASH_ERROR (as on ECC flash), which the tests use to prove the core never does it.
 * Tracking that needs one bit per write unit in the caller-owned @p written map.
 */
#ifndef TF_FLASH_RAM_H
#define TF_FLASH_RAM_H

#include "tinyfleet/tf_hal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Bytes of the written map for @p size bytes of flash and @p write_align. */
#define TF_FLASH_RAM_MAP_BYTES(size, write_align) (((size) / (write_align) + 7u) / 8u)

/** State of one RAM flash; fields are private. */
typedef struct tf_flash_ram {
  uint8_t *mem;
  uint8_t *written; /**< NULL: no double-program check */
  uint32_t size;
  uint32_t page_size;
  uint32_t write_align;
} tf_flash_ram_t;

/**
 * Initialises @p ram over @p mem (@p size bytes) and fills @p flash with its operations.
 * @p written is NULL or TF_FLASH_RAM_MAP_BYTES(size, write_align) bytes for the double-program
 * check. The contents of @p mem are kept (so a "reboot" re-initialises over the same bytes);
 * call tf_flash_ram_format() for a fresh, erased device.
 * @return TF_OK or TF_STATUS_BAD_FIELD (sizes not powers of two / not multiples).
 */
tf_status_t tf_flash_ram_init(tf_flash_ram_t *ram, tf_flash_t *flash, uint8_t *mem, uint32_t size,
                              uint32_t page_size, uint32_t write_align, uint8_t *written);

/** Erases everything (all 0xFF) and clears the written map. */
void tf_flash_ram_format(tf_flash_ram_t *ram);

/**
 * Recomputes the written map from the contents (a unit counts as written when any byte is not
 * 0xFF), e.g. after a simulated reboot over memory with unknown history.
 */
void tf_flash_ram_rescan(tf_flash_ram_t *ram);

#endif /* TF_FLASH_RAM_H */
