/* Shared fixture for the slot tests: a small strict RAM flash and model images. */
#ifndef SLOTS_FIXTURE_H
#define SLOTS_FIXTURE_H

#include "tinyfleet/tf_flash_ram.h"
#include "tinyfleet/tf_slots.h"

#define FX_PAGE 256u
#define FX_ALIGN 8u
#define FX_SLOT_SIZE (16u * FX_PAGE)
#define FX_FLASH_SIZE (2u * FX_SLOT_SIZE + 2u * FX_PAGE)
#define FX_BLOCK 512u

typedef struct fx_model {
  uint8_t bytes[FX_SLOT_SIZE];
  uint32_t len;
  uint8_t sha[TF_SHA256_DIGEST_BYTES];
} fx_model_t;

extern uint8_t fx_mem[FX_FLASH_SIZE];
extern uint8_t fx_map[TF_FLASH_RAM_MAP_BYTES(FX_FLASH_SIZE, FX_ALIGN)];
extern tf_flash_ram_t fx_ram;
extern tf_flash_t fx_flash;

/* Initialises the RAM flash over fx_mem (format: erase everything first). */
void fx_flash_init(int format);

/* Slot layout over `flash` (slots first, then the two state pages). */
void fx_config(tf_slots_config_t *cfg, const tf_flash_t *flash);

/* Deterministic pseudo-random model of `len` bytes. */
void fx_model_make(fx_model_t *m, uint32_t len, uint32_t seed);

/* begin + write in FX_BLOCK blocks + finish; returns the first error. */
tf_status_t fx_install(tf_slots_t *s, const fx_model_t *m, uint8_t *slot);

/* True if the flash bytes of `slot` equal the model. */
int fx_slot_holds(const tf_slots_t *s, uint8_t slot, const fx_model_t *m);

#endif /* SLOTS_FIXTURE_H */
