/**
 * @file tf_cbor.h
 * @brief Bounded CBOR (RFC 8949) reader with a cursor API, and a CBOR writer into a caller buffer.
 *
 * Reader
 * ------
 * The reader walks a buffer item head by item head (RFC 8949 §3): tf_cbor_read() returns the
 * next head and advances past it; for definite byte/text strings it also steps over the
 * content and returns a pointer to it inside the buffer (zero copy). Containers are *not*
 * entered recursively: after an array head of n elements, the next n items are its elements;
 * the caller walks them, or calls tf_cbor_skip() to step over one whole item.
 *
 * Safety on untrusted input:
 *  - no recursion and no allocation anywhere; tf_cbor_skip() uses an explicit stack bounded by
 *    the reader's max_depth (<= TF_CBOR_MAX_DEPTH); deeper nesting is TF_STATUS_TOO_LARGE;
 *  - every length is checked against the bytes left before use; an array or map head whose
 *    count cannot fit in the remaining bytes is TF_STATUS_TRUNCATED, so counts returned by
 *    the reader are always <= the buffer length and safe to loop on;
 *  - not-well-formed input (reserved additional information 28..30, two-byte simple values
 *    below 32, a break outside an indefinite container, wrong chunk types inside an indefinite
 *    string) is TF_STATUS_MALFORMED; input that ends early is TF_STATUS_TRUNCATED;
 *  - on any error the reader position is unchanged.
 * Not checked (RFC 8949 "validity", not well-formedness): UTF-8 of text strings, duplicate map
 * keys, tag content types.
 *
 * Writer
 * ------
 * Writes preferred serialization (RFC 8949 §4.1: shortest heads, shortest exact float for
 * tf_cbor_write_float()). The first write that does not fit sets a sticky TF_STATUS_NO_SPACE;
 * nothing of that item is written and every later write is a no-op returning the same status,
 * so a message can be written with unchecked calls and one check at the end. A writer
 * initialised with a NULL buffer only counts bytes (to size a buffer).
 */
#ifndef TF_CBOR_H
#define TF_CBOR_H

#include "tinyfleet/tf_status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest nesting depth tf_cbor_skip() can track (size of its explicit stack). */
#define TF_CBOR_MAX_DEPTH 16u

/** Simple values (RFC 8949 §3.3). */
#define TF_CBOR_SIMPLE_FALSE 20u
#define TF_CBOR_SIMPLE_TRUE 21u
#define TF_CBOR_SIMPLE_NULL 22u
#define TF_CBOR_SIMPLE_UNDEFINED 23u

/** Kind of an item head. */
typedef enum tf_cbor_type {
  TF_CBOR_UINT = 0,  /**< major type 0; value in u */
  TF_CBOR_NINT = 1,  /**< major type 1; value is -1 - u */
  TF_CBOR_BYTES = 2, /**< major type 2; length in u, content in data (definite only) */
  TF_CBOR_TEXT = 3,  /**< major type 3; as BYTES, UTF-8 not validated */
  TF_CBOR_ARRAY = 4, /**< major type 4; element count in u (definite only) */
  TF_CBOR_MAP = 5,   /**< major type 5; pair count in u (definite only) */
  TF_CBOR_TAG = 6,   /**< major type 6; tag number in u; one item follows */
  TF_CBOR_SIMPLE = 7, /**< major type 7, simple value in u (false, true, null, undefined, ...) */
  TF_CBOR_FLOAT = 8, /**< major type 7, half/single/double in f; encoded width in float_bytes */
  TF_CBOR_BREAK = 9  /**< the "break" stop code 0xFF ending an indefinite-length item */
} tf_cbor_type_t;

/** One decoded item head. */
typedef struct tf_cbor_item {
  tf_cbor_type_t type;
  bool indefinite;      /**< BYTES/TEXT/ARRAY/MAP of indefinite length (u is 0) */
  uint8_t float_bytes;  /**< FLOAT: 2, 4 or 8 */
  uint64_t u;           /**< argument; see tf_cbor_type_t */
  const uint8_t *data;  /**< BYTES/TEXT (definite): content, points into the reader's buffer */
  double f;             /**< FLOAT: the value (half and single widen exactly) */
} tf_cbor_item_t;

/** Reader cursor over a caller buffer; fields are read-only for callers. */
typedef struct tf_cbor_reader {
  const uint8_t *buf;
  size_t len;
  size_t pos;        /**< offset of the next head */
  uint8_t max_depth; /**< nesting limit for tf_cbor_skip() */
} tf_cbor_reader_t;

/**
 * Starts reading @p len bytes at @p buf. @p max_depth is the nesting limit of tf_cbor_skip(),
 * 1..TF_CBOR_MAX_DEPTH (TF_STATUS_OUT_OF_RANGE otherwise).
 */
tf_status_t tf_cbor_reader_init(tf_cbor_reader_t *r, const uint8_t *buf, size_t len, uint8_t max_depth);

/** Bytes not yet consumed. */
size_t tf_cbor_reader_remaining(const tf_cbor_reader_t *r);

/** Decodes the next head without consuming it. */
tf_status_t tf_cbor_peek(const tf_cbor_reader_t *r, tf_cbor_item_t *item);

/** Decodes the next head and consumes it (and the content of a definite string). */
tf_status_t tf_cbor_read(tf_cbor_reader_t *r, tf_cbor_item_t *item);

/**
 * Consumes one complete item: a scalar, a string (also chunked), or a container with all its
 * contents, with any tags in front of it. Iterative, depth-limited by r->max_depth.
 */
tf_status_t tf_cbor_skip(tf_cbor_reader_t *r);

/*
 * Typed reads. Each consumes exactly one head of the expected kind; on a different kind it
 * returns TF_STATUS_BAD_FIELD, on a value that does not fit the C type TF_STATUS_OUT_OF_RANGE,
 * and consumes nothing. Tags in front are not skipped (read them with tf_cbor_read_tag()).
 */
tf_status_t tf_cbor_read_uint(tf_cbor_reader_t *r, uint64_t *value);
tf_status_t tf_cbor_read_u32(tf_cbor_reader_t *r, uint32_t *value);
tf_status_t tf_cbor_read_int(tf_cbor_reader_t *r, int64_t *value);
/** Definite-length byte string; @p data points into the reader's buffer. */
tf_status_t tf_cbor_read_bytes(tf_cbor_reader_t *r, const uint8_t **data, size_t *len);
/** Definite-length text string, not NUL-terminated; @p text points into the reader's buffer. */
tf_status_t tf_cbor_read_text(tf_cbor_reader_t *r, const char **text, size_t *len);
/** Definite-length array head; @p count elements follow. */
tf_status_t tf_cbor_read_array(tf_cbor_reader_t *r, size_t *count);
/** Definite-length map head; @p pairs key/value pairs follow. */
tf_status_t tf_cbor_read_map(tf_cbor_reader_t *r, size_t *pairs);
tf_status_t tf_cbor_read_tag(tf_cbor_reader_t *r, uint64_t *tag);
tf_status_t tf_cbor_read_bool(tf_cbor_reader_t *r, bool *value);
tf_status_t tf_cbor_read_null(tf_cbor_reader_t *r);
/** Half, single or double precision float. */
tf_status_t tf_cbor_read_float(tf_cbor_reader_t *r, double *value);

/** Writer over a caller buffer; fields are read-only for callers. */
typedef struct tf_cbor_writer {
  uint8_t *buf;       /**< NULL: measure only */
  size_t cap;
  size_t len;         /**< bytes written (or that would have been written) */
  tf_status_t status; /**< TF_OK or the first error (sticky) */
} tf_cbor_writer_t;

/** Starts writing into @p buf of @p cap bytes; @p buf NULL counts bytes only (cap ignored). */
void tf_cbor_writer_init(tf_cbor_writer_t *w, uint8_t *buf, size_t cap);

/** TF_OK, or the first error of any write so far. */
tf_status_t tf_cbor_writer_status(const tf_cbor_writer_t *w);

/** Encoded length so far. */
size_t tf_cbor_writer_len(const tf_cbor_writer_t *w);

tf_status_t tf_cbor_write_uint(tf_cbor_writer_t *w, uint64_t value);
tf_status_t tf_cbor_write_int(tf_cbor_writer_t *w, int64_t value);
tf_status_t tf_cbor_write_bytes(tf_cbor_writer_t *w, const void *data, size_t len);
tf_status_t tf_cbor_write_text(tf_cbor_writer_t *w, const char *text, size_t len);
/** NUL-terminated text (the NUL is not written). */
tf_status_t tf_cbor_write_cstr(tf_cbor_writer_t *w, const char *text);
tf_status_t tf_cbor_write_array(tf_cbor_writer_t *w, uint64_t count);
tf_status_t tf_cbor_write_map(tf_cbor_writer_t *w, uint64_t pairs);
/** Indefinite-length array/map heads; end them with tf_cbor_write_break(). */
tf_status_t tf_cbor_write_array_indefinite(tf_cbor_writer_t *w);
tf_status_t tf_cbor_write_map_indefinite(tf_cbor_writer_t *w);
tf_status_t tf_cbor_write_break(tf_cbor_writer_t *w);
tf_status_t tf_cbor_write_tag(tf_cbor_writer_t *w, uint64_t tag);
tf_status_t tf_cbor_write_bool(tf_cbor_writer_t *w, bool value);
tf_status_t tf_cbor_write_null(tf_cbor_writer_t *w);
tf_status_t tf_cbor_write_undefined(tf_cbor_writer_t *w);
/** Simple value 0..23 or 32..255 (24..31 are reserved: TF_STATUS_OUT_OF_RANGE). */
tf_status_t tf_cbor_write_simple(tf_cbor_writer_t *w, uint8_t value);
tf_status_t tf_cbor_write_float32(tf_cbor_writer_t *w, float value);
tf_status_t tf_cbor_write_float64(tf_cbor_writer_t *w, double value);
/** Shortest of half/single/double that holds @p value exactly; NaN as half 0x7E00. */
tf_status_t tf_cbor_write_float(tf_cbor_writer_t *w, double value);

#endif /* TF_CBOR_H */
