/* Shared fixture for the slot tests (slots_fixture.h). */
#include "slots_fixture.h"

#include "tinyfleet/tf_sha256.h"

#include <string.h>

uint8_t fx_mem[FX_FLASH_SIZE];
uint8_t fx_map[TF_FLASH_RAM_MAP_BYTES(FX_FLASH_SIZE, FX_ALIGN)];
tf_flash_ram_t fx_ram;
tf_flash_t fx_flash;

void fx_flash_init(int format) {
  (void)tf_flash_ram_init(&fx_ram, &fx_flash, fx_mem, FX_FLASH_SIZE, FX_PAGE, FX_ALIGN, fx_map);
  if (format) {
    tf_flash_ram_format(&fx_ram);
  }
}

void fx_config(tf_slots_config_t *cfg, const tf_flash_t *flash) {
  memset(cfg, 0, sizeof *cfg);
  cfg->flash = flash;
  cfg->slot_addr[0] = 0;
  cfg->slot_addr[1] = FX_SLOT_SIZE;
  cfg->slot_size = FX_SLOT_SIZE;
  cfg->state_addr[0] = 2u * FX_SLOT_SIZE;
  cfg->state_addr[1] = 2u * FX_SLOT_SIZE + FX_PAGE;
}

void fx_model_make(fx_model_t *m, uint32_t len, uint32_t seed) {
  uint32_t i;

  m->len = len;
  for (i = 0; i < len; i++) {
    seed = seed * 1664525u + 1013904223u;
    m->bytes[i] = (uint8_t)(seed >> 24);
  }
  tf_sha256(m->bytes, len, m->sha);
}

tf_status_t fx_install(tf_slots_t *s, const fx_model_t *m, uint8_t *slot) {
  tf_status_t rc;
  uint32_t off, n;

  rc = tf_slots_begin_update(s, m->len, slot);
  for (off = 0; rc == TF_OK && off < m->len; off += n) {
    n = m->len - off < FX_BLOCK ? m->len - off : FX_BLOCK;
    rc = tf_slots_write(s, off, m->bytes + off, n);
  }
  if (rc == TF_OK) {
    rc = tf_slots_finish(s, m->len, m->sha);
  }
  return rc;
}

int fx_slot_holds(const tf_slots_t *s, uint8_t slot, const fx_model_t *m) {
  uint8_t buf[FX_BLOCK];
  uint32_t off, n;
  const tf_flash_t *fl = s->cfg.flash;

  if (slot > 1u) {
    return 0;
  }
  for (off = 0; off < m->len; off += n) {
    n = m->len - off < FX_BLOCK ? m->len - off : FX_BLOCK;
    if (fl->read(fl->ctx, s->cfg.slot_addr[slot] + off, buf, n) != TF_OK || memcmp(buf, m->bytes + off, n) != 0) {
      return 0;
    }
  }
  return 1;
}
