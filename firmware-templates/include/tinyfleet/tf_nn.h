/**
 * @file tf_nn.h
 * @brief Quantized reference kernels (forward) of PROTOCOL.md §6.3, CMSIS-NN-like API:
 *        `tf_<op>[_<variant>]_<dtype>`, one public function per file (src/nn/), parameters in
 *        structs, tf_status_t results, caller-owned scratch with a `_get_buffer_size` companion,
 *        no allocation.
 *
 * Data: activations are UINT8 (`_u8`), asymmetric per tensor, NHWC, row-major; CONV1D is CONV2D
 * with H = 1. Weights: `_u8` kernels take UINT8 weights with one zero point and one requantization
 * (per tensor); `_pc_u8` kernels take INT8 symmetric weights (zero point 0) with one requantization
 * per output channel. Layouts (§5.4): conv OHWI, depthwise 1HWC (multiplier 1), conv1d OWI,
 * dense OI. Bias: int32, one per output channel, or NULL (bias 0). Accumulators are int32 and wrap
 * modulo 2^32 (§6.3.2).
 *
 * Kernels are the Eval half: they trust their arguments (the interpreter's prepare step checks
 * shapes, ranges and buffer sizes, STYLE.md "Prepare validates, Eval runs") and only compute.
 * Input and output buffers must not overlap, except tf_reshape_u8 (any) and the elementwise
 * tf_relu_u8 / tf_relu6_u8 (x == y allowed).
 *
 * Kernel list: tf_conv2d_u8, tf_conv2d_pc_u8, tf_depthwise_conv2d_u8, tf_depthwise_conv2d_pc_u8,
 * tf_conv1d_u8, tf_conv1d_pc_u8, tf_dense_u8, tf_dense_pc_u8, tf_relu_u8, tf_relu6_u8,
 * tf_maxpool2d_u8, tf_avgpool2d_u8, tf_global_avgpool_u8, tf_add_u8, tf_concat_u8, tf_reshape_u8,
 * tf_softmax_u8 (+ tf_softmax_u8_get_buffer_size).
 */
#ifndef TF_NN_H
#define TF_NN_H

#include "tinyfleet/tf_requant.h"
#include "tinyfleet/tf_status.h"

#include <stddef.h>
#include <stdint.h>

/** A 4-D shape (NHWC; weights: n = output channels, h, w = kernel, c = input channels). */
typedef struct tf_dims {
  int32_t n, h, w, c;
} tf_dims_t;

/** Geometry and output stage of CONV2D / DEPTHWISE_CONV2D / CONV1D (§5.4, §6.3.1-§6.3.3). */
typedef struct tf_conv_params {
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left; /**< bottom/right padding follow from the output dims */
  int32_t x_zero;            /**< input zero point, 0..255 */
  int32_t y_zero;            /**< output zero point, 0..255 */
  int32_t act_min, act_max;  /**< fused clamp, 0 <= act_min <= act_max <= 255 */
} tf_conv_params_t;

/** Output stage of DENSE (§6.3.4). */
typedef struct tf_dense_params {
  int32_t x_zero, y_zero;
  int32_t act_min, act_max;
} tf_dense_params_t;

/**
 * Weight quantization: `_u8` kernels use rq[0] and w_zero (0..255); `_pc_u8` kernels use rq[o]
 * for every output channel o (r = s_x * s_w[o] / s_y, §6.3.1) and ignore w_zero (symmetric).
 */
typedef struct tf_weight_quant {
  const tf_requant_t *rq;
  int32_t w_zero;
} tf_weight_quant_t;

/** MAXPOOL2D / AVGPOOL2D (§6.3.6): padded positions are ignored. */
typedef struct tf_pool_params {
  int32_t stride_h, stride_w;
  int32_t window_h, window_w;
  int32_t pad_top, pad_left;
  int32_t act_min, act_max;
} tf_pool_params_t;

/** RELU: y = clamp(x, lo, 255); RELU6: clamp(x, lo, hi) with hi = relu6_max (§6.3.5). */
typedef struct tf_relu_params {
  int32_t lo, hi;
} tf_relu_params_t;

/** ADD (§6.3.8): requantizations for s_a/2m, s_b/2m and 2m/(2^20 s_y), m = max(s_a, s_b). */
typedef struct tf_add_params {
  int32_t a_zero, b_zero, y_zero;
  tf_requant_t a, b, y;
} tf_add_params_t;

/** Left shift of the ADD inputs (§6.3.8). */
#define TF_ADD_LEFT_SHIFT 20

/**
 * One CONCAT input (§6.3.9): per outer index, `chunk` contiguous bytes (its extent along the
 * axis times the inner size). `requant` 0: copied as is (same qparams as the output); else
 * y = clamp(y_zero + requant(x - x_zero, rq), 0, 255).
 */
typedef struct tf_concat_input {
  const uint8_t *x;
  uint32_t chunk;
  int32_t requant;
  int32_t x_zero;
  tf_requant_t rq;
} tf_concat_input_t;

/** SOFTMAX (§6.3.11): rq for r = s_x * LOG2E * 2^16. Output scale 1/256, zero point 0. */
typedef struct tf_softmax_params {
  tf_requant_t rq;
} tf_softmax_params_t;

/** Largest SOFTMAX row (§6.3.11). */
#define TF_SOFTMAX_MAX_ROW 2048

/** §6.3.6 RoundedDiv: sum / n rounded to nearest, ties away from zero (n >= 1). */
static inline int32_t tf_rounded_div(int32_t sum, int32_t n) {
  int32_t half = n / 2;
  return sum >= 0 ? (sum + half) / n : -((-sum + half) / n);
}

/** §6.3.1: clamp(y_zero + requant(acc), act_min, act_max). */
static inline uint8_t tf_output_stage(int32_t acc, const tf_requant_t *rq, int32_t y_zero, int32_t act_min,
                                      int32_t act_max) {
  int32_t y = y_zero + tf_requantize(acc, rq);
  y = y < act_min ? act_min : y > act_max ? act_max : y;
  return (uint8_t)y;
}

/* CONV2D (§6.3.2): x [N,H,W,C], w [O,KH,KW,C], y [N,OH,OW,O]. */
tf_status_t tf_conv2d_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
                         const uint8_t *x, const tf_dims_t *wd, const uint8_t *w, const int32_t *bias,
                         const tf_dims_t *yd, uint8_t *y);
tf_status_t tf_conv2d_pc_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
                            const uint8_t *x, const tf_dims_t *wd, const int8_t *w, const int32_t *bias,
                            const tf_dims_t *yd, uint8_t *y);

/* DEPTHWISE_CONV2D (§6.3.3, multiplier 1): x [N,H,W,C], w [1,KH,KW,C], y [N,OH,OW,C]. */
tf_status_t tf_depthwise_conv2d_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
                                   const uint8_t *x, const tf_dims_t *wd, const uint8_t *w, const int32_t *bias,
                                   const tf_dims_t *yd, uint8_t *y);
tf_status_t tf_depthwise_conv2d_pc_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
                                      const uint8_t *x, const tf_dims_t *wd, const int8_t *w, const int32_t *bias,
                                      const tf_dims_t *yd, uint8_t *y);

/* CONV1D (§5.4: CONV2D with H = 1): dims with h = 1, stride_h = dilation_h = 1, pad_top = 0. */
tf_status_t tf_conv1d_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
                         const uint8_t *x, const tf_dims_t *wd, const uint8_t *w, const int32_t *bias,
                         const tf_dims_t *yd, uint8_t *y);
tf_status_t tf_conv1d_pc_u8(const tf_conv_params_t *p, const tf_weight_quant_t *q, const tf_dims_t *xd,
                            const uint8_t *x, const tf_dims_t *wd, const int8_t *w, const int32_t *bias,
                            const tf_dims_t *yd, uint8_t *y);

/* DENSE (§6.3.4): `batches` rows of `inputs` values, w [units, inputs], y [batches, units]. */
tf_status_t tf_dense_u8(const tf_dense_params_t *p, const tf_weight_quant_t *q, int32_t batches, int32_t inputs,
                        const uint8_t *x, int32_t units, const uint8_t *w, const int32_t *bias, uint8_t *y);
tf_status_t tf_dense_pc_u8(const tf_dense_params_t *p, const tf_weight_quant_t *q, int32_t batches, int32_t inputs,
                           const uint8_t *x, int32_t units, const int8_t *w, const int32_t *bias, uint8_t *y);

/* RELU, RELU6 (§6.3.5), `n` elements. */
tf_status_t tf_relu_u8(const tf_relu_params_t *p, const uint8_t *x, uint8_t *y, uint32_t n);
tf_status_t tf_relu6_u8(const tf_relu_params_t *p, const uint8_t *x, uint8_t *y, uint32_t n);

/* MAXPOOL2D, AVGPOOL2D (§6.3.6): x [N,H,W,C], y [N,OH,OW,C]. */
tf_status_t tf_maxpool2d_u8(const tf_pool_params_t *p, const tf_dims_t *xd, const uint8_t *x, const tf_dims_t *yd,
                            uint8_t *y);
tf_status_t tf_avgpool2d_u8(const tf_pool_params_t *p, const tf_dims_t *xd, const uint8_t *x, const tf_dims_t *yd,
                            uint8_t *y);

/* GLOBAL_AVGPOOL (§6.3.7): x [N,H,W,C] -> y [N,C]; H*W*255 must fit int32. */
tf_status_t tf_global_avgpool_u8(const tf_dims_t *xd, const uint8_t *x, uint8_t *y);

/* ADD (§6.3.8), `n` elements of equal shape. */
tf_status_t tf_add_u8(const tf_add_params_t *p, const uint8_t *a, const uint8_t *b, uint8_t *y, uint32_t n);

/* CONCAT (§6.3.9): `outer` repetitions of the inputs' chunks, in input order. */
tf_status_t tf_concat_u8(const tf_concat_input_t *inputs, uint32_t count, uint32_t outer, int32_t y_zero, uint8_t *y);

/* RESHAPE (§6.3.10): a no-op when y aliases x (as planned); otherwise copies n bytes (memmove). */
tf_status_t tf_reshape_u8(const uint8_t *x, uint8_t *y, uint32_t n);

/*
 * SOFTMAX (§6.3.11) over `rows` rows of `row` elements (1..TF_SOFTMAX_MAX_ROW). Scratch: at least
 * tf_softmax_u8_get_buffer_size(row) bytes, 4-aligned, caller-owned.
 */
tf_status_t tf_softmax_u8(const tf_softmax_params_t *p, uint32_t rows, uint32_t row, const uint8_t *x, uint8_t *y,
                          int32_t *scratch);
uint32_t tf_softmax_u8_get_buffer_size(uint32_t row);

#endif /* TF_NN_H */
