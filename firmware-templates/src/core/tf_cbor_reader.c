/*
 * Bounded CBOR reader: item heads (RFC 8949 §3) and typed reads. Section numbers are RFC 8949.
 * Every length is compared with the bytes left before it is used; errors consume nothing.
 */
#include "tinyfleet/tf_cbor.h"

#include <string.h>

typedef char tf_cbor_float_is_32_bits[(sizeof(float) == 4u) ? 1 : -1];
typedef char tf_cbor_double_is_64_bits[(sizeof(double) == 8u) ? 1 : -1];

/* §3.3 half precision to double; exact for every half value. */
static double half_to_double(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  float f;
  double d;

  if (exp == 0) {
    d = (double)mant / 16777216.0; /* subnormal (or zero): mant * 2^-24 */
    return sign != 0 ? -d : d;
  }
  if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13); /* infinity or NaN, payload kept */
  } else {
    bits = sign | ((exp - 15u + 127u) << 23) | (mant << 13);
  }
  memcpy(&f, &bits, sizeof f);
  return (double)f;
}

static uint64_t load_be(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  unsigned i;

  for (i = 0; i < n; i++) {
    v = (v << 8) | p[i];
  }
  return v;
}

/* Decodes the head at r->pos into item; *next is the offset after it (and after string content). */
static tf_status_t decode(const tf_cbor_reader_t *r, tf_cbor_item_t *item, size_t *next) {
  tf_status_t rc = TF_OK;
  const uint8_t *buf = r->buf;
  size_t len = r->len;
  size_t p = r->pos;
  unsigned major, ai, n = 0;
  uint64_t arg = 0;
  uint32_t bits32;
  float f32;

  memset(item, 0, sizeof *item);
  if (p >= len) {
    rc = TF_STATUS_TRUNCATED;
    goto out;
  }
  major = (unsigned)(buf[p] >> 5);
  ai = (unsigned)(buf[p] & 0x1Fu);
  p++;
  /* §3: additional information 0..23 is the argument; 24..27 announce 1, 2, 4, 8 bytes */
  if (ai < 24u) {
    arg = ai;
  } else if (ai <= 27u) {
    n = 1u << (ai - 24u);
    if (len - p < n) {
      rc = TF_STATUS_TRUNCATED;
      goto out;
    }
    arg = load_be(buf + p, n);
    p += n;
  } else if (ai <= 30u) {
    rc = TF_STATUS_MALFORMED; /* §3: 28..30 are reserved */
    goto out;
  } else if (major == 0u || major == 1u || major == 6u) {
    rc = TF_STATUS_MALFORMED; /* §3.4-3.2: indefinite length only for strings, arrays, maps */
    goto out;
  } else {
    item->indefinite = major != 7u;
  }
  item->type = (tf_cbor_type_t)major;
  item->u = arg;
  switch (major) {
  case 2u:
  case 3u:
    if (!item->indefinite) {
      if (arg > (uint64_t)(len - p)) {
        rc = TF_STATUS_TRUNCATED;
        goto out;
      }
      item->data = buf + p;
      p += (size_t)arg;
    }
    break;
  case 4u:
    /* each element takes at least one byte: a larger count cannot be well-formed here */
    if (!item->indefinite && arg > (uint64_t)(len - p)) {
      rc = TF_STATUS_TRUNCATED;
      goto out;
    }
    break;
  case 5u:
    if (!item->indefinite && arg > (uint64_t)((len - p) / 2u)) {
      rc = TF_STATUS_TRUNCATED;
      goto out;
    }
    break;
  case 7u:
    /* §3.3: simple values and floats */
    if (ai == 31u) {
      item->type = TF_CBOR_BREAK;
    } else if (ai < 24u) {
      item->type = TF_CBOR_SIMPLE;
    } else if (ai == 24u) {
      if (arg < 32u) {
        rc = TF_STATUS_MALFORMED; /* §3.3: two-byte form of a value < 32 */
        goto out;
      }
      item->type = TF_CBOR_SIMPLE;
    } else {
      item->type = TF_CBOR_FLOAT;
      item->float_bytes = (uint8_t)n;
      item->u = 0;
      if (n == 2u) {
        item->f = half_to_double((uint16_t)arg);
      } else if (n == 4u) {
        bits32 = (uint32_t)arg;
        memcpy(&f32, &bits32, sizeof f32);
        item->f = (double)f32;
      } else {
        memcpy(&item->f, &arg, sizeof item->f);
      }
    }
    break;
  default:
    break; /* 0, 1, 6: the argument is the value */
  }
  *next = p;
out:
  return rc;
}

tf_status_t tf_cbor_reader_init(tf_cbor_reader_t *r, const uint8_t *buf, size_t len, uint8_t max_depth) {
  tf_status_t rc = TF_OK;

  if (r == NULL || (buf == NULL && len > 0)) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (max_depth < 1u || max_depth > TF_CBOR_MAX_DEPTH) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  r->buf = buf;
  r->len = len;
  r->pos = 0;
  r->max_depth = max_depth;
out:
  return rc;
}

size_t tf_cbor_reader_remaining(const tf_cbor_reader_t *r) {
  return r->len - r->pos;
}

tf_status_t tf_cbor_peek(const tf_cbor_reader_t *r, tf_cbor_item_t *item) {
  size_t next;

  return decode(r, item, &next);
}

tf_status_t tf_cbor_read(tf_cbor_reader_t *r, tf_cbor_item_t *item) {
  size_t next = 0;
  tf_status_t rc = decode(r, item, &next);

  if (rc == TF_OK) {
    r->pos = next;
  }
  return rc;
}

/* Reads one head that must be of type t (and definite for strings and containers). */
static tf_status_t read_expect(tf_cbor_reader_t *r, tf_cbor_type_t t, tf_cbor_item_t *item) {
  size_t next = 0;
  tf_status_t rc = decode(r, item, &next);

  if (rc != TF_OK) {
    goto out;
  }
  if (item->type != t || item->indefinite) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  r->pos = next;
out:
  return rc;
}

tf_status_t tf_cbor_read_uint(tf_cbor_reader_t *r, uint64_t *value) {
  tf_cbor_item_t it;
  tf_status_t rc = read_expect(r, TF_CBOR_UINT, &it);

  if (rc == TF_OK) {
    *value = it.u;
  }
  return rc;
}

tf_status_t tf_cbor_read_u32(tf_cbor_reader_t *r, uint32_t *value) {
  tf_cbor_item_t it;
  size_t saved = r->pos;
  tf_status_t rc = read_expect(r, TF_CBOR_UINT, &it);

  if (rc == TF_OK && it.u > 0xFFFFFFFFu) {
    r->pos = saved;
    rc = TF_STATUS_OUT_OF_RANGE;
  }
  if (rc == TF_OK) {
    *value = (uint32_t)it.u;
  }
  return rc;
}

tf_status_t tf_cbor_read_int(tf_cbor_reader_t *r, int64_t *value) {
  tf_status_t rc = TF_OK;
  tf_cbor_item_t it;
  size_t next = 0;

  rc = decode(r, &it, &next);
  if (rc != TF_OK) {
    goto out;
  }
  if (it.type != TF_CBOR_UINT && it.type != TF_CBOR_NINT) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (it.u > (uint64_t)INT64_MAX) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  /* §3.1 major type 1: the value is -1 - argument */
  *value = it.type == TF_CBOR_UINT ? (int64_t)it.u : -1 - (int64_t)it.u;
  r->pos = next;
out:
  return rc;
}

tf_status_t tf_cbor_read_bytes(tf_cbor_reader_t *r, const uint8_t **data, size_t *len) {
  tf_cbor_item_t it;
  tf_status_t rc = read_expect(r, TF_CBOR_BYTES, &it);

  if (rc == TF_OK) {
    *data = it.data;
    *len = (size_t)it.u;
  }
  return rc;
}

tf_status_t tf_cbor_read_text(tf_cbor_reader_t *r, const char **text, size_t *len) {
  tf_cbor_item_t it;
  tf_status_t rc = read_expect(r, TF_CBOR_TEXT, &it);

  if (rc == TF_OK) {
    *text = (const char *)it.data;
    *len = (size_t)it.u;
  }
  return rc;
}

tf_status_t tf_cbor_read_array(tf_cbor_reader_t *r, size_t *count) {
  tf_cbor_item_t it;
  tf_status_t rc = read_expect(r, TF_CBOR_ARRAY, &it);

  if (rc == TF_OK) {
    *count = (size_t)it.u; /* <= bytes left, see decode() */
  }
  return rc;
}

tf_status_t tf_cbor_read_map(tf_cbor_reader_t *r, size_t *pairs) {
  tf_cbor_item_t it;
  tf_status_t rc = read_expect(r, TF_CBOR_MAP, &it);

  if (rc == TF_OK) {
    *pairs = (size_t)it.u;
  }
  return rc;
}

tf_status_t tf_cbor_read_tag(tf_cbor_reader_t *r, uint64_t *tag) {
  tf_cbor_item_t it;
  tf_status_t rc = read_expect(r, TF_CBOR_TAG, &it);

  if (rc == TF_OK) {
    *tag = it.u;
  }
  return rc;
}

tf_status_t tf_cbor_read_bool(tf_cbor_reader_t *r, bool *value) {
  tf_status_t rc = TF_OK;
  tf_cbor_item_t it;
  size_t next = 0;

  rc = decode(r, &it, &next);
  if (rc != TF_OK) {
    goto out;
  }
  if (it.type != TF_CBOR_SIMPLE || (it.u != TF_CBOR_SIMPLE_FALSE && it.u != TF_CBOR_SIMPLE_TRUE)) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  *value = it.u == TF_CBOR_SIMPLE_TRUE;
  r->pos = next;
out:
  return rc;
}

tf_status_t tf_cbor_read_null(tf_cbor_reader_t *r) {
  tf_status_t rc = TF_OK;
  tf_cbor_item_t it;
  size_t next = 0;

  rc = decode(r, &it, &next);
  if (rc != TF_OK) {
    goto out;
  }
  if (it.type != TF_CBOR_SIMPLE || it.u != TF_CBOR_SIMPLE_NULL) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  r->pos = next;
out:
  return rc;
}

tf_status_t tf_cbor_read_float(tf_cbor_reader_t *r, double *value) {
  tf_cbor_item_t it;
  tf_status_t rc = read_expect(r, TF_CBOR_FLOAT, &it);

  if (rc == TF_OK) {
    *value = it.f;
  }
  return rc;
}
