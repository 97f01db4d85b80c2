/**
 * @file tf_sha256.h
 * @brief SHA-256 as specified in FIPS 180-4 (§5.1.1 padding, §6.2 computation), incremental.
 *
 *     tf_sha256_ctx_t c;
 *     uint8_t digest[TF_SHA256_DIGEST_BYTES];
 *     tf_sha256_init(&c);
 *     tf_sha256_update(&c, part, n);   // any number of times, any sizes
 *     tf_sha256_final(&c, digest);     // c must be re-initialised before reuse
 *
 * The context is caller-owned (108 bytes); no allocation. Messages up to 2^61-1 bytes.
 */
#ifndef TF_SHA256_H
#define TF_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TF_SHA256_DIGEST_BYTES 32u
#define TF_SHA256_BLOCK_BYTES 64u

/** Hash state; fields are private. */
typedef struct tf_sha256_ctx {
  uint32_t h[8];                        /**< intermediate hash value H(i) */
  uint64_t total;                       /**< message bytes hashed so far */
  uint8_t block[TF_SHA256_BLOCK_BYTES]; /**< pending partial block */
  uint32_t fill;                        /**< bytes pending in block */
} tf_sha256_ctx_t;

/** Sets the initial hash value H(0) (FIPS 180-4 §5.3.3). */
void tf_sha256_init(tf_sha256_ctx_t *ctx);

/** Absorbs @p len bytes (@p data may be NULL if @p len is 0). */
void tf_sha256_update(tf_sha256_ctx_t *ctx, const void *data, size_t len);

/** Pads (FIPS 180-4 §5.1.1), finishes and writes the 32-byte big-endian digest. */
void tf_sha256_final(tf_sha256_ctx_t *ctx, uint8_t digest[TF_SHA256_DIGEST_BYTES]);

/** One-shot digest of a buffer. */
void tf_sha256(const void *data, size_t len, uint8_t digest[TF_SHA256_DIGEST_BYTES]);

#endif /* TF_SHA256_H */
