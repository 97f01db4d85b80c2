/*
 * tf_nn_run: host tool for the bit-exact tests (test/firmware/nn-*.test.ts).
 *
 *   tf_nn_run model MODEL.tfm INPUTS.bin   validates + prepares the artifact, runs every input
 *                                           (INPUTS.bin = concatenated input tensors) and prints
 *                                           "plan arena_required=A arena_infer_bytes=B ram=R" then
 *                                           one line of output hex per input
 *   tf_nn_run requant < CASES               each line "a_bits b_bits c_bits p x0 x1 ..." (hex bits,
 *                                           decimal ints): prints "M k y0 y1 ..." or "ERR <status>"
 * Exit status 0, or 1 with "error: <status> at <step>" on stderr.
 */
#include "tinyfleet/tf_artifact.h"
#include "tinyfleet/tf_interp.h"
#include "tinyfleet/tf_requant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (4u * 1024u * 1024u)

/* 16-aligned like a model slot (§5.1) */
static union {
  uint8_t b[MAX_FILE];
  uint64_t align;
} g_model, g_inputs, g_arena, g_ram;
static tf_interp_t g_it;

static long read_file(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n;

  if (f == NULL) {
    return -1;
  }
  n = fread(buf, 1, cap, f);
  fclose(f);
  return (long)n;
}

static int run_model(const char *model, const char *inputs) {
  tf_artifact_t a;
  tf_status_t rc;
  long mlen = read_file(model, g_model.b, MAX_FILE);
  long ilen = read_file(inputs, g_inputs.b, MAX_FILE);
  uint32_t ram = 0;
  long off;

  if (mlen < 0 || ilen < 0) {
    fprintf(stderr, "error: cannot read %s or %s\n", model, inputs);
    return 1;
  }
  rc = tf_artifact_open(&a, g_model.b, (size_t)mlen);
  if (rc != TF_OK) {
    fprintf(stderr, "error: %s at tf_artifact_open\n", tf_status_name(rc));
    return 1;
  }
  rc = tf_interp_ram_size(&a, &ram);
  if (rc == TF_OK) rc = tf_interp_prepare(&g_it, &a, g_arena.b, a.arena_infer_bytes, g_ram.b, ram);
  if (rc != TF_OK) {
    fprintf(stderr, "error: %s at tf_interp_prepare\n", tf_status_name(rc));
    return 1;
  }
  printf("plan arena_required=%u arena_infer_bytes=%u ram=%u ops=%u\n", (unsigned)g_it.arena_required,
         (unsigned)a.arena_infer_bytes, (unsigned)ram, (unsigned)g_it.op_count);
  for (off = 0; off + (long)g_it.input_bytes <= ilen; off += (long)g_it.input_bytes) {
    uint32_t i;
    rc = tf_interp_invoke(&g_it, g_inputs.b + off, g_it.input_bytes);
    if (rc != TF_OK) {
      fprintf(stderr, "error: %s at tf_interp_invoke\n", tf_status_name(rc));
      return 1;
    }
    for (i = 0; i < g_it.output_bytes; i++) {
      printf("%02x", g_it.output[i]);
    }
    printf("\n");
  }
  return 0;
}

static int run_requant(void) {
  char line[8192];

  while (fgets(line, sizeof line, stdin) != NULL) {
    char *s = line;
    char *end;
    unsigned long ab = strtoul(s, &end, 16);
    unsigned long bb = strtoul(end, &end, 16);
    unsigned long cb = strtoul(end, &end, 16);
    long p = strtol(end, &end, 10);
    tf_requant_t r;
    tf_status_t rc = tf_requant_derive((uint32_t)ab, (uint32_t)bb, (uint32_t)cb, (int32_t)p, &r);
    if (rc != TF_OK) {
      printf("ERR %s\n", tf_status_name(rc));
      continue;
    }
    printf("%ld %ld", (long)r.multiplier, (long)r.shift);
    for (;;) {
      long x;
      s = end;
      x = strtol(s, &end, 10);
      if (end == s) {
        break;
      }
      printf(" %ld", (long)tf_requantize((int32_t)x, &r));
    }
    printf("\n");
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "model") == 0) {
    return run_model(argv[2], argv[3]);
  }
  if (argc == 2 && strcmp(argv[1], "requant") == 0) {
    return run_requant();
  }
  fprintf(stderr, "usage: tf_nn_run model MODEL.tfm INPUTS.bin | tf_nn_run requant < CASES\n");
  return 2;
}
