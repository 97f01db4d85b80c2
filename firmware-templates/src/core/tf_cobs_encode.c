/*
 * COBS encoder (Cheshire and Baker 1999). The input is cut into groups at each 0x00 and after
 * 254 non-zero bytes; each group is written as a code byte (1 + number of data bytes) followed
 * by its data bytes. A code below 0xFF implies a 0x00 after its group, except after the last
 * group. Shortest form: a final group of exactly 254 bytes (code 0xFF) is not followed by an
 * empty 0x01 group; decoders accept both forms.
 */
#include "tinyfleet/tf_cobs.h"

tf_status_t tf_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len) {
  tf_status_t rc = TF_OK;
  size_t code_pos = 0; /* where the code byte of the open group goes */
  size_t out = 1;      /* next data byte position */
  uint8_t code = 1;
  size_t i;

  if (dst == NULL || out_len == NULL || (src == NULL && len > 0)) {
    rc = TF_STATUS_BAD_FIELD;
    goto out;
  }
  if (cap < 1) {
    rc = TF_STATUS_NO_SPACE;
    goto out;
  }
  for (i = 0; i < len; i++) {
    if (src[i] != 0) {
      if (out >= cap) {
        rc = TF_STATUS_NO_SPACE;
        goto out;
      }
      dst[out++] = src[i];
      code++;
    }
    if (src[i] == 0 || code == 0xFF) {
      dst[code_pos] = code;
      code = 1;
      if (src[i] == 0 || i + 1 < len) {
        /* open the next group: it needs its code byte */
        if (out >= cap) {
          rc = TF_STATUS_NO_SPACE;
          goto out;
        }
        code_pos = out++;
      } else {
        code_pos = SIZE_MAX; /* a final 0xFF group closes the frame */
      }
    }
  }
  if (code_pos != SIZE_MAX) {
    dst[code_pos] = code;
  }
  *out_len = out;
out:
  return rc;
}
