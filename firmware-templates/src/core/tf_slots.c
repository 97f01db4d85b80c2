/*
 * A/B model slots with atomic state changes (tf_slots.h).
 *
 * State record, TF_SLOTS_RECORD_BYTES = 96 bytes, little-endian (PROTOCOL.md §1.2 conventions,
 * serialized field by field, never as a C struct):
 *
 *   off  size  field
 *     0     4  magic 0x53534654 ("TFSS")
 *     4     1  record format version (1)
 *     5     1  confirmed slot (0, 1, 0xFF none)
 *     6     1  pending slot
 *     7     1  trial slot
 *     8     4  sequence number (the newer of two valid copies wins; serial arithmetic)
 *    12    40  slot 0: status u8, 3 zero bytes, length u32, sha256[32]
 *    52    40  slot 1: same
 *    92     4  CRC-32 (PROTOCOL.md §1.2) of bytes 0..91
 *
 * A state change writes seq+1 into the copy that does not hold the current record: erase its
 * page, program the record once, read it back. Until the program completes that copy fails its
 * CRC, so the previous record stays in force: each change is atomic under power loss.
 */
#include "tinyfleet/tf_slots.h"

#include "tinyfleet/tf_crc32.h"

#include <string.h>

#define REC_MAGIC 0x53534654u
#define REC_VERSION 1u
#define OFF_MAGIC 0u
#define OFF_VERSION 4u
#define OFF_CONFIRMED 5u
#define OFF_PENDING 6u
#define OFF_TRIAL 7u
#define OFF_SEQ 8u
#define OFF_SLOT0 12u
#define SLOT_REC_BYTES 40u
#define OFF_CRC 92u

typedef char tf_slots_record_fits[(OFF_CRC + 4u == TF_SLOTS_RECORD_BYTES) ? 1 : -1];

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void encode_record(const tf_slots_state_t *st, uint8_t rec[TF_SLOTS_RECORD_BYTES]) {
  unsigned i;
  uint8_t *p;

  memset(rec, 0, TF_SLOTS_RECORD_BYTES);
  put_le32(rec + OFF_MAGIC, REC_MAGIC);
  rec[OFF_VERSION] = REC_VERSION;
  rec[OFF_CONFIRMED] = st->confirmed;
  rec[OFF_PENDING] = st->pending;
  rec[OFF_TRIAL] = st->trial;
  put_le32(rec + OFF_SEQ, st->seq);
  for (i = 0; i < 2u; i++) {
    p = rec + OFF_SLOT0 + i * SLOT_REC_BYTES;
    p[0] = st->slot[i].status;
    put_le32(p + 4, st->slot[i].length);
    memcpy(p + 8, st->slot[i].sha256, TF_SHA256_DIGEST_BYTES);
  }
  put_le32(rec + OFF_CRC, tf_crc32(rec, OFF_CRC));
}

static bool slot_index_ok(uint8_t v) {
  return v == 0u || v == 1u || v == TF_SLOT_NONE;
}

/* Decodes and checks a record; false for erased, torn or foreign bytes. */
static bool decode_record(const uint8_t rec[TF_SLOTS_RECORD_BYTES], tf_slots_state_t *st) {
  unsigned i;
  const uint8_t *p;

  if (get_le32(rec + OFF_MAGIC) != REC_MAGIC || rec[OFF_VERSION] != REC_VERSION ||
      get_le32(rec + OFF_CRC) != tf_crc32(rec, OFF_CRC)) {
    return false;
  }
  st->confirmed = rec[OFF_CONFIRMED];
  st->pending = rec[OFF_PENDING];
  st->trial = rec[OFF_TRIAL];
  st->seq = get_le32(rec + OFF_SEQ);
  if (!slot_index_ok(st->confirmed) || !slot_index_ok(st->pending) || !slot_index_ok(st->trial)) {
    return false;
  }
  for (i = 0; i < 2u; i++) {
    p = rec + OFF_SLOT0 + i * SLOT_REC_BYTES;
    if (p[0] > (uint8_t)TF_SLOT_REJECTED) {
      return false;
    }
    st->slot[i].status = p[0];
    st->slot[i].length = get_le32(p + 4);
    memcpy(st->slot[i].sha256, p + 8, TF_SHA256_DIGEST_BYTES);
  }
  return true;
}

static void default_state(tf_slots_state_t *st) {
  memset(st, 0, sizeof *st);
  st->confirmed = TF_SLOT_NONE;
  st->pending = TF_SLOT_NONE;
  st->trial = TF_SLOT_NONE;
}

/* Loads the newest valid copy into s->state (defaults when there is none). */
static tf_status_t load_state(tf_slots_t *s) {
  tf_status_t rc = TF_OK;
  const tf_flash_t *fl = s->cfg.flash;
  uint8_t rec[TF_SLOTS_RECORD_BYTES];
  tf_slots_state_t copy[2];
  bool valid[2];
  unsigned i;

  for (i = 0; i < 2u; i++) {
    rc = fl->read(fl->ctx, s->cfg.state_addr[i], rec, TF_SLOTS_RECORD_BYTES);
    if (rc != TF_OK) {
      rc = TF_STATUS_FLASH_ERROR;
      goto out;
    }
    valid[i] = decode_record(rec, &copy[i]);
  }
  if (valid[0] && valid[1]) {
    /* serial number arithmetic: the copy ahead of the other is newer */
    i = (int32_t)(copy[1].seq - copy[0].seq) > 0 ? 1u : 0u;
  } else if (valid[0] || valid[1]) {
    i = valid[0] ? 0u : 1u;
  } else {
    default_state(&s->state);
    s->state_copy = TF_SLOT_NONE;
    goto out;
  }
  s->state = copy[i];
  s->state_copy = (uint8_t)i;
out:
  return rc;
}

/* Makes `next` the current state: one atomic record write into the other copy. */
static tf_status_t store_state(tf_slots_t *s, const tf_slots_state_t *next) {
  tf_status_t rc = TF_OK;
  const tf_flash_t *fl = s->cfg.flash;
  uint8_t rec[TF_SLOTS_RECORD_BYTES];
  uint8_t back[TF_SLOTS_RECORD_BYTES];
  tf_slots_state_t st = *next;
  uint8_t target = s->state_copy == 0u ? 1u : 0u;
  uint32_t addr = s->cfg.state_addr[target];

  st.seq = s->state.seq + 1u;
  encode_record(&st, rec);
  rc = fl->erase(fl->ctx, addr);
  if (rc == TF_OK) {
    rc = fl->program(fl->ctx, addr, rec, TF_SLOTS_RECORD_BYTES);
  }
  if (rc == TF_OK) {
    rc = fl->read(fl->ctx, addr, back, TF_SLOTS_RECORD_BYTES);
  }
  if (rc == TF_OK && memcmp(rec, back, TF_SLOTS_RECORD_BYTES) != 0) {
    rc = TF_STATUS_FLASH_ERROR;
  }
  if (rc != TF_OK) {
    rc = TF_STATUS_FLASH_ERROR;
    goto out;
  }
  s->state = st;
  s->state_copy = target;
out:
  return rc;
}

static bool is_pow2(uint32_t v) {
  return v != 0 && (v & (v - 1u)) == 0;
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen) {
  return a < b + blen && b < a + alen;
}

static bool region_ok(const tf_flash_t *fl, uint32_t addr, uint32_t len) {
  return (addr & (fl->page_size - 1u)) == 0 && addr <= fl->size && len <= fl->size - addr;
}

tf_status_t tf_slots_open(tf_slots_t *s, const tf_slots_config_t *cfg) {
  tf_status_t rc = TF_OK;
  const tf_flash_t *fl;
  uint32_t addr[4], len[4];
  unsigned i, j;

  if (s == NULL || cfg == NULL || cfg->flash == NULL) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  fl = cfg->flash;
  if (fl->erase == NULL || fl->program == NULL || fl->read == NULL || !is_pow2(fl->page_size) ||
      !is_pow2(fl->write_align) || fl->write_align > TF_FLASH_MAX_WRITE_ALIGN ||
      fl->page_size < TF_SLOTS_RECORD_BYTES || cfg->slot_size == 0 || (cfg->slot_size & (fl->page_size - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  addr[0] = cfg->slot_addr[0];
  addr[1] = cfg->slot_addr[1];
  addr[2] = cfg->state_addr[0];
  addr[3] = cfg->state_addr[1];
  len[0] = len[1] = cfg->slot_size;
  len[2] = len[3] = fl->page_size;
  for (i = 0; i < 4u; i++) {
    if (!region_ok(fl, addr[i], len[i])) {
      rc = TF_STATUS_BAD_FIELD;
      goto out;
    }
    for (j = 0; j < i; j++) {
      if (overlaps(addr[i], len[i], addr[j], len[j])) {
        rc = TF_STATUS_BAD_FIELD;
        goto out;
      }
    }
  }
  s->cfg = *cfg;
  s->booted = TF_SLOT_NONE;
  s->writing = TF_SLOT_NONE;
  s->write_limit = 0;
  rc = load_state(s);
out:
  return rc;
}

const tf_slots_state_t *tf_slots_state(const tf_slots_t *s) {
  return &s->state;
}

tf_status_t tf_slots_verify(const tf_slots_t *s, uint8_t slot) {
  tf_status_t rc = TF_OK;
  const tf_flash_t *fl = s->cfg.flash;
  const tf_slot_info_t *info;
  tf_sha256_ctx_t sha;
  uint8_t chunk[64];
  uint8_t digest[TF_SHA256_DIGEST_BYTES];
  uint32_t done, n;

  if (slot > 1u) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  info = &s->state.slot[slot];
  if (info->status != (uint8_t)TF_SLOT_COMPLETE || info->length > s->cfg.slot_size) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  tf_sha256_init(&sha);
  for (done = 0; done < info->length; done += n) {
    n = info->length - done < sizeof chunk ? info->length - done : (uint32_t)sizeof chunk;
    rc = fl->read(fl->ctx, s->cfg.slot_addr[slot] + done, chunk, n);
    if (rc != TF_OK) {
      rc = TF_STATUS_FLASH_ERROR;
      goto out;
    }
    tf_sha256_update(&sha, chunk, n);
  }
  tf_sha256_final(&sha, digest);
  if (memcmp(digest, info->sha256, TF_SHA256_DIGEST_BYTES) != 0) {
    rc = TF_STATUS_SHA_MISMATCH;
    goto out;
  }
  if (s->cfg.validate != NULL) {
    rc = s->cfg.validate(s->cfg.validate_ctx, fl, s->cfg.slot_addr[slot], info->length);
  }
out:
  return rc;
}

tf_status_t tf_slots_boot(tf_slots_t *s, tf_slots_boot_result_t *out) {
  tf_status_t rc = TF_OK;
  tf_slots_state_t next;
  bool changed = false;
  uint8_t booted = TF_SLOT_NONE;
  uint8_t i;

  memset(out, 0, sizeof *out);
  out->slot = TF_SLOT_NONE;
  s->booted = TF_SLOT_NONE;
  s->writing = TF_SLOT_NONE;
  rc = load_state(s);
  if (rc != TF_OK) {
    goto out;
  }
  next = s->state;
  if (next.trial != TF_SLOT_NONE) {
    /* booted on trial last time and never confirmed: revert (MCUboot TEST semantics) */
    next.slot[next.trial].status = (uint8_t)TF_SLOT_REJECTED;
    next.trial = TF_SLOT_NONE;
    out->reverted = true;
    changed = true;
  }
  if (next.pending != TF_SLOT_NONE) {
    /* one trial: the mark is made durable before the model runs */
    if (tf_slots_verify(s, next.pending) == TF_OK) {
      next.trial = next.pending;
      booted = next.pending;
      out->trial = true;
    }
    next.pending = TF_SLOT_NONE;
    changed = true;
  }
  if (changed) {
    rc = store_state(s, &next);
    if (rc != TF_OK) {
      goto out;
    }
  }
  if (booted == TF_SLOT_NONE && next.confirmed != TF_SLOT_NONE) {
    if (tf_slots_verify(s, next.confirmed) == TF_OK) {
      booted = next.confirmed;
    } else {
      /* the confirmed model is damaged: run the other one if it is complete and verifies */
      i = next.confirmed == 0u ? 1u : 0u;
      if (tf_slots_verify(s, i) == TF_OK) {
        booted = i;
        out->fallback = true;
      }
    }
  }
  if (booted != TF_SLOT_NONE) {
    out->slot = booted;
    out->addr = s->cfg.slot_addr[booted];
    out->length = s->state.slot[booted].length;
  }
  s->booted = booted;
out:
  return rc;
}

/* Records the inactive slot WRITING, then (when @p erase) erases the pages of @p total_len bytes. */
static tf_status_t begin_update(tf_slots_t *s, uint32_t total_len, uint8_t *slot, bool erase) {
  tf_status_t rc = TF_OK;
  const tf_flash_t *fl = s->cfg.flash;
  tf_slots_state_t next;
  uint8_t target;
  uint32_t off;

  if (slot == NULL || total_len == 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (total_len > s->cfg.slot_size) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  if (s->state.trial != TF_SLOT_NONE) {
    rc = TF_STATUS_BAD_STATE; /* confirm or revert the trial first */
    goto out;
  }
  /* never touch the running model; otherwise keep the confirmed one */
  if (s->booted != TF_SLOT_NONE) {
    target = s->booted == 0u ? 1u : 0u;
  } else {
    target = s->state.confirmed == 0u ? 1u : 0u;
  }
  s->writing = TF_SLOT_NONE;
  next = s->state;
  next.slot[target].status = (uint8_t)TF_SLOT_WRITING;
  next.slot[target].length = total_len;
  memset(next.slot[target].sha256, 0, TF_SHA256_DIGEST_BYTES);
  if (next.pending == target) {
    next.pending = TF_SLOT_NONE;
  }
  if (next.confirmed == target) {
    next.confirmed = s->booted; /* running as fallback: it becomes the confirmed model */
  }
  /* record WRITING before erasing, so a cut during the erase leaves a slot never booted */
  rc = store_state(s, &next);
  if (rc != TF_OK) {
    goto out;
  }
  for (off = 0; erase && off < total_len; off += fl->page_size) {
    rc = fl->erase(fl->ctx, s->cfg.slot_addr[target] + off);
    if (rc != TF_OK) {
      rc = TF_STATUS_FLASH_ERROR;
      goto out;
    }
  }
  s->writing = target;
  s->write_limit = total_len;
  *slot = target;
out:
  return rc;
}

tf_status_t tf_slots_begin_update(tf_slots_t *s, uint32_t total_len, uint8_t *slot) {
  return begin_update(s, total_len, slot, true);
}

tf_status_t tf_slots_begin_update_lazy(tf_slots_t *s, uint32_t total_len, uint8_t *slot) {
  /* the caller erases each page of the slot before it programs it (tf_ota.c: a block's pages) */
  return begin_update(s, total_len, slot, false);
}

tf_status_t tf_slots_write(tf_slots_t *s, uint32_t offset, const uint8_t *data, uint32_t len) {
  tf_status_t rc = TF_OK;
  const tf_flash_t *fl = s->cfg.flash;
  uint8_t tail[TF_FLASH_MAX_WRITE_ALIGN];
  uint32_t align = fl->write_align;
  uint32_t main_len = len & ~(align - 1u);
  uint32_t base;

  if (s->writing == TF_SLOT_NONE) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  if ((data == NULL && len > 0) || (offset & (align - 1u)) != 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (offset > s->write_limit || len > s->write_limit - offset) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  base = s->cfg.slot_addr[s->writing] + offset;
  if (main_len > 0) {
    rc = fl->program(fl->ctx, base, data, main_len);
  }
  if (rc == TF_OK && len > main_len) {
    memset(tail, 0xFF, sizeof tail); /* 0xFF leaves erased bits as they are */
    memcpy(tail, data + main_len, len - main_len);
    rc = fl->program(fl->ctx, base + main_len, tail, align);
  }
  if (rc != TF_OK) {
    rc = TF_STATUS_FLASH_ERROR;
  }
out:
  return rc;
}

tf_status_t tf_slots_finish(tf_slots_t *s, uint32_t length, const uint8_t sha256[TF_SHA256_DIGEST_BYTES]) {
  tf_status_t rc = TF_OK;
  tf_slots_state_t next;
  tf_slots_t probe;
  uint8_t target = s->writing;

  if (target == TF_SLOT_NONE) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  s->writing = TF_SLOT_NONE; /* success or not, this update is over */
  if (sha256 == NULL || length == 0) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (length > s->write_limit) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  next = s->state;
  next.slot[target].status = (uint8_t)TF_SLOT_COMPLETE;
  next.slot[target].length = length;
  memcpy(next.slot[target].sha256, sha256, TF_SHA256_DIGEST_BYTES);
  /* verify what flash holds against what the record will say, before recording it */
  probe = *s;
  probe.state = next;
  rc = tf_slots_verify(&probe, target);
  if (rc != TF_OK) {
    goto out;
  }
  rc = store_state(s, &next);
out:
  return rc;
}

tf_status_t tf_slots_set_pending(tf_slots_t *s, uint8_t slot) {
  tf_status_t rc = TF_OK;
  tf_slots_state_t next;

  if (slot > 1u) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  if (s->state.trial != TF_SLOT_NONE || s->state.slot[slot].status != (uint8_t)TF_SLOT_COMPLETE ||
      slot == s->state.confirmed || slot == s->booted || slot == s->writing) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  next = s->state;
  next.pending = slot;
  rc = store_state(s, &next);
out:
  return rc;
}

tf_status_t tf_slots_confirm(tf_slots_t *s) {
  tf_status_t rc = TF_OK;
  tf_slots_state_t next;

  if (s->booted == TF_SLOT_NONE) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  if (s->state.trial == TF_SLOT_NONE && s->booted == s->state.confirmed) {
    goto out; /* already confirmed: nothing to write */
  }
  if (s->state.trial != s->booted) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  next = s->state;
  next.confirmed = next.trial;
  next.trial = TF_SLOT_NONE;
  rc = store_state(s, &next);
out:
  return rc;
}

tf_status_t tf_slots_revert(tf_slots_t *s) {
  tf_status_t rc = TF_OK;
  tf_slots_state_t next = s->state;
  bool was_trial = next.trial != TF_SLOT_NONE;

  if (was_trial) {
    next.slot[next.trial].status = (uint8_t)TF_SLOT_REJECTED;
    next.trial = TF_SLOT_NONE;
  } else if (next.pending != TF_SLOT_NONE) {
    next.pending = TF_SLOT_NONE;
  } else {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  rc = store_state(s, &next);
  if (rc == TF_OK && was_trial) {
    s->booted = TF_SLOT_NONE; /* the trial model must stop: boot again to run the confirmed one */
  }
out:
  return rc;
}

tf_status_t tf_slots_resume_update(tf_slots_t *s, uint8_t slot, uint32_t total_len) {
  tf_status_t rc = TF_OK;

  /* an update recorded WRITING before a reset continues in the same slot (PROTOCOL.md §4.6.1, resume) */
  if (slot > 1u || total_len == 0 || total_len > s->cfg.slot_size ||
      s->state.slot[slot].status != (uint8_t)TF_SLOT_WRITING || s->state.slot[slot].length != total_len ||
      slot == s->booted || s->state.trial != TF_SLOT_NONE) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  s->writing = slot;
  s->write_limit = total_len;
out:
  return rc;
}

tf_status_t tf_slots_activate(tf_slots_t *s, uint8_t slot) {
  tf_status_t rc;
  tf_slots_state_t next = s->state;

  if (slot > 1u || s->state.trial != TF_SLOT_NONE || slot == s->writing) {
    rc = TF_STATUS_BAD_STATE;
    goto out;
  }
  rc = tf_slots_verify(s, slot); /* COMPLETE, digest checked */
  if (rc != TF_OK) {
    goto out;
  }
  /* one record write: the commit point */
  next.confirmed = slot;
  next.pending = TF_SLOT_NONE;
  rc = store_state(s, &next);
  if (rc == TF_OK) {
    s->booted = slot;
  }
out:
  return rc;
}

uint8_t tf_slots_running(const tf_slots_t *s) {
  return s->booted;
}
