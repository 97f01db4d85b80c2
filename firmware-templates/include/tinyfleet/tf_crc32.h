/**
 * @file tf_crc32.h
 * @brief CRC-32 as specified in PROTOCOL.md §1.2: IEEE 802.3 polynomial, reflected, initial
 *        value 0xFFFFFFFF, final XOR 0xFFFFFFFF (identical to zlib's crc32()).
 *
 * Check value: tf_crc32("123456789", 9) == 0xCBF43926.
 * Incremental use follows zlib: start from 0 and pass the previous result back in:
 *
 *     uint32_t c = 0;
 *     c = tf_crc32_update(c, part1, n1);
 *     c = tf_crc32_update(c, part2, n2);   // == tf_crc32(whole, n1 + n2)
 *
 * Table-driven with a 16-entry (64-byte) table: small flash footprint, ~2 lookups per byte.
 * Reentrant; no state beyond the running value.
 */
#ifndef TF_CRC32_H
#define TF_CRC32_H

#include <stddef.h>
#include <stdint.h>

/** Continues a CRC-32: @p crc is a previous result (0 to start). @p data may be NULL if @p len is 0. */
uint32_t tf_crc32_update(uint32_t crc, const void *data, size_t len);

/** CRC-32 of one buffer; same as tf_crc32_update(0, data, len). */
uint32_t tf_crc32(const void *data, size_t len);

#endif /* TF_CRC32_H */
