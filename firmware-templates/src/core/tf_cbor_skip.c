/*
 * Skips one complete CBOR data item (RFC 8949 §3) without recursion: nesting is tracked on an
 * explicit stack of at most r->max_depth (<= TF_CBOR_MAX_DEPTH) frames on the C stack.
 * Checks well-formedness on the way (RFC 8949 Appendix C): breaks only end indefinite items,
 * chunks of an indefinite string are definite strings of the same major type (§3.2.3).
 */
#include "tinyfleet/tf_cbor.h"

enum frame_kind {
  FRAME_DEFINITE = 0,    /* array/map: `left` items remain */
  FRAME_INDEFINITE = 1,  /* array of indefinite length: items until a break */
  FRAME_INDEFINITE_MAP = 4, /* map of indefinite length: an even number of items until a break */
  FRAME_CHUNKS_BYTES = 2, /* indefinite byte string: definite byte string chunks until a break */
  FRAME_CHUNKS_TEXT = 3  /* indefinite text string: definite text string chunks until a break */
};

typedef struct frame {
  uint64_t left;
  uint8_t kind;
} frame_t;

tf_status_t tf_cbor_skip(tf_cbor_reader_t *r) {
  tf_status_t rc = TF_OK;
  frame_t stack[TF_CBOR_MAX_DEPTH];
  unsigned depth = 0;
  tf_cbor_reader_t cur = *r; /* work on a copy: nothing is consumed on error */
  tf_cbor_item_t it;
  frame_t *top;
  bool tagged = false; /* a tag head was read and its item has not started yet */

  for (;;) {
    rc = tf_cbor_read(&cur, &it);
    if (rc != TF_OK) {
      goto out;
    }
    top = depth > 0 ? &stack[depth - 1u] : NULL;
    if (top != NULL && (top->kind == FRAME_CHUNKS_BYTES || top->kind == FRAME_CHUNKS_TEXT)) {
      /* §3.2.3: inside an indefinite string only definite chunks of its type, or the break */
      tf_cbor_type_t want = top->kind == FRAME_CHUNKS_BYTES ? TF_CBOR_BYTES : TF_CBOR_TEXT;
      if (it.type != TF_CBOR_BREAK && (it.type != want || it.indefinite)) {
        rc = TF_STATUS_MALFORMED;
        goto out;
      }
    }
    if (it.type == TF_CBOR_TAG) {
      tagged = true;
      continue; /* a tag is completed by the item that follows it */
    }
    if (it.type == TF_CBOR_BREAK) {
      if (top == NULL || top->kind == FRAME_DEFINITE || tagged) {
        rc = TF_STATUS_MALFORMED; /* break outside an indefinite-length item, or after a tag */
        goto out;
      }
      if (top->kind == FRAME_INDEFINITE_MAP && (top->left & 1u) != 0) {
        rc = TF_STATUS_MALFORMED; /* a key without its value */
        goto out;
      }
      depth--; /* the indefinite item is complete */
    } else if (it.indefinite || ((it.type == TF_CBOR_ARRAY || it.type == TF_CBOR_MAP) && it.u > 0)) {
      if (depth >= r->max_depth) {
        rc = TF_STATUS_TOO_LARGE;
        goto out;
      }
      top = &stack[depth++];
      top->left = 0;
      if (it.type == TF_CBOR_BYTES) {
        top->kind = FRAME_CHUNKS_BYTES;
      } else if (it.type == TF_CBOR_TEXT) {
        top->kind = FRAME_CHUNKS_TEXT;
      } else if (it.indefinite) {
        top->kind = it.type == TF_CBOR_MAP ? FRAME_INDEFINITE_MAP : FRAME_INDEFINITE;
      } else {
        top->kind = FRAME_DEFINITE;
        /* a map of n pairs holds 2n items; n <= bytes left (checked by the reader) */
        top->left = it.type == TF_CBOR_MAP ? it.u * 2u : it.u;
      }
      tagged = false;
      continue;
    }
    tagged = false;
    /* one item is complete: count it in the enclosing containers, closing finished ones */
    while (depth > 0) {
      top = &stack[depth - 1u];
      if (top->kind != FRAME_DEFINITE) {
        top->left++; /* items so far in an indefinite container (parity check for maps) */
        break;
      }
      if (--top->left > 0) {
        break;
      }
      depth--;
    }
    if (depth == 0) {
      break;
    }
  }
  r->pos = cur.pos;
out:
  return rc;
}
