/*
 * Kernel golden vectors: every protocol/vectors/nn/<op>-<case>.tfkv (container of
 * protocol/vectors/README.md) through the C reference kernels (tf_nn.h), bit-exact. For each case
 * the requantization fields (`mult`/`shift`, `a_mult`..., PROTOCOL.md §6.2.2) are first checked
 * against C's own derivation from the float32 scale bits, then the kernel output against `y`; a
 * mismatch prints the file and the first differing index. FQT cases (a rank-0 `fqt_kernel` field,
 * PROTOCOL.md §6.6.11) run through the training kernels of tf_fqt.h; every expected field of the
 * case is compared (first mismatching element printed). Usage: test_nn_vectors [dir] (default: the repository's, set by CMake). Closing line: "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include "tf_test.h"

#include "tinyfleet/tf_fqt.h"
#include "tinyfleet/tf_nn.h"
#include "tinyfleet/tf_protocol.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TF_NN_VECTORS_DIR
#define TF_NN_VECTORS_DIR "../protocol/vectors/nn"
#endif
#define MAX_FILE (256u * 1024u)
#define MAX_FIELDS 48u
#define MAX_OUT 65536u

typedef struct field {
  char name[13];
  uint8_t dtype, rank;
  uint32_t shape[4];
  uint32_t count;
  const uint8_t *data;
} field_t;

typedef struct kv {
  field_t f[MAX_FIELDS];
  unsigned n;
  unsigned op;
} kv_t;

static union {
  uint8_t b[MAX_FILE];
  uint32_t align;
} g_file;
static uint8_t g_out[MAX_OUT];
static int32_t g_scratch[4096];
static tf_requant_t g_rq[256];
static char g_names[128][64];
static unsigned g_fqt;

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The .tfkv container, protocol/vectors/README.md: 16-byte header, then 32-byte field headers. */
static int parse(const uint8_t *b, size_t len, kv_t *kv) {
  size_t pos = 16;
  unsigned i, count;

  if (len < 16 || le32(b) != 0x564B4654u || (b[4] | (b[5] << 8)) != 1 || le32(b + 12) != len) {
    return -1;
  }
  kv->op = b[6];
  count = (unsigned)(b[8] | (b[9] << 8));
  if (count > MAX_FIELDS) {
    return -1;
  }
  for (i = 0; i < count; i++) {
    field_t *f = &kv->f[i];
    uint32_t esz, bytes, d;
    if (pos + 32 > len) {
      return -1;
    }
    memcpy(f->name, b + pos, 12);
    f->name[12] = '\0';
    f->dtype = b[pos + 12];
    f->rank = b[pos + 13];
    f->count = 1;
    for (d = 0; d < 4; d++) {
      f->shape[d] = le32(b + pos + 16 + 4 * d);
      if (d < f->rank) {
        f->count *= f->shape[d];
      }
    }
    esz = f->dtype == TF_DTYPE_UINT8 || f->dtype == TF_DTYPE_INT8 ? 1u : 4u;
    bytes = (f->count * esz + 3u) & ~3u;
    pos += 32;
    if (f->rank > 4 || pos + bytes > len) {
      return -1;
    }
    f->data = b + pos;
    pos += bytes;
  }
  kv->n = count;
  return pos == len ? 0 : -1;
}

static const field_t *get(const kv_t *kv, const char *name) {
  unsigned i;

  for (i = 0; i < kv->n; i++) {
    if (strcmp(kv->f[i].name, name) == 0) {
      return &kv->f[i];
    }
  }
  return NULL;
}

static int32_t i32(const kv_t *kv, const char *name, int32_t dflt) {
  const field_t *f = get(kv, name);
  return f != NULL ? (int32_t)le32(f->data) : dflt;
}

static uint32_t bits(const kv_t *kv, const char *name, uint32_t k) {
  const field_t *f = get(kv, name);
  return f != NULL && k < f->count ? le32(f->data + 4u * k) : 0u;
}

static tf_dims_t dims(const field_t *f) {
  tf_dims_t d = {1, 1, 1, 1};

  if (f->rank == 4) {
    d.n = (int32_t)f->shape[0], d.h = (int32_t)f->shape[1], d.w = (int32_t)f->shape[2], d.c = (int32_t)f->shape[3];
  } else if (f->rank == 3) { /* conv1d: [N, W, C] as H = 1 */
    d.n = (int32_t)f->shape[0], d.w = (int32_t)f->shape[1], d.c = (int32_t)f->shape[2];
  } else if (f->rank == 2) {
    d.n = (int32_t)f->shape[0], d.c = (int32_t)f->shape[1];
  }
  return d;
}

/* Checks a derived requantization against the vector's <prefix>mult / <prefix>shift entry k. */
static int check_rq(const char *file, const kv_t *kv, const char *prefix, uint32_t k, const tf_requant_t *rq) {
  char mn[16], sn[16];
  int32_t m, s;

  (void)snprintf(mn, sizeof mn, "%smult", prefix);
  (void)snprintf(sn, sizeof sn, "%sshift", prefix);
  if (get(kv, mn) == NULL) {
    return 1; /* not in this vector */
  }
  m = (int32_t)bits(kv, mn, k);
  s = (int32_t)bits(kv, sn, k);
  if (m != rq->multiplier || s != rq->shift) {
    printf("  %s: %s/%s[%u]: C derives (%ld, %ld), vector (%ld, %ld)\n", file, mn, sn, (unsigned)k,
           (long)rq->multiplier, (long)rq->shift, (long)m, (long)s);
    return 0;
  }
  return 1;
}

static tf_status_t run_conv_like(const char *file, const kv_t *kv, int *ok) {
  const field_t *x = get(kv, "x"), *w = get(kv, "w"), *y = get(kv, "y"), *ws = get(kv, "w_scale");
  tf_conv_params_t p;
  tf_dense_params_t dp;
  tf_weight_quant_t q;
  tf_dims_t xd, wd, yd;
  uint32_t k, nq;
  bool pc;
  tf_status_t rc = TF_OK;
  const int32_t *bias = get(kv, "bias") != NULL ? (const int32_t *)(const void *)get(kv, "bias")->data : NULL;

  if (x == NULL || w == NULL || y == NULL || ws == NULL || ws->count > 256u) {
    return TF_STATUS_MALFORMED;
  }
  pc = w->dtype == TF_DTYPE_INT8;
  nq = ws->count;
  for (k = 0; k < nq && rc == TF_OK; k++) { /* §6.2.2: r = s_x * s_w[k] / s_y */
    rc = tf_requant_derive(bits(kv, "x_scale", 0), bits(kv, "w_scale", k), bits(kv, "y_scale", 0), 0, &g_rq[k]);
    if (rc == TF_OK) *ok &= check_rq(file, kv, "", k, &g_rq[k]);
  }
  if (rc != TF_OK) return rc;
  q.rq = g_rq;
  q.w_zero = pc ? 0 : (int32_t)bits(kv, "w_zp", 0);
  memset(&p, 0, sizeof p);
  p.stride_h = i32(kv, "stride_h", 1), p.stride_w = i32(kv, "stride_w", 1);
  p.dilation_h = i32(kv, "dilation_h", 1), p.dilation_w = i32(kv, "dilation_w", 1);
  p.pad_top = i32(kv, "pad_top", 0), p.pad_left = i32(kv, "pad_left", 0);
  p.x_zero = i32(kv, "x_zp", 0), p.y_zero = i32(kv, "y_zp", 0);
  p.act_min = i32(kv, "act_min", 0), p.act_max = i32(kv, "act_max", 255);
  xd = dims(x), wd = dims(w), yd = dims(y);
  switch (kv->op) {
  case TF_OP_CONV2D:
    rc = pc ? tf_conv2d_pc_u8(&p, &q, &xd, x->data, &wd, (const int8_t *)(const void *)w->data, bias, &yd, g_out)
            : tf_conv2d_u8(&p, &q, &xd, x->data, &wd, w->data, bias, &yd, g_out);
    break;
  case TF_OP_DEPTHWISE_CONV2D:
    rc = pc ? tf_depthwise_conv2d_pc_u8(&p, &q, &xd, x->data, &wd, (const int8_t *)(const void *)w->data, bias, &yd, g_out)
            : tf_depthwise_conv2d_u8(&p, &q, &xd, x->data, &wd, w->data, bias, &yd, g_out);
    break;
  case TF_OP_CONV1D:
    rc = pc ? tf_conv1d_pc_u8(&p, &q, &xd, x->data, &wd, (const int8_t *)(const void *)w->data, bias, &yd, g_out)
            : tf_conv1d_u8(&p, &q, &xd, x->data, &wd, w->data, bias, &yd, g_out);
    break;
  default: /* DENSE: w [units, inputs] */
    dp.x_zero = p.x_zero, dp.y_zero = p.y_zero, dp.act_min = p.act_min, dp.act_max = p.act_max;
    rc = pc ? tf_dense_pc_u8(&dp, &q, (int32_t)x->shape[0], (int32_t)(x->count / x->shape[0]), x->data,
                             (int32_t)w->shape[0], (const int8_t *)(const void *)w->data, bias, g_out)
            : tf_dense_u8(&dp, &q, (int32_t)x->shape[0], (int32_t)(x->count / x->shape[0]), x->data,
                          (int32_t)w->shape[0], w->data, bias, g_out);
    break;
  }
  return rc;
}

static tf_status_t run_case(const char *file, const kv_t *kv, int *ok) {
  const field_t *x = get(kv, "x");
  const field_t *y = get(kv, "y");
  tf_status_t rc = TF_OK;
  tf_dims_t xd, yd;

  if (y == NULL || y->count > MAX_OUT) {
    return TF_STATUS_MALFORMED;
  }
  if (kv->op != 0 && kv->op != TF_OP_ADD && kv->op != TF_OP_CONCAT && x == NULL) {
    return TF_STATUS_MALFORMED;
  }
  switch (kv->op) {
  case 0: { /* bare requantization, §6.2: r = s_a * s_b / s_c, y = clamp(z + requant(acc)) */
    const field_t *acc = get(kv, "acc");
    uint32_t i;
    if (acc == NULL) return TF_STATUS_MALFORMED;
    rc = tf_requant_derive(bits(kv, "s_a", 0), bits(kv, "s_b", 0), bits(kv, "s_c", 0), 0, &g_rq[0]);
    if (rc != TF_OK) break;
    *ok &= check_rq(file, kv, "", 0, &g_rq[0]);
    for (i = 0; i < acc->count && i < MAX_OUT; i++) {
      g_out[i] = tf_output_stage((int32_t)le32(acc->data + 4u * i), &g_rq[0], i32(kv, "y_zp", 0), i32(kv, "act_min", 0),
                                 i32(kv, "act_max", 255));
    }
    break;
  }
  case TF_OP_CONV2D:
  case TF_OP_DEPTHWISE_CONV2D:
  case TF_OP_CONV1D:
  case TF_OP_DENSE:
    rc = run_conv_like(file, kv, ok);
    break;
  case TF_OP_RELU:
  case TF_OP_RELU6: {
    tf_relu_params_t rp;
    rp.lo = i32(kv, "x_zp", 0);
    rp.hi = 255;
    if (kv->op == TF_OP_RELU6) { /* §6.3.5: relu6_max = min(255, z + requant(6, 1.0 * 1.0 / s)) */
      rc = tf_requant_derive(TF_F32_ONE_BITS, TF_F32_ONE_BITS, bits(kv, "x_scale", 0), 0, &g_rq[0]);
      if (rc != TF_OK) break;
      rp.hi = rp.lo + tf_requantize(6, &g_rq[0]);
      rp.hi = rp.hi > 255 ? 255 : rp.hi;
      if (rp.hi != i32(kv, "act_max", rp.hi)) {
        printf("  %s: relu6_max: C derives %ld, vector act_max %ld\n", file, (long)rp.hi, (long)i32(kv, "act_max", 0));
        *ok = 0;
      }
      rc = tf_relu6_u8(&rp, x->data, g_out, x->count);
    } else {
      rc = tf_relu_u8(&rp, x->data, g_out, x->count);
    }
    break;
  }
  case TF_OP_MAXPOOL2D:
  case TF_OP_AVGPOOL2D: {
    tf_pool_params_t pp;
    pp.stride_h = i32(kv, "stride_h", 1), pp.stride_w = i32(kv, "stride_w", 1);
    pp.window_h = i32(kv, "window_h", 1), pp.window_w = i32(kv, "window_w", 1);
    pp.pad_top = i32(kv, "pad_top", 0), pp.pad_left = i32(kv, "pad_left", 0);
    pp.act_min = i32(kv, "act_min", 0), pp.act_max = i32(kv, "act_max", 255);
    xd = dims(x), yd = dims(y);
    rc = kv->op == TF_OP_MAXPOOL2D ? tf_maxpool2d_u8(&pp, &xd, x->data, &yd, g_out)
                                   : tf_avgpool2d_u8(&pp, &xd, x->data, &yd, g_out);
    break;
  }
  case TF_OP_GLOBAL_AVGPOOL:
    xd = dims(x);
    rc = tf_global_avgpool_u8(&xd, x->data, g_out);
    break;
  case TF_OP_ADD: {
    tf_add_params_t ap;
    const field_t *a = get(kv, "a"), *b = get(kv, "b");
    uint32_t sa = bits(kv, "a_scale", 0), sb = bits(kv, "b_scale", 0);
    uint32_t m = sa > sb ? sa : sb; /* positive float32: bit order is value order */
    if (a == NULL || b == NULL) return TF_STATUS_MALFORMED;
    ap.a_zero = i32(kv, "a_zp", 0), ap.b_zero = i32(kv, "b_zp", 0), ap.y_zero = i32(kv, "y_zp", 0);
    /* §6.3.8: s_a/2m, s_b/2m, 2m/(2^20 s_y) */
    rc = tf_requant_derive(sa, TF_F32_ONE_BITS, m, -1, &ap.a);
    if (rc == TF_OK) rc = tf_requant_derive(sb, TF_F32_ONE_BITS, m, -1, &ap.b);
    if (rc == TF_OK) rc = tf_requant_derive(m, TF_F32_ONE_BITS, bits(kv, "y_scale", 0), 1 - TF_ADD_LEFT_SHIFT, &ap.y);
    if (rc != TF_OK) break;
    *ok &= check_rq(file, kv, "a_", 0, &ap.a);
    *ok &= check_rq(file, kv, "b_", 0, &ap.b);
    *ok &= check_rq(file, kv, "y_", 0, &ap.y);
    rc = tf_add_u8(&ap, a->data, b->data, g_out, a->count);
    break;
  }
  case TF_OP_CONCAT: {
    tf_concat_input_t in[4];
    uint32_t k, n = 0, axis = (uint32_t)i32(kv, "axis", 3), outer = 1, inner = 1, d;
    char nm[16];
    for (k = 0; k < 4; k++) {
      const field_t *xi;
      (void)snprintf(nm, sizeof nm, "x%u", (unsigned)k);
      xi = get(kv, nm);
      if (xi == NULL) break;
      in[k].x = xi->data;
      inner = 1;
      for (d = axis + 1u; d < xi->rank; d++) inner *= xi->shape[d];
      in[k].chunk = xi->shape[axis] * inner;
      (void)snprintf(nm, sizeof nm, "x%u_zp", (unsigned)k);
      in[k].x_zero = i32(kv, nm, 0);
      (void)snprintf(nm, sizeof nm, "x%u_scale", (unsigned)k);
      /* §6.3.9: an input with the output's qparams is copied, another requantized by s_x / s_y */
      in[k].requant = bits(kv, nm, 0) != bits(kv, "y_scale", 0) || in[k].x_zero != i32(kv, "y_zp", 0);
      in[k].rq.multiplier = 0, in[k].rq.shift = 0;
      if (in[k].requant) {
        rc = tf_requant_derive(bits(kv, nm, 0), TF_F32_ONE_BITS, bits(kv, "y_scale", 0), 0, &in[k].rq);
        if (rc != TF_OK) break;
      }
      n++;
    }
    if (rc != TF_OK || n == 0) break;
    for (d = 0; d < axis; d++) outer *= y->shape[d];
    rc = tf_concat_u8(in, n, outer, i32(kv, "y_zp", 0), g_out);
    break;
  }
  case TF_OP_RESHAPE:
    rc = tf_reshape_u8(x->data, g_out, x->count);
    break;
  case TF_OP_SOFTMAX: {
    tf_softmax_params_t sp;
    uint32_t row = x->shape[x->rank - 1u];
    rc = tf_requant_derive(bits(kv, "x_scale", 0), TF_F32_LOG2E_BITS, TF_F32_ONE_BITS, 16, &sp.rq); /* §6.3.11 */
    if (rc != TF_OK) break;
    *ok &= check_rq(file, kv, "", 0, &sp.rq);
    if (tf_softmax_u8_get_buffer_size(row) > sizeof g_scratch) return TF_STATUS_NO_SPACE;
    rc = tf_softmax_u8(&sp, x->count / row, row, x->data, g_out, g_scratch);
    break;
  }
  default:
    rc = TF_STATUS_UNKNOWN_TYPE;
    break;
  }
  return rc;
}

#include "test_nn_vectors_fqt.inc"

static int cmp_names(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

int main(int argc, char **argv) {
  DIR *dir;
  struct dirent *e;
  unsigned n = 0, i, total = 0;

  const char *root = argc >= 2 ? argv[1] : TF_NN_VECTORS_DIR;

  if ((dir = opendir(root)) == NULL) {
    fprintf(stderr, "usage: test_nn_vectors [protocol/vectors/nn] (cannot open %s)\n", root);
    return 2;
  }
  while ((e = readdir(dir)) != NULL && n < 128u) {
    size_t l = strlen(e->d_name);
    if (l > 5 && l < sizeof g_names[0] && strcmp(e->d_name + l - 5, ".tfkv") == 0) {
      memcpy(g_names[n++], e->d_name, l + 1);
    }
  }
  closedir(dir);
  qsort(g_names, n, sizeof g_names[0], cmp_names);
  for (i = 0; i < n; i++) {
    char path[1024];
    FILE *f;
    size_t len = 0;
    kv_t kv;
    int ok = 1;
    tf_status_t rc;
    const field_t *y;

    total++;
    tf_test_begin(g_names[i]);
    f = NULL;
    if (strlen(root) + strlen(g_names[i]) + 2u <= sizeof path) {
      memcpy(path, root, strlen(root));
      path[strlen(root)] = '/';
      memcpy(path + strlen(root) + 1u, g_names[i], strlen(g_names[i]) + 1u);
      f = fopen(path, "rb");
    }
    if (f != NULL) {
      len = fread(g_file.b, 1, sizeof g_file.b, f);
      fclose(f);
    }
    if (!TF_CHECK(f != NULL && parse(g_file.b, len, &kv) == 0)) {
      tf_test_end();
      continue;
    }
    memset(g_out, 0xA5, sizeof g_out);
    if (get(&kv, "fqt_kernel") != NULL) { /* §6.6.11: a training kernel; compares its own fields */
      g_fqt++;
      rc = run_fqt(g_names[i], &kv, &ok);
      y = NULL;
    } else {
      rc = run_case(g_names[i], &kv, &ok);
      y = get(&kv, "y");
    }
    TF_CHECK_OK(rc);
    TF_CHECK(ok);
    if (rc == TF_OK && y != NULL) {
      TF_CHECK_MEM(g_out, y->data, y->count); /* prints the first mismatching index */
    }
    tf_test_end();
  }
  printf("nn vectors: %u cases run (%u forward, %u FQT)\n", total, total - g_fqt, g_fqt);
  return tf_test_finish();
}
