/*
 * CBOR writer, RFC 8949 preferred serialization (§4.1): every head uses the shortest argument
 * form (§3), floats written with tf_cbor_write_float() use the shortest exact width (§4.2.2 for
 * NaN: 0xF97E00). An item that does not fit is not written at all and the error is sticky.
 */
#include "tinyfleet/tf_cbor.h"

#include <float.h>
#include <string.h>

void tf_cbor_writer_init(tf_cbor_writer_t *w, uint8_t *buf, size_t cap) {
  w->buf = buf;
  w->cap = buf != NULL ? cap : 0u;
  w->len = 0;
  w->status = TF_OK;
}

tf_status_t tf_cbor_writer_status(const tf_cbor_writer_t *w) {
  return w->status;
}

size_t tf_cbor_writer_len(const tf_cbor_writer_t *w) {
  return w->len;
}

/* Appends head bytes plus optional content as one unit. */
static tf_status_t put(tf_cbor_writer_t *w, const uint8_t *head, size_t head_len, const void *content,
                       size_t content_len) {
  if (w->status != TF_OK) {
    goto out;
  }
  if (content_len > SIZE_MAX - head_len || head_len + content_len > SIZE_MAX - w->len) {
    w->status = TF_STATUS_NO_SPACE;
    goto out;
  }
  if (w->buf != NULL) {
    if (head_len + content_len > w->cap - w->len) {
      w->status = TF_STATUS_NO_SPACE;
      goto out;
    }
    memcpy(w->buf + w->len, head, head_len);
    if (content_len > 0) {
      memcpy(w->buf + w->len + head_len, content, content_len);
    }
  }
  w->len += head_len + content_len;
out:
  return w->status;
}

/* §3: initial byte (major type << 5 | additional information) and the shortest argument. */
static size_t encode_head(uint8_t head[9], unsigned major, uint64_t arg) {
  unsigned n, i;
  uint8_t ai;

  if (arg < 24u) {
    head[0] = (uint8_t)((major << 5) | (unsigned)arg);
    return 1;
  }
  if (arg <= 0xFFu) {
    n = 1;
    ai = 24;
  } else if (arg <= 0xFFFFu) {
    n = 2;
    ai = 25;
  } else if (arg <= 0xFFFFFFFFu) {
    n = 4;
    ai = 26;
  } else {
    n = 8;
    ai = 27;
  }
  head[0] = (uint8_t)((major << 5) | ai);
  for (i = 0; i < n; i++) {
    head[1u + i] = (uint8_t)(arg >> (8u * (n - 1u - i))); /* network byte order */
  }
  return 1u + n;
}

static tf_status_t put_head(tf_cbor_writer_t *w, unsigned major, uint64_t arg, const void *content,
                            size_t content_len) {
  uint8_t head[9];
  size_t n = encode_head(head, major, arg);

  return put(w, head, n, content, content_len);
}

static tf_status_t put_byte(tf_cbor_writer_t *w, uint8_t b) {
  return put(w, &b, 1, NULL, 0);
}

tf_status_t tf_cbor_write_uint(tf_cbor_writer_t *w, uint64_t value) {
  return put_head(w, 0u, value, NULL, 0);
}

tf_status_t tf_cbor_write_int(tf_cbor_writer_t *w, int64_t value) {
  /* §3.1 major type 1 encodes -1 - n; -1 - value cannot overflow for negative int64 */
  return value >= 0 ? put_head(w, 0u, (uint64_t)value, NULL, 0) : put_head(w, 1u, (uint64_t)(-1 - value), NULL, 0);
}

tf_status_t tf_cbor_write_bytes(tf_cbor_writer_t *w, const void *data, size_t len) {
  if (data == NULL && len > 0 && w->status == TF_OK) {
    w->status = TF_STATUS_BAD_FIELD;
  }
  return put_head(w, 2u, (uint64_t)len, data, len);
}

tf_status_t tf_cbor_write_text(tf_cbor_writer_t *w, const char *text, size_t len) {
  if (text == NULL && len > 0 && w->status == TF_OK) {
    w->status = TF_STATUS_BAD_FIELD;
  }
  return put_head(w, 3u, (uint64_t)len, text, len);
}

tf_status_t tf_cbor_write_cstr(tf_cbor_writer_t *w, const char *text) {
  if (text == NULL) {
    if (w->status == TF_OK) {
      w->status = TF_STATUS_BAD_FIELD;
    }
    return w->status;
  }
  return tf_cbor_write_text(w, text, strlen(text));
}

tf_status_t tf_cbor_write_array(tf_cbor_writer_t *w, uint64_t count) {
  return put_head(w, 4u, count, NULL, 0);
}

tf_status_t tf_cbor_write_map(tf_cbor_writer_t *w, uint64_t pairs) {
  return put_head(w, 5u, pairs, NULL, 0);
}

tf_status_t tf_cbor_write_array_indefinite(tf_cbor_writer_t *w) {
  return put_byte(w, 0x9F);
}

tf_status_t tf_cbor_write_map_indefinite(tf_cbor_writer_t *w) {
  return put_byte(w, 0xBF);
}

tf_status_t tf_cbor_write_break(tf_cbor_writer_t *w) {
  return put_byte(w, 0xFF);
}

tf_status_t tf_cbor_write_tag(tf_cbor_writer_t *w, uint64_t tag) {
  return put_head(w, 6u, tag, NULL, 0);
}

tf_status_t tf_cbor_write_bool(tf_cbor_writer_t *w, bool value) {
  return put_byte(w, (uint8_t)(0xE0u | (value ? TF_CBOR_SIMPLE_TRUE : TF_CBOR_SIMPLE_FALSE)));
}

tf_status_t tf_cbor_write_null(tf_cbor_writer_t *w) {
  return put_byte(w, (uint8_t)(0xE0u | TF_CBOR_SIMPLE_NULL));
}

tf_status_t tf_cbor_write_undefined(tf_cbor_writer_t *w) {
  return put_byte(w, (uint8_t)(0xE0u | TF_CBOR_SIMPLE_UNDEFINED));
}

tf_status_t tf_cbor_write_simple(tf_cbor_writer_t *w, uint8_t value) {
  if (value >= 24u && value < 32u) {
    if (w->status == TF_OK) {
      w->status = TF_STATUS_OUT_OF_RANGE; /* §3.3: reserved */
    }
    return w->status;
  }
  return put_head(w, 7u, value, NULL, 0);
}

static tf_status_t put_float_bits(tf_cbor_writer_t *w, uint8_t ai, uint64_t bits, unsigned n) {
  uint8_t head[9];
  unsigned i;

  head[0] = (uint8_t)(0xE0u | ai);
  for (i = 0; i < n; i++) {
    head[1u + i] = (uint8_t)(bits >> (8u * (n - 1u - i)));
  }
  return put(w, head, 1u + n, NULL, 0);
}

tf_status_t tf_cbor_write_float32(tf_cbor_writer_t *w, float value) {
  uint32_t bits;

  memcpy(&bits, &value, sizeof bits);
  return put_float_bits(w, 26u, bits, 4u);
}

tf_status_t tf_cbor_write_float64(tf_cbor_writer_t *w, double value) {
  uint64_t bits;

  memcpy(&bits, &value, sizeof bits);
  return put_float_bits(w, 27u, bits, 8u);
}

/* Half-precision bits of a float if it converts exactly (§3.3, IEEE 754 binary16). */
static bool half_exact(float f, uint16_t *half) {
  uint32_t b;
  uint32_t sign, mant, full;
  int exp;
  unsigned shift;

  memcpy(&b, &f, sizeof b);
  sign = (b >> 16) & 0x8000u;
  exp = (int)((b >> 23) & 0xFFu) - 127;
  mant = b & 0x7FFFFFu;
  if (exp == 128) {
    if (mant != 0) {
      return false; /* NaN is handled by the caller */
    }
    *half = (uint16_t)(sign | 0x7C00u);
    return true;
  }
  if (exp == -127 && mant == 0) {
    *half = (uint16_t)sign; /* signed zero */
    return true;
  }
  if (exp > 15 || exp < -24) {
    return false;
  }
  if (exp >= -14) {
    if ((mant & 0x1FFFu) != 0) {
      return false;
    }
    *half = (uint16_t)(sign | ((uint32_t)(exp + 15) << 10) | (mant >> 13));
    return true;
  }
  /* half subnormal: value = full * 2^(exp-23) = k * 2^-24, k = full >> -(exp+1) */
  full = mant | 0x800000u;
  shift = (unsigned)(-(exp + 1));
  if ((full & ((1u << shift) - 1u)) != 0) {
    return false;
  }
  *half = (uint16_t)(sign | (full >> shift));
  return true;
}

tf_status_t tf_cbor_write_float(tf_cbor_writer_t *w, double value) {
  uint16_t half;
  float f;

  if (value != value) {
    return put_float_bits(w, 25u, 0x7E00u, 2u); /* §4.2.2: NaN as 0xF97E00 */
  }
  if (value > (double)FLT_MAX || value < -(double)FLT_MAX) {
    if (value - value != 0.0) { /* +-infinity */
      return put_float_bits(w, 25u, value > 0 ? 0x7C00u : 0xFC00u, 2u);
    }
    return tf_cbor_write_float64(w, value);
  }
  f = (float)value;
  if ((double)f != value) {
    return tf_cbor_write_float64(w, value);
  }
  if (half_exact(f, &half)) {
    return put_float_bits(w, 25u, half, 2u);
  }
  return tf_cbor_write_float32(w, f);
}
