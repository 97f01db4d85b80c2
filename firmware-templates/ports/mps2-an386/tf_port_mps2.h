/*
 * mps2-an386 port (QEMU Cortex-M4): HAL over the CMSDK UART0, SysTick milliseconds, model
 * flash emulated in PSRAM with NOR semantics (tf_flash_ram), reset through AIRCR.
 */
#ifndef TF_PORT_MPS2_H
#define TF_PORT_MPS2_H

#include "tinyfleet/tf_hal.h"
#include "tinyfleet/tf_slots.h"

#define TF_MPS2_SYSCLK_HZ 25000000u /* QEMU's SYSCLK_FRQ for MPS2 */
#define TF_MPS2_UART0 0x40004000u
#define TF_MPS2_BAUD 115200u
#define TF_MPS2_FLASH_PAGE 4096u
#define TF_MPS2_FLASH_ALIGN 4u
#define TF_MPS2_SLOT_BYTES (4u * 1024u * 1024u)
/* OTA transfer record (tf_ota.h) after the two state pages: 576 + 1024 blocks x 4 bytes -> 2 pages */
#define TF_MPS2_OTA_ADDR (2u * TF_MPS2_SLOT_BYTES + 2u * TF_MPS2_FLASH_PAGE)
#define TF_MPS2_OTA_BYTES (2u * TF_MPS2_FLASH_PAGE)
#define TF_MPS2_FLASH_BYTES (TF_MPS2_OTA_ADDR + TF_MPS2_OTA_BYTES)

/** Starts UART0, SysTick (1 kHz) and the emulated flash; fills @p hal. */
void tf_port_mps2_init(tf_hal_t *hal);

/** The A/B slot layout in the emulated flash. */
void tf_port_mps2_slots_config(tf_slots_config_t *cfg, const tf_flash_t *flash);

#endif /* TF_PORT_MPS2_H */
