/*
 * Training-step benchmark of the mps2-an386 bench image (-DTF_MPS2_BENCH=ON; apps/cloud/bench/firmware.ts
 * runs it in QEMU under -icount shift=0, where SysTick cycles are a fixed multiple of instructions).
 *
 * For each update rate (lambda_min = lambda_max = 1 and 0.1): a fresh session on the model's
 * trainable ops (tf_interp_prepare + tf_train_prepare, the artifact's TRAIN defaults, bs = 1, DELTA),
 * one warm-up step, then one streaming step (tf_train_sample + tf_train_step_end) timed as a whole.
 * The same two steps are then run again on a fresh session with the profiler on: every call of the
 * wrapped functions below (linked with -Wl,--wrap=NAME) made outside another wrapped call adds its
 * cycles to its bucket, so the buckets plus the unwrapped rest sum to the step. The forward pass is
 * the RUN_OP bucket (tf_interp_run_op), the forward copies (MEMCPY: input and SAVED copies; bs = 1
 * with DELTA copies nothing else) and the logits producer's accumulator bounds of §6.6.7 (LOGITS, run
 * in the forward pass when `ea` > 0). Lines logged (one per rate, then one per non-empty bucket):
 *   bench: train lambda=L step C fwd F k K0,K1 n N0,N1 used U arena T plan_arena A
 * with U the scratch bytes tf_train_prepare took from the training buffer, T the arena the session
 * reads (tf_train_t.arena_used: the interpreter's plan and every SAVED / ERROR tensor it uses), A the
 * training arena of the artifact's tensor records.
 *   bench: prof lambda=L NAME C CALLS
 * Nothing in src/train or src/fqt is instrumented: the profiler sits at the link boundary.
 */
#include "tf_mps2_bench.h"

#include "tinyfleet/tf_runtime.h"
#include "tinyfleet/tf_train.h"

#include <string.h>

enum { B_RUN_OP, B_MEMCPY, B_LOGITS, B_MEMSET, B_LOSS, B_QUANT_ACC, B_MASK, B_ERR_SUMS, B_WGRAD_CONV, B_WGRAD_DENSE,
       B_EPROP_CONV, B_EPROP_DENSE, B_MAXPOOL_BWD, B_AVGPOOL_BWD, B_TOPK, B_DIRECTION, B_UPDATE, B_DERIVE, B_COUNT };
static const char *const k_names[B_COUNT] = {
    "run_op", "memcpy", "logits_bounds", "memset", "loss", "quantize_acc", "mask", "error_sums", "wgrad_conv2d",
    "wgrad_dense", "eprop_conv2d", "eprop_dense", "maxpool_bwd", "avgpool_bwd", "topk", "direction", "update",
    "requant_derive"};

static const tf_hal_t *g_hal;
static bool g_on;
static uint32_t g_depth;
static uint32_t g_cycles[B_COUNT], g_calls[B_COUNT];

static uint32_t enter(void) {
  return g_on && g_depth++ == 0u ? g_hal->cycles(g_hal->ctx) : 0u;
}
static void leave(int b, uint32_t t0) {
  if (g_on && --g_depth == 0u) {
    g_cycles[b] += g_hal->cycles(g_hal->ctx) - t0;
    g_calls[b]++;
  }
}

/* The wrappers (-Wl,--wrap=NAME): prototypes first for -Wmissing-prototypes. */
#define WRAP_VOID(b, name, params, args) \
  void __real_##name params;             \
  void __wrap_##name params;             \
  void __wrap_##name params {            \
    uint32_t t0 = enter();               \
    __real_##name args;                  \
    leave(b, t0);                        \
  }
#define WRAP_RET(b, type, name, params, args) \
  type __real_##name params;                  \
  type __wrap_##name params;                  \
  type __wrap_##name params {                 \
    uint32_t t0 = enter();                    \
    type r = __real_##name args;              \
    leave(b, t0);                             \
    return r;                                 \
  }

WRAP_RET(B_RUN_OP, tf_status_t, tf_interp_run_op, (tf_interp_t * it, uint32_t i), (it, i))
WRAP_RET(B_MEMCPY, void *, memcpy, (void *d, const void *s, size_t n), (d, s, n))
WRAP_RET(B_MEMSET, void *, memset, (void *d, int c, size_t n), (d, c, n))
WRAP_RET(B_LOSS, tf_status_t, tf_fqt_loss_u8,
         (const tf_softmax_params_t *sp, uint32_t n, const uint8_t *x, uint32_t label, uint8_t *p, int32_t *err,
          float *loss, int32_t *correct, int32_t *scratch),
         (sp, n, x, label, p, err, loss, correct, scratch))
WRAP_RET(B_QUANT_ACC, tf_status_t, tf_fqt_quantize_acc,
         (const int32_t *acc, uint32_t n, float a, float b, int32_t p, tf_fqt_range_t *trk, float rate, uint8_t *e,
          tf_fqt_quant_t *out),
         (acc, n, a, b, p, trk, rate, e, out))
WRAP_VOID(B_MASK, tf_fqt_mask_u8, (const uint8_t *y, int32_t lower, int32_t upper, uint8_t *e, int32_t ez, uint32_t n),
          (y, lower, upper, e, ez, n))
WRAP_VOID(B_ERR_SUMS, tf_fqt_error_sums_u8,
          (const uint8_t *e, int32_t ez, uint32_t positions, uint32_t n, int32_t *bsum, uint32_t *mag),
          (e, ez, positions, n, bsum, mag))
WRAP_RET(B_WGRAD_CONV, uint32_t, tf_fqt_conv2d_wgrad_u8,
         (const tf_fqt_conv_geom_t *g, const uint8_t *x, int32_t xz, const uint8_t *e, int32_t ez, const uint16_t *idx,
          uint32_t k, int32_t *grad),
         (g, x, xz, e, ez, idx, k, grad))
WRAP_RET(B_WGRAD_DENSE, uint32_t, tf_fqt_dense_wgrad_u8,
         (int32_t inputs, const uint8_t *x, int32_t xz, const uint8_t *e, int32_t ez, const uint16_t *idx, uint32_t k,
          int32_t *grad),
         (inputs, x, xz, e, ez, idx, k, grad))
WRAP_RET(B_EPROP_CONV, uint32_t, tf_fqt_conv2d_eprop_u8,
         (const tf_fqt_conv_geom_t *g, const uint8_t *w, int32_t wz, const uint8_t *e, int32_t ez, int32_t *acc),
         (g, w, wz, e, ez, acc))
WRAP_RET(B_EPROP_DENSE, uint32_t, tf_fqt_dense_eprop_u8,
         (int32_t inputs, int32_t units, const uint8_t *w, int32_t wz, const uint8_t *e, int32_t ez, int32_t *acc),
         (inputs, units, w, wz, e, ez, acc))
WRAP_VOID(B_MAXPOOL_BWD, tf_fqt_maxpool2d_bwd_u8,
          (const tf_fqt_pool_geom_t *g, const uint8_t *x, const uint8_t *e, int32_t ez, uint8_t *dx, int32_t *scratch),
          (g, x, e, ez, dx, scratch))
WRAP_VOID(B_AVGPOOL_BWD, tf_fqt_avgpool2d_bwd_u8,
          (const tf_fqt_pool_geom_t *g, const uint8_t *e, int32_t ez, int32_t *acc), (g, e, ez, acc))
WRAP_VOID(B_TOPK, tf_fqt_topk, (const uint32_t *mag, uint32_t n, uint32_t k, uint16_t *idx), (mag, n, k, idx))
WRAP_VOID(B_LOGITS, tf_fqt_acc_bounds_u8,
          (const tf_fqt_conv_geom_t *g, int32_t inputs, int32_t units, const uint8_t *x, int32_t x_zero,
           const uint8_t *w, int32_t w_zero, const int32_t *bias, tf_fqt_bounds_t *b),
          (g, inputs, units, x, x_zero, w, w_zero, bias, b))
WRAP_VOID(B_DIRECTION, tf_fqt_direction_stats, (tf_fqt_rule_t rule, const float *g, uint32_t n, float stats[2]),
          (rule, g, n, stats))
WRAP_VOID(B_UPDATE, tf_fqt_update_u8, (tf_fqt_layer_t * l, const tf_fqt_update_t *u, float *delta), (l, u, delta))
WRAP_RET(B_DERIVE, tf_status_t, tf_requant_derive,
         (uint32_t a_bits, uint32_t b_bits, uint32_t c_bits, int32_t p, tf_requant_t *out),
         (a_bits, b_bits, c_bits, p, out))

/* A fresh session: RAM copies from the slot, the artifact's TRAIN defaults with lambda = (l, l). */
static tf_status_t session(tf_agent_t *ag, float lambda) {
  tf_artifact_train_t rec;
  tf_train_config_t c;
  uint32_t j;
  tf_status_t rc = tf_artifact_train(&ag->art, &rec);

  if (rc != TF_OK) return rc;
  memset(&c, 0, sizeof c);
  for (j = 0; j < rec.op_count && j < TF_TRAIN_MAX_LAYERS; j++) {
    c.layers[j] = (uint16_t)(rec.ops[2u * j] | (rec.ops[2u * j + 1u] << 8));
  }
  c.layer_count = j;
  c.lambda_min = lambda, c.lambda_max = lambda, c.lr = rec.learning_rate;
  c.ema_activations = rec.ema_activations; /* §6.6.7 logits tracker, as the agent (tf_agent_train.c) */
  c.ema_errors = rec.ema_errors, c.ema_weights = rec.ema_weights;
  c.batch_size = 1u, c.eps_mode = rec.eps_mode, c.grad_kind = TF_GRAD_DELTA;
  rc = tf_interp_prepare(&ag->interp, &ag->art, ag->cfg.arena, ag->cfg.arena_len, ag->cfg.ram, ag->cfg.ram_len);
  if (rc == TF_OK) {
    rc = tf_train_prepare(&ag->train, &ag->interp, &ag->art, &c, ag->cfg.arena, ag->cfg.arena_len, ag->cfg.train_buf,
                          ag->cfg.train_len);
  }
  return rc;
}

/* Deterministic sample s (xorshift32 bytes) into it->input-sized x; its label. */
static uint32_t sample(uint8_t *x, uint32_t n, uint32_t s) {
  uint32_t v = 0x9E3779B9u * (s + 1u), i;
  for (i = 0; i < n; i++) {
    v ^= v << 13, v ^= v >> 17, v ^= v << 5;
    x[i] = (uint8_t)(v >> 24);
  }
  return s % 10u;
}

/* Warm-up step, then the timed one (profiled when @p profile): returns the cycles of the second step. */
static uint32_t two_steps(tf_agent_t *ag, uint8_t *x, bool profile, tf_status_t *rc) {
  tf_train_step_t r;
  uint32_t n = ag->interp.input_bytes, classes, c0 = 0, s;

  classes = ag->train.edges[ag->train.chain_len].n;
  *rc = TF_OK;
  for (s = 0; s < 2u && *rc == TF_OK; s++) {
    uint32_t label = sample(x, n, s) % classes;
    g_on = profile && s == 1u;
    c0 = g_hal->cycles(g_hal->ctx);
    *rc = tf_train_sample(&ag->train, x, label);
    if (*rc == TF_OK) *rc = tf_train_step_end(&ag->train, &r);
    c0 = g_hal->cycles(g_hal->ctx) - c0;
  }
  g_on = false;
  return *rc == TF_OK ? c0 : 0u;
}

/* §5.6: the training arena the artifact's tensor records need (16-aligned end of every ARENA tensor). */
static uint32_t plan_arena(const tf_artifact_t *a) {
  uint32_t i, end = 0, n = tf_artifact_tensor_count(a);
  tf_artifact_tensor_t t;
  for (i = 0; i < n; i++) {
    tf_artifact_tensor(a, i, &t);
    if (t.storage == TF_STORAGE_ARENA && ((t.mem_offset + t.byte_size + 15u) & ~15u) > end) {
      end = (t.mem_offset + t.byte_size + 15u) & ~15u;
    }
  }
  return end;
}

static void append_pair(char *line, size_t cap, const char *key, uint32_t a, uint32_t b) {
  (void)tf_str_append(line, cap, key);
  (void)tf_str_append_u32(line, cap, a);
  (void)tf_str_append(line, cap, ",");
  (void)tf_str_append_u32(line, cap, b);
}

void tf_mps2_bench_train(const tf_hal_t *hal, tf_agent_t *ag, uint8_t *x, size_t x_len) {
  static const float lambdas[2] = {1.0f, 0.1f};
  static const char *const names[2] = {"1", "0.1"};
  char line[160];
  uint32_t r, b;

  g_hal = hal;
  if (ag->model_status != TF_OK || ag->interp.input_bytes > x_len) {
    hal->log(hal->ctx, "bench: train skipped (no model, or its input does not fit)");
    return;
  }
  for (r = 0; r < 2u; r++) {
    tf_status_t rc = session(ag, lambdas[r]);
    uint32_t step = 0, fwd;
    const tf_train_t *t = &ag->train;
    if (rc == TF_OK) step = two_steps(ag, x, false, &rc);
    if (rc == TF_OK) rc = session(ag, lambdas[r]);
    if (rc == TF_OK) {
      memset(g_cycles, 0, sizeof g_cycles); /* g_on is false: not counted */
      memset(g_calls, 0, sizeof g_calls);
      (void)two_steps(ag, x, true, &rc);
    }
    line[0] = '\0';
    (void)tf_str_append(line, sizeof line, "bench: train lambda=");
    (void)tf_str_append(line, sizeof line, names[r]);
    if (rc != TF_OK) {
      (void)tf_str_append(line, sizeof line, " failed ");
      (void)tf_str_append(line, sizeof line, tf_status_name(rc));
      hal->log(hal->ctx, line);
      continue;
    }
    fwd = g_cycles[B_RUN_OP] + g_cycles[B_MEMCPY] + g_cycles[B_LOGITS];
    (void)tf_str_append(line, sizeof line, " step ");
    (void)tf_str_append_u32(line, sizeof line, step);
    (void)tf_str_append(line, sizeof line, " fwd ");
    (void)tf_str_append_u32(line, sizeof line, fwd);
    append_pair(line, sizeof line, " k ", t->layers[0].k, t->cfg.layer_count > 1u ? t->layers[1].k : 0u);
    append_pair(line, sizeof line, " n ", t->layers[0].l.n_struct,
                t->cfg.layer_count > 1u ? t->layers[1].l.n_struct : 0u);
    (void)tf_str_append(line, sizeof line, " used ");
    (void)tf_str_append_u32(line, sizeof line, t->used);
    (void)tf_str_append(line, sizeof line, " arena ");
    (void)tf_str_append_u32(line, sizeof line, t->arena_used);
    (void)tf_str_append(line, sizeof line, " plan_arena ");
    (void)tf_str_append_u32(line, sizeof line, plan_arena(&ag->art));
    hal->log(hal->ctx, line);
    for (b = 0; b < B_COUNT; b++) {
      if (g_calls[b] == 0u) continue;
      line[0] = '\0';
      (void)tf_str_append(line, sizeof line, "bench: prof lambda=");
      (void)tf_str_append(line, sizeof line, names[r]);
      (void)tf_str_append(line, sizeof line, " ");
      (void)tf_str_append(line, sizeof line, k_names[b]);
      append_pair(line, sizeof line, " ", g_cycles[b], g_calls[b]);
      hal->log(hal->ctx, line);
    }
  }
  /* the agent's own state again: inference RAM copies from the slot */
  (void)tf_interp_prepare(&ag->interp, &ag->art, ag->cfg.arena, ag->cfg.arena_len, ag->cfg.ram, ag->cfg.ram_len);
}
