/*
 * RAM-backed flash with NOR semantics (tf_hal.h flash contract): erase = 0xFF, program = AND,
 * strict alignment and range checks, optional detection of a unit programmed twice.
 */
#include "tinyfleet/tf_flash_ram.h"

#include <string.h>

static bool is_pow2(uint32_t v) {
  return v != 0 && (v & (v - 1u)) == 0;
}

static tf_status_t check_range(const tf_flash_ram_t *f, uint32_t addr, uint32_t len) {
  if (addr > f->size || len > f->size - addr) {
    return TF_STATUS_OUT_OF_RANGE;
  }
  return TF_OK;
}

static tf_status_t ram_erase(void *ctx, uint32_t addr) {
  tf_flash_ram_t *f = (tf_flash_ram_t *)ctx;
  tf_status_t rc = check_range(f, addr, f->page_size);
  uint32_t unit;

  if (rc != TF_OK) {
    goto out;
  }
  if ((addr & (f->page_size - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  memset(f->mem + addr, 0xFF, f->page_size);
  if (f->written != NULL) {
    for (unit = addr / f->write_align; unit < (addr + f->page_size) / f->write_align; unit++) {
      f->written[unit / 8u] &= (uint8_t) ~(1u << (unit % 8u));
    }
  }
out:
  return rc;
}

static tf_status_t ram_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len) {
  tf_flash_ram_t *f = (tf_flash_ram_t *)ctx;
  tf_status_t rc = check_range(f, addr, len);
  uint32_t i, unit;

  if (rc != TF_OK) {
    goto out;
  }
  if (data == NULL || ((addr | len) & (f->write_align - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (f->written != NULL) {
    for (unit = addr / f->write_align; unit < (addr + len) / f->write_align; unit++) {
      if ((f->written[unit / 8u] & (1u << (unit % 8u))) != 0) {
        rc = TF_STATUS_FLASH_ERROR; /* programmed twice without an erase */
        goto out;
      }
    }
    for (unit = addr / f->write_align; unit < (addr + len) / f->write_align; unit++) {
      f->written[unit / 8u] |= (uint8_t)(1u << (unit % 8u));
    }
  }
  for (i = 0; i < len; i++) {
    f->mem[addr + i] &= data[i]; /* programming can only clear bits */
  }
out:
  return rc;
}

static tf_status_t ram_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len) {
  tf_flash_ram_t *f = (tf_flash_ram_t *)ctx;
  tf_status_t rc = check_range(f, addr, len);

  if (rc == TF_OK && buf == NULL && len > 0) {
    rc = TF_STATUS_BAD_FIELD;
  }
  if (rc == TF_OK && len > 0) {
    memcpy(buf, f->mem + addr, len);
  }
  return rc;
}

tf_status_t tf_flash_ram_init(tf_flash_ram_t *ram, tf_flash_t *flash, uint8_t *mem, uint32_t size,
                              uint32_t page_size, uint32_t write_align, uint8_t *written) {
  tf_status_t rc = TF_OK;

  if (ram == NULL || flash == NULL || mem == NULL || !is_pow2(page_size) || !is_pow2(write_align) ||
      write_align > TF_FLASH_MAX_WRITE_ALIGN || write_align > page_size || size == 0 ||
      (size & (page_size - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  ram->mem = mem;
  ram->written = written;
  ram->size = size;
  ram->page_size = page_size;
  ram->write_align = write_align;
  flash->ctx = ram;
  flash->size = size;
  flash->page_size = page_size;
  flash->write_align = write_align;
  flash->erase = ram_erase;
  flash->program = ram_program;
  flash->read = ram_read;
  tf_flash_ram_rescan(ram);
out:
  return rc;
}

void tf_flash_ram_format(tf_flash_ram_t *ram) {
  memset(ram->mem, 0xFF, ram->size);
  if (ram->written != NULL) {
    memset(ram->written, 0, TF_FLASH_RAM_MAP_BYTES(ram->size, ram->write_align));
  }
}

void tf_flash_ram_rescan(tf_flash_ram_t *ram) {
  uint32_t unit, i;
  bool used;

  if (ram->written == NULL) {
    return;
  }
  memset(ram->written, 0, TF_FLASH_RAM_MAP_BYTES(ram->size, ram->write_align));
  for (unit = 0; unit < ram->size / ram->write_align; unit++) {
    used = false;
    for (i = 0; i < ram->write_align; i++) {
      used = used || ram->mem[unit * ram->write_align + i] != 0xFF;
    }
    if (used) {
      ram->written[unit / 8u] |= (uint8_t)(1u << (unit % 8u));
    }
  }
}
