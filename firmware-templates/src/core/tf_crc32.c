/*
 * CRC-32, PROTOCOL.md §1.2: IEEE 802.3 polynomial 0x04C11DB7 processed reflected (0xEDB88320),
 * initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF, as zlib's crc32().
 * Four bits per step with a 16-entry table: k_nibble[i] is the CRC register after shifting the
 * nibble i through four steps of the bitwise algorithm.
 */
#include "tinyfleet/tf_crc32.h"

static const uint32_t k_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t tf_crc32_update(uint32_t crc, const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  uint32_t c = crc ^ 0xFFFFFFFFu; /* undo the final XOR of the previous call (zlib convention) */
  size_t i;

  for (i = 0; i < len; i++) {
    c ^= p[i];
    c = (c >> 4) ^ k_nibble[c & 0x0Fu];
    c = (c >> 4) ^ k_nibble[c & 0x0Fu];
  }
  return c ^ 0xFFFFFFFFu;
}

uint32_t tf_crc32(const void *data, size_t len) {
  return tf_crc32_update(0u, data, len);
}
