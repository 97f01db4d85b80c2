/*
 * SHA-256, FIPS 180-4. Section numbers below refer to that standard.
 * Words are big-endian (§3.1); the message schedule uses a rolling 16-word window, which
 * computes the same W_t as §6.2.2 step 1 with a quarter of the stack.
 */
#include "tinyfleet/tf_sha256.h"

#include <string.h>

/* §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t k_round[64] = {
    0x428A2F98u, 0x71374491u, 0xB5C0FBCFu, 0xE9B5DBA5u, 0x3956C25Bu, 0x59F111F1u, 0x923F82A4u, 0xAB1C5ED5u,
    0xD807AA98u, 0x12835B01u, 0x243185BEu, 0x550C7DC3u, 0x72BE5D74u, 0x80DEB1FEu, 0x9BDC06A7u, 0xC19BF174u,
    0xE49B69C1u, 0xEFBE4786u, 0x0FC19DC6u, 0x240CA1CCu, 0x2DE92C6Fu, 0x4A7484AAu, 0x5CB0A9DCu, 0x76F988DAu,
    0x983E5152u, 0xA831C66Du, 0xB00327C8u, 0xBF597FC7u, 0xC6E00BF3u, 0xD5A79147u, 0x06CA6351u, 0x14292967u,
    0x27B70A85u, 0x2E1B2138u, 0x4D2C6DFCu, 0x53380D13u, 0x650A7354u, 0x766A0ABBu, 0x81C2C92Eu, 0x92722C85u,
    0xA2BFE8A1u, 0xA81A664Bu, 0xC24B8B70u, 0xC76C51A3u, 0xD192E819u, 0xD6990624u, 0xF40E3585u, 0x106AA070u,
    0x19A4C116u, 0x1E376C08u, 0x2748774Cu, 0x34B0BCB5u, 0x391C0CB3u, 0x4ED8AA4Au, 0x5B9CCA4Fu, 0x682E6FF3u,
    0x748F82EEu, 0x78A5636Fu, 0x84C87814u, 0x8CC70208u, 0x90BEFFFAu, 0xA4506CEBu, 0xBEF9A3F7u, 0xC67178F2u,
};

/* §5.3.3: first 32 bits of the fractional parts of the square roots of the first 8 primes. */
static const uint32_t k_init[8] = {
    0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
};

/* §3.2 ROTR^n(x) and §4.1.2 functions. */
#define ROTR(x, n) (((x) >> (n)) | ((x) << (32u - (n))))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (ROTR((x), 2u) ^ ROTR((x), 13u) ^ ROTR((x), 22u))
#define BSIG1(x) (ROTR((x), 6u) ^ ROTR((x), 11u) ^ ROTR((x), 25u))
#define SSIG0(x) (ROTR((x), 7u) ^ ROTR((x), 18u) ^ ((x) >> 3u))
#define SSIG1(x) (ROTR((x), 17u) ^ ROTR((x), 19u) ^ ((x) >> 10u))

static uint32_t load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* §6.2.2: process one 512-bit block M(i). */
static void compress(uint32_t h[8], const uint8_t block[64]) {
  uint32_t w[16];
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  uint32_t t1, t2, wt;
  unsigned t;

  for (t = 0; t < 16; t++) {
    w[t] = load_be32(block + 4u * t);
  }
  for (t = 0; t < 64; t++) {
    if (t < 16) {
      wt = w[t];
    } else {
      /* W_t = SSIG1(W_t-2) + W_t-7 + SSIG0(W_t-15) + W_t-16, indices mod 16 */
      wt = SSIG1(w[(t - 2u) & 15u]) + w[(t - 7u) & 15u] + SSIG0(w[(t - 15u) & 15u]) + w[t & 15u];
      w[t & 15u] = wt;
    }
    t1 = hh + BSIG1(e) + CH(e, f, g) + k_round[t] + wt;
    t2 = BSIG0(a) + MAJ(a, b, c);
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void tf_sha256_init(tf_sha256_ctx_t *ctx) {
  memcpy(ctx->h, k_init, sizeof ctx->h);
  ctx->total = 0;
  ctx->fill = 0;
}

void tf_sha256_update(tf_sha256_ctx_t *ctx, const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  size_t n;

  ctx->total += len;
  while (len > 0) {
    if (ctx->fill == 0 && len >= TF_SHA256_BLOCK_BYTES) {
      compress(ctx->h, p); /* whole blocks straight from the input */
      p += TF_SHA256_BLOCK_BYTES;
      len -= TF_SHA256_BLOCK_BYTES;
      continue;
    }
    n = TF_SHA256_BLOCK_BYTES - ctx->fill;
    if (n > len) {
      n = len;
    }
    memcpy(ctx->block + ctx->fill, p, n);
    ctx->fill += (uint32_t)n;
    p += n;
    len -= n;
    if (ctx->fill == TF_SHA256_BLOCK_BYTES) {
      compress(ctx->h, ctx->block);
      ctx->fill = 0;
    }
  }
}

void tf_sha256_final(tf_sha256_ctx_t *ctx, uint8_t digest[TF_SHA256_DIGEST_BYTES]) {
  uint64_t bits = ctx->total * 8u;
  unsigned i;

  /* §5.1.1: append bit 1, then zeros up to 448 mod 512 bits, then the 64-bit length */
  ctx->block[ctx->fill++] = 0x80;
  if (ctx->fill > 56u) {
    memset(ctx->block + ctx->fill, 0, TF_SHA256_BLOCK_BYTES - ctx->fill);
    compress(ctx->h, ctx->block);
    ctx->fill = 0;
  }
  memset(ctx->block + ctx->fill, 0, 56u - ctx->fill);
  store_be32(ctx->block + 56, (uint32_t)(bits >> 32));
  store_be32(ctx->block + 60, (uint32_t)bits);
  compress(ctx->h, ctx->block);
  /* §6.2.2 step 4 result H(N), big-endian */
  for (i = 0; i < 8; i++) {
    store_be32(digest + 4u * i, ctx->h[i]);
  }
  memset(ctx, 0, sizeof *ctx);
}

void tf_sha256(const void *data, size_t len, uint8_t digest[TF_SHA256_DIGEST_BYTES]) {
  tf_sha256_ctx_t ctx;

  tf_sha256_init(&ctx);
  tf_sha256_update(&ctx, data, len);
  tf_sha256_final(&ctx, digest);
}
