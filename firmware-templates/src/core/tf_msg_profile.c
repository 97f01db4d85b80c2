/* The CBOR profile of PROTOCOL.md §4.1.2, checked over a whole message without recursion (tf_msg.h). */
#include "tinyfleet/tf_msg.h"

#include "tinyfleet/tf_cbor.h"

#include <string.h>

bool tf_msg_utf8_valid(const uint8_t *s, size_t len) {
  size_t i = 0;

  /* RFC 3629 §4 */
  while (i < len) {
    uint8_t c = s[i];
    size_t n;
    uint32_t cp;
    size_t k;
    if (c < 0x80u) {
      i++;
      continue;
    }
    if (c >= 0xC2u && c <= 0xDFu) {
      n = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0u && c <= 0xEFu) {
      n = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0u && c <= 0xF4u) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (len - i - 1u < n) {
      return false;
    }
    for (k = 1; k <= n; k++) {
      uint8_t cc = s[i + k];
      if ((cc & 0xC0u) != 0x80u) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800u) || (n == 3 && (cp < 0x10000u || cp > 0x10FFFFu)) ||
        (cp >= 0xD800u && cp <= 0xDFFFu)) {
      return false;
    }
    i += n + 1u;
  }
  return true;
}

/* One open container of the walk. */
typedef struct level {
  size_t left;      /* items (arrays) or keys + values (maps) still to read */
  size_t total;     /* pairs of a map */
  size_t start;     /* offset of a map's first key */
  bool map;
} level_t;

/* §4.1.2 item 3: each key at most once. Compares the key just read with the earlier keys of the
 * same map by walking them again (the values there have already passed the profile). */
static tf_status_t check_duplicate(const uint8_t *buf, size_t len, const level_t *lv, size_t index,
                                   const uint8_t *key, size_t key_len) {
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  size_t i;
  tf_status_t rc = tf_cbor_reader_init(&r, buf, len, TF_CBOR_MAX_DEPTH);

  if (rc != TF_OK) {
    return TF_STATUS_INTERNAL;
  }
  r.pos = lv->start;
  for (i = 0; i < index; i++) {
    rc = tf_cbor_read(&r, &it);
    if (rc != TF_OK) {
      return TF_STATUS_INTERNAL;
    }
    if (it.u == key_len && memcmp(it.data, key, key_len) == 0) {
      return TF_STATUS_MALFORMED;
    }
    rc = tf_cbor_skip(&r);
    if (rc != TF_OK) {
      return TF_STATUS_INTERNAL;
    }
  }
  return TF_OK;
}

tf_status_t tf_msg_check_profile(const uint8_t *buf, size_t len) {
  tf_status_t rc;
  tf_cbor_reader_t r;
  tf_cbor_item_t it;
  level_t stack[TF_MESSAGE_MAX_DEPTH];
  size_t depth = 0; /* open containers */
  bool first = true;

  if (len == 0) {
    rc = TF_STATUS_TRUNCATED; /* §4.1.7 step 2: an empty input */
    goto out;
  }
  rc = tf_cbor_reader_init(&r, buf, len, TF_CBOR_MAX_DEPTH);
  if (rc != TF_OK) {
    goto out;
  }
  while (first || depth > 0) {
    bool is_key = false;
    level_t *top = depth > 0 ? &stack[depth - 1u] : NULL;

    if (top != NULL) {
      if (top->left == 0) {
        depth--;
        continue;
      }
      is_key = top->map && (top->left % 2u) == 0;
      top->left--;
    }
    first = false;
    rc = tf_cbor_read(&r, &it);
    if (rc != TF_OK) {
      goto out; /* TRUNCATED or MALFORMED (reserved additional information, ...) */
    }
    if (it.indefinite || it.type == TF_CBOR_BREAK) {
      rc = TF_STATUS_MALFORMED; /* item 2: definite lengths only */
      goto out;
    }
    if (is_key) {
      if (it.type != TF_CBOR_TEXT) {
        rc = TF_STATUS_MALFORMED; /* item 3: text keys */
        goto out;
      }
      if (!tf_msg_utf8_valid(it.data, (size_t)it.u)) {
        rc = TF_STATUS_MALFORMED;
        goto out;
      }
      rc = check_duplicate(buf, len, top, (top->total * 2u - top->left - 1u) / 2u, it.data, (size_t)it.u);
      if (rc != TF_OK) {
        goto out;
      }
      continue;
    }
    switch (it.type) {
    case TF_CBOR_UINT:
    case TF_CBOR_NINT:
    case TF_CBOR_BYTES:
    case TF_CBOR_FLOAT:
      break;
    case TF_CBOR_TEXT:
      if (!tf_msg_utf8_valid(it.data, (size_t)it.u)) {
        rc = TF_STATUS_MALFORMED;
        goto out;
      }
      break;
    case TF_CBOR_SIMPLE:
      if (it.u != TF_CBOR_SIMPLE_FALSE && it.u != TF_CBOR_SIMPLE_TRUE && it.u != TF_CBOR_SIMPLE_NULL) {
        rc = TF_STATUS_MALFORMED; /* undefined and other simple values */
        goto out;
      }
      break;
    case TF_CBOR_TAG: {
      /* §4.1.4: tags 69, 78, 85, each around a byte string of a multiple of the element size */
      size_t elem = it.u == 69u ? 2u : (it.u == 78u || it.u == 85u) ? 4u : 0u;
      tf_cbor_item_t inner;
      if (elem == 0 || depth + 1u > TF_MESSAGE_MAX_DEPTH) {
        rc = TF_STATUS_MALFORMED;
        goto out;
      }
      rc = tf_cbor_read(&r, &inner);
      if (rc != TF_OK) {
        goto out;
      }
      if (inner.type != TF_CBOR_BYTES || inner.indefinite || inner.u % elem != 0) {
        rc = TF_STATUS_MALFORMED;
        goto out;
      }
      break;
    }
    case TF_CBOR_ARRAY:
    case TF_CBOR_MAP:
      if (depth >= TF_MESSAGE_MAX_DEPTH) {
        rc = TF_STATUS_MALFORMED; /* item 4: at most 8 levels */
        goto out;
      }
      stack[depth].map = it.type == TF_CBOR_MAP;
      stack[depth].total = (size_t)it.u;
      stack[depth].left = (size_t)it.u * (stack[depth].map ? 2u : 1u);
      stack[depth].start = r.pos;
      depth++;
      break;
    default:
      rc = TF_STATUS_MALFORMED;
      goto out;
    }
  }
  if (r.pos != len) {
    rc = TF_STATUS_MALFORMED; /* item 1: bytes after the item */
  }
out:
  return rc;
}
