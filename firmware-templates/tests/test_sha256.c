/* SHA-256 (FIPS 180-4): NIST example vectors, padding boundaries, incremental use. */
#include "tf_test.h"

#include "tinyfleet/tf_sha256.h"

#include <string.h>

static void expect_digest(const void *msg, size_t len, const char *hex) {
  uint8_t want[32], got[32];

  TF_CHECK_EQ(tf_test_hex(hex, want, sizeof want), 32u);
  tf_sha256(msg, len, got);
  TF_CHECK_MEM(got, want, 32);
}

static void abc(void) {
  expect_digest("abc", 3, "ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad");
}

static void empty(void) {
  expect_digest("", 0, "e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855");
}

static void message_448_bits(void) {
  static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  expect_digest(m, strlen(m), "248d6a61 d20638b8 e5c02693 0c3e6039 a33ce459 64ff2167 f6ecedd4 19db06c1");
}

static void message_896_bits(void) {
  static const char m[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                          "mnopqrstnopqrstu";
  expect_digest(m, strlen(m), "cf5b16a7 78af8380 036ce59e 7b049237 0b249b11 e8f07a51 afac4503 7afee9d1");
}

static void one_million_a(void) {
  uint8_t chunk[1000];
  uint8_t want[32], got[32];
  tf_sha256_ctx_t c;
  int i;

  memset(chunk, 'a', sizeof chunk);
  tf_sha256_init(&c);
  for (i = 0; i < 1000; i++) {
    tf_sha256_update(&c, chunk, sizeof chunk);
  }
  tf_sha256_final(&c, got);
  tf_test_hex("cdc76e5c 9914fb92 81a1c7e2 84d73e67 f1809a48 a497200e 046d39cc c7112cd0", want, sizeof want);
  TF_CHECK_MEM(got, want, 32);
}

/* Lengths around the 55/56/64-byte padding edges (expected values from Python's hashlib). */
static void padding_boundaries(void) {
  static const struct {
    size_t n;
    const char *hex;
  } v[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  uint8_t msg[128];
  size_t i;

  memset(msg, 'a', sizeof msg);
  for (i = 0; i < sizeof v / sizeof v[0]; i++) {
    expect_digest(msg, v[i].n, v[i].hex);
  }
}

static void incremental_any_split(void) {
  uint8_t msg[200];
  uint8_t whole[32], part[32];
  tf_sha256_ctx_t c;
  size_t i, a, b;

  for (i = 0; i < sizeof msg; i++) {
    msg[i] = (uint8_t)(i * 37u + 11u);
  }
  tf_sha256(msg, sizeof msg, whole);
  for (a = 0; a <= sizeof msg; a += 7) {
    for (b = a; b <= sizeof msg; b += 13) {
      tf_sha256_init(&c);
      tf_sha256_update(&c, msg, a);
      tf_sha256_update(&c, msg + a, b - a);
      tf_sha256_update(&c, NULL, 0);
      tf_sha256_update(&c, msg + b, sizeof msg - b);
      tf_sha256_final(&c, part);
      if (!TF_CHECK_MEM(part, whole, 32)) {
        return;
      }
    }
  }
}

int main(void) {
  TF_TEST_RUN(abc);
  TF_TEST_RUN(empty);
  TF_TEST_RUN(message_448_bits);
  TF_TEST_RUN(message_896_bits);
  TF_TEST_RUN(one_million_a);
  TF_TEST_RUN(padding_boundaries);
  TF_TEST_RUN(incremental_any_split);
  return tf_test_finish();
}
