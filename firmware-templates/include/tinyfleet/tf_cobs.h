/**
 * @file tf_cobs.h
 * @brief Consistent Overhead Byte Stuffing (Cheshire and Baker, IEEE/ACM ToN 1999): encoder,
 *        one-shot decoder and a streaming decoder that resynchronises on 0x00.
 *
 * Encoded data never contains 0x00, so 0x00 delimits frames on a byte stream. The functions
 * here encode and decode the *content between delimiters*; the caller writes the delimiter
 * (tf_cobs_encode does not append it). The streaming decoder consumes a raw byte stream
 * including delimiters.
 *
 * Sizes: encoding n bytes yields at most TF_COBS_MAX_ENCODED_LEN(n) bytes (one code byte per
 * started run of 254 bytes, plus one). Decoding never produces more bytes than it consumes.
 *
 * No allocation: all buffers are owned by the caller. All functions are reentrant.
 */
#ifndef TF_COBS_H
#define TF_COBS_H

#include "tinyfleet/tf_status.h"

#include <stddef.h>
#include <stdint.h>

/** Worst-case encoded size of @p n bytes, without the 0x00 delimiter. */
#define TF_COBS_MAX_ENCODED_LEN(n) ((n) + ((n) / 254u) + 1u)

/**
 * Encodes @p len bytes of @p src into @p dst (capacity @p cap); no delimiter is appended.
 * @param[out] out_len encoded length on success (always >= 1).
 * @return TF_OK; TF_STATUS_NO_SPACE if @p cap is too small (nothing meaningful in @p dst);
 *         TF_STATUS_BAD_FIELD for NULL pointers. @p src and @p dst must not overlap.
 */
tf_status_t tf_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len);

/**
 * Decodes one encoded frame (without its delimiter).
 * @param[out] out_len decoded length on success.
 * @return TF_OK; TF_STATUS_MALFORMED if @p src contains 0x00, is empty, or a code byte points past
 *         the end; TF_STATUS_NO_SPACE if @p cap is too small; TF_STATUS_BAD_FIELD for NULL
 *         pointers. @p dst may equal @p src (in-place decoding), other overlaps are not allowed.
 */
tf_status_t tf_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len);

/**
 * Streaming decoder state. Initialise with tf_cobs_decoder_init(); fields are private.
 * The decoder owns no memory: @p buf is a caller buffer of @p cap bytes that receives the
 * decoded frame.
 */
typedef struct tf_cobs_decoder {
  uint8_t *buf;   /**< caller buffer for the decoded frame */
  size_t cap;     /**< capacity of buf */
  size_t len;     /**< decoded bytes so far in the current frame */
  uint8_t left;   /**< data bytes left in the current group (0: next byte is a code byte) */
  uint8_t code;   /**< code byte of the current group (0: no group yet in this frame) */
  uint8_t error;  /**< pending error of the current frame, reported at its delimiter (0: none) */
} tf_cobs_decoder_t;

/** Prepares @p dec to decode frames of up to @p cap bytes into @p buf. */
tf_status_t tf_cobs_decoder_init(tf_cobs_decoder_t *dec, uint8_t *buf, size_t cap);

/** Drops any partial frame; the next byte starts a new frame. */
void tf_cobs_decoder_reset(tf_cobs_decoder_t *dec);

/**
 * Feeds one byte of the raw stream.
 *
 * @param[out] frame_len 0 while a frame is in progress; on the delimiter that ends a good,
 *             non-empty frame, its decoded length (the frame is in dec->buf[0..frame_len) and
 *             stays valid until the next call).
 * @return TF_OK; at the delimiter of a bad frame: TF_STATUS_MALFORMED (the delimiter came inside a
 *         group) or TF_STATUS_TOO_LARGE (the frame did not fit dec->cap; its bytes were
 *         discarded). After reporting an error the decoder is already in sync for the next frame.
 *         Empty frames (consecutive delimiters) are ignored silently.
 */
tf_status_t tf_cobs_decoder_put(tf_cobs_decoder_t *dec, uint8_t byte, size_t *frame_len);

/**
 * Feeds bytes until a frame completes, an error is reported, or the input is used up.
 *
 * @param[out] consumed bytes of @p data used (always >= 1 when @p len > 0); call again with
 *             the rest.
 * @param[out] frame_len as tf_cobs_decoder_put(): non-zero when a frame completed.
 * @return as tf_cobs_decoder_put().
 */
tf_status_t tf_cobs_decoder_feed(tf_cobs_decoder_t *dec, const uint8_t *data, size_t len, size_t *consumed,
                                 size_t *frame_len);

#endif /* TF_COBS_H */
