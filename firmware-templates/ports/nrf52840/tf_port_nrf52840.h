/*
 * TEMPLATE, NOT RUN HERE: nRF52840 port. Compiles in CI (arm-none-eabi) but has never run on a
 * board in this repository; treat it as a starting point and check it against the nRF52840
 * Product Specification.
 *
 * UART: the legacy UART0 peripheral (0x40002000, polled, 115200 8N1) on the DK's interface MCU
 *       pins P0.06 (TXD) and P0.08 (RXD).
 * Flash: the NVMC (0x4001E000), 4 KiB pages, 32-bit word writes; model slots from 0x40000.
 * Clock: HFXO started for an accurate UART; SysTick at 1 kHz from the 64 MHz core clock.
 * Cycles: DWT CYCCNT.
 */
#ifndef TF_PORT_NRF52840_H
#define TF_PORT_NRF52840_H

#include "tinyfleet/tf_hal.h"
#include "tinyfleet/tf_slots.h"

#define TF_NRF_CORE_HZ 64000000u
#define TF_NRF_FLASH_PAGE 4096u
#define TF_NRF_SLOTS_BASE 0x00040000u  /* absolute address of flash offset 0 */
#define TF_NRF_SLOT_BYTES 0x0005E000u  /* 376 KiB each */
#define TF_NRF_FLASH_BYTES (2u * TF_NRF_SLOT_BYTES + 2u * TF_NRF_FLASH_PAGE)
#define TF_NRF_PIN_TXD 6u
#define TF_NRF_PIN_RXD 8u

void tf_port_nrf52840_init(tf_hal_t *hal);
void tf_port_nrf52840_slots_config(tf_slots_config_t *cfg, const tf_flash_t *flash);

#endif /* TF_PORT_NRF52840_H */
