/* OTA on the device hop, PROTOCOL.md §4.6 (tf_ota.h): state machine of §4.6.1 over tf_slots with a
 * persisted transfer record (header, append-only state log, one mark per block). */
#include "tinyfleet/tf_ota.h"

#include "tinyfleet/tf_crc32.h"

#include <string.h>

#define OTA_MAGIC 0x544F4654u /* "TFOT" */
#define HDR_BYTES 64u
#define LOG_OFFSET 64u
#define LOG_ENTRY TF_FLASH_MAX_WRITE_ALIGN /* a multiple of every write_align */
#define LOG_TAG 0x5Au

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static const tf_flash_t *fl(const tf_ota_t *o) {
  return o->cfg.slots->cfg.flash;
}

static uint32_t blocks_for(uint32_t bytes) {
  return (bytes + TF_OTA_BLOCK_BYTES - 1u) / TF_OTA_BLOCK_BYTES;
}

uint32_t tf_ota_region_bytes(uint32_t slot_size, uint32_t write_align, uint32_t page_size) {
  uint32_t n = TF_OTA_MARKS_OFFSET + blocks_for(slot_size) * write_align;

  return page_size == 0 ? n : (n + page_size - 1u) / page_size * page_size;
}

static uint32_t mark_addr(const tf_ota_t *o, uint32_t i) {
  return o->cfg.region_addr + TF_OTA_MARKS_OFFSET + i * fl(o)->write_align;
}

static bool have_bit(const tf_ota_t *o, uint32_t i) {
  return (o->have[i / 8u] >> (i % 8u)) & 1u;
}

/* Appends one state log entry (the persisted state of §4.6.1), then takes the state in RAM. */
static tf_status_t set_state(tf_ota_t *o, uint8_t st, uint16_t err) {
  uint8_t e[LOG_ENTRY];
  tf_status_t rc = TF_OK;

  if (o->log_next >= TF_OTA_LOG_ENTRIES) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  memset(e, 0xFF, sizeof e);
  e[0] = st;
  e[1] = (uint8_t)err;
  e[2] = (uint8_t)(err >> 8);
  e[3] = LOG_TAG;
  put_le32(e + 4, tf_crc32(e, 4));
  rc = fl(o)->program(fl(o)->ctx, o->cfg.region_addr + LOG_OFFSET + o->log_next * LOG_ENTRY, e, LOG_ENTRY);
  o->log_next++; /* used even when torn */
  if (rc != TF_OK) {
    rc = TF_STATUS_FLASH_ERROR;
    goto out;
  }
  o->state = st;
  o->err = err;
  if (st != TF_OTA_STATE_RECEIVING) { /* §4.6.1: the bitmap only matters while receiving */
    memset(o->have, 0, sizeof o->have);
    o->have_count = 0;
  }
out:
  return rc;
}

static bool all_ff(const uint8_t *p, uint32_t n) {
  uint32_t i;

  for (i = 0; i < n; i++) {
    if (p[i] != 0xFFu) {
      return false;
    }
  }
  return true;
}

/* Reads header, log and marks; leaves state IDLE when there is no valid header. */
static tf_status_t load_record(tf_ota_t *o) {
  const tf_flash_t *f = fl(o);
  uint8_t h[HDR_BYTES];
  uint8_t e[LOG_ENTRY];
  uint8_t mark[TF_FLASH_MAX_WRITE_ALIGN];
  uint32_t i;
  tf_status_t rc = f->read(f->ctx, o->cfg.region_addr, h, sizeof h);

  if (rc != TF_OK) {
    return TF_STATUS_FLASH_ERROR;
  }
  if (get_le32(h) != OTA_MAGIC || get_le32(h + 60) != tf_crc32(h, 60)) {
    return TF_OK; /* erased, or a header torn by a power cut: no transfer */
  }
  memcpy(o->sha, h + 4, 32);
  o->size = get_le32(h + 36);
  o->nb = get_le32(h + 40);
  o->mver = get_le32(h + 44);
  memcpy(o->kid, h + 48, 8);
  o->pslot = h[56];
  if (o->size == 0 || o->size > o->cfg.slots->cfg.slot_size || o->nb != blocks_for(o->size) || o->pslot > 1u) {
    return TF_OK;
  }
  o->state = TF_OTA_STATE_RECEIVING;
  for (i = 0; i < TF_OTA_LOG_ENTRIES; i++) {
    if (f->read(f->ctx, o->cfg.region_addr + LOG_OFFSET + i * LOG_ENTRY, e, sizeof e) != TF_OK) {
      return TF_STATUS_FLASH_ERROR;
    }
    if (all_ff(e, sizeof e)) {
      continue;
    }
    o->log_next = i + 1u; /* torn entries are skipped but stay used */
    if (e[3] == LOG_TAG && get_le32(e + 4) == tf_crc32(e, 4) && e[0] <= TF_OTA_STATE_FAILED) {
      o->state = e[0];
      o->err = (uint16_t)(e[1] | (e[2] << 8));
    }
  }
  if (o->state == TF_OTA_STATE_RECEIVING) {
    for (i = 0; i < o->nb; i++) {
      if (f->read(f->ctx, mark_addr(o, i), mark, f->write_align) != TF_OK) {
        return TF_STATUS_FLASH_ERROR;
      }
      if (!all_ff(mark, f->write_align)) { /* programming began only after the block was durable */
        o->have[i / 8u] |= (uint8_t)(1u << (i % 8u));
        o->have_count++;
      }
    }
  }
  return TF_OK;
}

/* Loads the model the slots now run (after a revert), through the port hook. */
static void load_running(tf_ota_t *o) {
  tf_slots_t *s = o->cfg.slots;
  tf_slots_boot_result_t b;

  if (tf_slots_boot(s, &b) == TF_OK && b.slot != TF_SLOT_NONE && o->cfg.hooks.load != NULL) {
    (void)o->cfg.hooks.load(o->cfg.hooks.ctx, b.slot, b.length, NULL);
  }
}

tf_status_t tf_ota_open(tf_ota_t *o, const tf_ota_config_t *cfg, tf_slots_boot_result_t *boot) {
  tf_slots_t *s = cfg->slots;
  const tf_flash_t *f = s->cfg.flash;
  bool reverted = boot->reverted;
  tf_status_t rc;

  memset(o, 0, sizeof *o);
  o->cfg = *cfg;
  o->state = TF_OTA_STATE_IDLE;
  o->pslot = TF_SLOT_NONE;
  if (cfg->region_addr % f->page_size != 0 || cfg->region_bytes % f->page_size != 0 ||
      cfg->region_bytes < tf_ota_region_bytes(s->cfg.slot_size, f->write_align, f->page_size) ||
      blocks_for(s->cfg.slot_size) > TF_OTA_MAX_BLOCKS) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  rc = load_record(o);
  if (rc != TF_OK) {
    goto out;
  }
  if (boot->trial && tf_slots_state(s)->trial != TF_SLOT_NONE) {
    /* a pending request consumed by this boot (power lost inside OTA_TEST_BOOT): no trial runs
     * without the gateway's test boot, so it is abandoned at once */
    rc = tf_slots_revert(s);
    if (rc == TF_OK) rc = tf_slots_boot(s, boot);
    if (rc != TF_OK) goto out;
    reverted = true;
  }
  boot->trial = false;
  switch (o->state) {
  case TF_OTA_STATE_VERIFIED:
  case TF_OTA_STATE_TEST_BOOTING:
    /* §4.6.1 power loss: an unconfirmed trial reverts (TIMEOUT); a confirm cut after its commit
     * point is CONFIRMED */
    if (!reverted && o->state == TF_OTA_STATE_TEST_BOOTING && boot->slot == o->pslot &&
        tf_slots_state(s)->confirmed == o->pslot) {
      rc = set_state(o, TF_OTA_STATE_CONFIRMED, 0);
    } else if (reverted || o->state == TF_OTA_STATE_TEST_BOOTING) {
      rc = set_state(o, TF_OTA_STATE_REVERTED, TF_ERR_TIMEOUT);
    }
    break;
  case TF_OTA_STATE_RECEIVING: {
    const tf_slot_info_t *info = &tf_slots_state(s)->slot[o->pslot];
    if (info->status == (uint8_t)TF_SLOT_WRITING) {
      rc = tf_slots_resume_update(s, o->pslot, o->size); /* §4.6.1 resume: same transfer, same bitmap */
    } else if (!(info->status == (uint8_t)TF_SLOT_COMPLETE && info->length == o->size)) {
      rc = TF_STATUS_BAD_STATE;
    }
    if (rc != TF_OK) { /* the slot no longer holds this transfer: start over at the next offer */
      o->state = TF_OTA_STATE_IDLE;
      rc = TF_OK;
    }
    break;
  }
  case TF_OTA_STATE_CONFIRMED:
    if (boot->slot != o->pslot) { /* a revert after CONFIRMED passed its commit point */
      rc = set_state(o, TF_OTA_STATE_REVERTED, 0);
    }
    break;
  default:
    break;
  }
out:
  return rc;
}

static bool same_sha(const tf_ota_t *o, const uint8_t *sha) {
  return o->state != TF_OTA_STATE_IDLE && memcmp(o->sha, sha, 32) == 0;
}

tf_status_t tf_ota_offer(tf_ota_t *o, const tf_msg_ota_offer_t *m) {
  tf_slots_t *s = o->cfg.slots;
  const tf_flash_t *f = fl(o);
  uint8_t h[HDR_BYTES];
  uint8_t slot = TF_SLOT_NONE;
  uint32_t a;
  bool lazy;
  tf_status_t rc = TF_OK;

  /* §4.6.1: OTA_OFFER in TEST_BOOTING is BAD_STATE */
  if (o->state == TF_OTA_STATE_TEST_BOOTING) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  /* a repeated offer of a phase passed changes nothing; in RECEIVING it resumes (status with have) */
  if (same_sha(o, m->sha) && o->state != TF_OTA_STATE_FAILED && o->state != TF_OTA_STATE_REVERTED) {
    goto out;
  }
  if (m->size > s->cfg.slot_size) { /* §4.6.1: size <= slot */
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  /* kid: no keys on this device, every key id (and unsigned) is accepted (tf_ota.h) */
  /* a new transfer; an older one is abandoned. Erase the record, start the slot update (records
   * WRITING), then write the header last (§4.6.1 power loss). The slot is erased lazily: each block's
   * pages just before the block is programmed (tf_ota_block), so the offer is answered at once and the
   * erase time is spread over the transfer, only the pages of `size` bytes are ever erased, and the
   * active slot is never touched. A flash whose erase unit is larger than a block cannot erase one
   * block alone: the pages of `size` bytes are then erased here, up front. */
  lazy = f->page_size <= TF_OTA_BLOCK_BYTES;
  o->state = TF_OTA_STATE_IDLE;
  o->pslot = TF_SLOT_NONE;
  for (a = 0; a < o->cfg.region_bytes; a += f->page_size) {
    if (f->erase(f->ctx, o->cfg.region_addr + a) != TF_OK) {
      rc = TF_STATUS_FLASH_ERROR;
      goto out;
    }
  }
  rc = lazy ? tf_slots_begin_update_lazy(s, m->size, &slot) : tf_slots_begin_update(s, m->size, &slot);
  if (rc != TF_OK) {
    goto out;
  }
  memset(h, 0, sizeof h);
  put_le32(h, OTA_MAGIC);
  memcpy(h + 4, m->sha, 32);
  put_le32(h + 36, m->size);
  put_le32(h + 40, m->nb);
  put_le32(h + 44, m->mver);
  memcpy(h + 48, m->kid, 8);
  h[56] = slot;
  put_le32(h + 60, tf_crc32(h, 60));
  if (f->program(f->ctx, o->cfg.region_addr, h, sizeof h) != TF_OK) {
    rc = TF_STATUS_FLASH_ERROR;
    goto out;
  }
  memcpy(o->sha, m->sha, 32);
  memcpy(o->kid, m->kid, 8);
  o->size = m->size;
  o->nb = m->nb;
  o->mver = m->mver;
  o->pslot = slot;
  o->err = 0;
  o->log_next = 0;
  o->have_count = 0;
  memset(o->have, 0, sizeof o->have);
  o->fresh = !lazy; /* lazy: every block erases its pages first */
  o->state = TF_OTA_STATE_RECEIVING;
out:
  return rc;
}

tf_status_t tf_ota_block(tf_ota_t *o, const tf_msg_ota_block_t *m) {
  tf_slots_t *s = o->cfg.slots;
  const tf_flash_t *f = fl(o);
  uint8_t mark[TF_FLASH_MAX_WRITE_ALIGN];
  uint32_t off = m->i * TF_OTA_BLOCK_BYTES;
  uint32_t want, a;
  tf_status_t rc = TF_OK;

  if (o->state == TF_OTA_STATE_IDLE) { /* §4.6.1: any request but OTA_OFFER in IDLE */
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  if (o->state != TF_OTA_STATE_RECEIVING) { /* a late block outside RECEIVING: dropped */
    goto out;
  }
  if (memcmp(o->sha, m->sha, 32) != 0) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  /* §4.6.1: i < nb and the block length (the last one: size - (nb-1)*bs) */
  want = m->i + 1u == o->nb ? o->size - (o->nb - 1u) * TF_OTA_BLOCK_BYTES : TF_OTA_BLOCK_BYTES;
  if (m->i >= o->nb || m->d.len != want) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  if (have_bit(o, m->i)) { /* already written: nothing (§4.1.5 idempotency) */
    goto out;
  }
  if (!o->fresh && f->page_size <= TF_OTA_BLOCK_BYTES) {
    /* the slot was not erased up front (lazy erase, tf_ota_offer), or after a reset the block may be
     * half written: erase its pages first (never the active slot), then program (§4.6.1) */
    for (a = 0; a < TF_OTA_BLOCK_BYTES && off + a < s->cfg.slot_size; a += f->page_size) {
      if (f->erase(f->ctx, s->cfg.slot_addr[o->pslot] + off + a) != TF_OK) {
        rc = TF_STATUS_FLASH_ERROR;
        goto out;
      }
    }
  }
  /* write the block and make it durable, then its mark (§4.6.1) */
  rc = tf_slots_write(s, off, m->d.data, (uint32_t)m->d.len);
  if (rc == TF_OK) {
    memset(mark, 0, sizeof mark);
    rc = f->program(f->ctx, mark_addr(o, m->i), mark, f->write_align);
  }
  if (rc != TF_OK) {
    o->fresh = false; /* a retry erases first */
    rc = rc == TF_STATUS_BAD_STATE ? TF_STATUS_INTERNAL : TF_STATUS_FLASH_ERROR;
    goto out;
  }
  o->have[m->i / 8u] |= (uint8_t)(1u << (m->i % 8u));
  o->have_count++;
out:
  return rc;
}

/* Requests naming another sha, and any request but OTA_OFFER in IDLE: BAD_STATE (§4.6.1). */
static tf_status_t check_sha(const tf_ota_t *o, const uint8_t *sha) {
  return same_sha(o, sha) ? TF_OK : TF_STATUS_BAD_STATE;
}

tf_status_t tf_ota_commit(tf_ota_t *o, const uint8_t sha[32]) {
  tf_slots_t *s = o->cfg.slots;
  const tf_flash_t *f = fl(o);
  const tf_slot_info_t *info;
  tf_sha256_ctx_t h;
  uint8_t chunk[256];
  uint8_t digest[TF_SHA256_DIGEST_BYTES];
  uint32_t done, n;
  tf_status_t rc = check_sha(o, sha);
  tf_status_t verdict = TF_OK;

  if (rc != TF_OK || o->state != TF_OTA_STATE_RECEIVING || o->have_count < o->nb) {
    goto out; /* a phase passed, or blocks missing: answer the status (with have) */
  }
  /* VERIFYING (§4.6.4): the file digest for the slot record, then the port's §5.8 / §5.10 checks */
  info = &tf_slots_state(s)->slot[o->pslot];
  tf_sha256_init(&h);
  for (done = 0; verdict == TF_OK && done < o->size; done += n) {
    n = o->size - done < sizeof chunk ? o->size - done : (uint32_t)sizeof chunk;
    if (f->read(f->ctx, s->cfg.slot_addr[o->pslot] + done, chunk, n) != TF_OK) {
      verdict = TF_STATUS_FLASH_ERROR;
    }
    tf_sha256_update(&h, chunk, n);
  }
  tf_sha256_final(&h, digest);
  if (verdict == TF_OK && o->cfg.hooks.check != NULL) {
    verdict = o->cfg.hooks.check(o->cfg.hooks.ctx, o->pslot, o->size, o->sha);
  }
  if (verdict == TF_OK) {
    if (info->status == (uint8_t)TF_SLOT_WRITING) {
      verdict = tf_slots_finish(s, o->size, digest); /* records COMPLETE, length, file digest */
    } else if (info->status != (uint8_t)TF_SLOT_COMPLETE || memcmp(info->sha256, digest, 32) != 0) {
      verdict = TF_STATUS_SHA_MISMATCH;
    }
  }
  rc = verdict == TF_OK ? set_state(o, TF_OTA_STATE_VERIFIED, 0)
                        : set_state(o, TF_OTA_STATE_FAILED, tf_status_to_error(verdict)); /* bitmap cleared */
out:
  return rc;
}

tf_status_t tf_ota_test_boot(tf_ota_t *o, const tf_msg_ota_sha_t *m) {
  tf_slots_t *s = o->cfg.slots;
  tf_slots_boot_result_t b;
  tf_status_t rc = check_sha(o, m->sha);
  tf_status_t verdict;

  if (rc != TF_OK) {
    goto out;
  }
  if (o->state == TF_OTA_STATE_RECEIVING) { /* a phase not reached yet */
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  if (o->state != TF_OTA_STATE_VERIFIED) { /* repeated: answer the status */
    goto out;
  }
  /* §4.6.5: persist the trial record (durable before the new model runs), load it, smoke test */
  rc = tf_slots_set_pending(s, o->pslot);
  if (rc == TF_OK) rc = tf_slots_boot(s, &b);
  if (rc != TF_OK) {
    goto out;
  }
  verdict = b.slot == o->pslot && b.trial ? TF_OK : TF_STATUS_INCOMPATIBLE;
  if (verdict == TF_OK && o->cfg.hooks.load != NULL) {
    verdict = o->cfg.hooks.load(o->cfg.hooks.ctx, o->pslot, o->size, m);
  }
  if (verdict == TF_OK) {
    rc = set_state(o, TF_OTA_STATE_TEST_BOOTING, 0);
    goto out;
  }
  if (verdict != TF_STATUS_INCOMPATIBLE) {
    verdict = TF_STATUS_SMOKE_TEST_FAILED;
  }
  /* failed: load the previous slot again and clear the trial record, REVERTED with the reason */
  if (tf_slots_state(s)->trial != TF_SLOT_NONE) {
    (void)tf_slots_revert(s);
  }
  load_running(o);
  rc = set_state(o, TF_OTA_STATE_REVERTED, tf_status_to_error(verdict));
out:
  return rc;
}

tf_status_t tf_ota_confirm(tf_ota_t *o, const uint8_t sha[32]) {
  tf_status_t rc = check_sha(o, sha);

  if (rc != TF_OK) {
    goto out;
  }
  if (o->state == TF_OTA_STATE_RECEIVING || o->state == TF_OTA_STATE_VERIFIED) {
    rc = TF_STATUS_BAD_STATE; /* before TEST_BOOTING */
    goto out;
  }
  if (o->state != TF_OTA_STATE_TEST_BOOTING) {
    goto out;
  }
  /* §4.6.6: one atomic write of the slot record (the commit point), then the transfer record */
  rc = tf_slots_confirm(o->cfg.slots);
  if (rc == TF_OK) rc = set_state(o, TF_OTA_STATE_CONFIRMED, 0);
out:
  return rc;
}

tf_status_t tf_ota_revert(tf_ota_t *o, const uint8_t sha[32]) {
  tf_slots_t *s = o->cfg.slots;
  uint8_t other;
  tf_status_t rc = check_sha(o, sha);

  if (rc != TF_OK || o->state == TF_OTA_STATE_REVERTED) {
    goto out;
  }
  switch (o->state) {
  case TF_OTA_STATE_TEST_BOOTING: /* load the previous slot, clear the trial record */
    rc = tf_slots_revert(s);
    if (rc != TF_OK) goto out;
    load_running(o);
    break;
  case TF_OTA_STATE_CONFIRMED: /* the other slot, if it still holds a valid artifact (digest checked) */
    other = o->pslot == 0u ? 1u : 0u;
    if (tf_slots_verify(s, other) != TF_OK) {
      rc = TF_STATUS_BAD_STATE;
      goto out;
    }
    rc = tf_slots_activate(s, other); /* one atomic write */
    if (rc != TF_OK) goto out;
    if (o->cfg.hooks.load != NULL) {
      (void)o->cfg.hooks.load(o->cfg.hooks.ctx, other, tf_slots_state(s)->slot[other].length, NULL);
    }
    break;
  default: /* RECEIVING, VERIFIED, FAILED: discard the transfer */
    break;
  }
  rc = set_state(o, TF_OTA_STATE_REVERTED, 0);
out:
  return rc;
}

void tf_ota_status(const tf_ota_t *o, tf_msg_ota_status_t *out) {
  uint8_t running = tf_slots_running(o->cfg.slots);

  /* §4.6.8 */
  memset(out, 0, sizeof *out);
  out->st = o->state;
  if (running != TF_SLOT_NONE) {
    out->has_aslot = true;
    out->aslot = running;
  }
  if (o->state == TF_OTA_STATE_IDLE) {
    return;
  }
  out->sha = o->sha;
  out->has_mver = true;
  out->mver = o->mver;
  out->has_pslot = true;
  out->pslot = o->pslot;
  if (o->state == TF_OTA_STATE_RECEIVING) {
    out->nb = o->nb;
    out->have.data = o->have;
    out->have.len = (o->nb + 7u) / 8u;
  }
  if (o->err != 0) {
    out->has_err = true;
    out->err = o->err;
  } else if (o->state == TF_OTA_STATE_FAILED) {
    out->has_err = true;
    out->err = TF_ERR_INTERNAL;
  }
}
