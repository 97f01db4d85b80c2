/* SOFTMAX, integer only, PROTOCOL.md §6.3.11 (tf_nn.h). */
#include "tinyfleet/tf_nn.h"

/* §6.3.11 step 3: P[j] = round(2^31 * 2^(-2^-j)), j = 1..16 */
static const int32_t POW2_NEG[16] = {
  1518500250, 1805811301, 1969251188, 2056437387, 2101467502, 2124350982, 2135885998, 2141676973,
  2144578345, 2146030505, 2146756953, 2147120270, 2147301951, 2147392798, 2147438222, 2147460935,
};

/* 2^-(t / 2^16) in Q20 for t >= 0 (steps 3-4). */
static int32_t exp2_neg_q20(int32_t t) {
  int32_t n = t >> 16;
  int32_t f = t & 0xFFFF;
  int32_t e = (int32_t)1 << 30;
  int32_t j;

  for (j = 1; j <= 16; j++) {
    if ((f >> (16 - j)) & 1) {
      e = tf_srdhm(e, POW2_NEG[j - 1]);
    }
  }
  return n + 10 > 31 ? 0 : tf_rdbp(e, n + 10);
}

uint32_t tf_softmax_u8_get_buffer_size(uint32_t row) {
  return row * (uint32_t)sizeof(int32_t);
}

tf_status_t tf_softmax_u8(const tf_softmax_params_t *p, uint32_t rows, uint32_t row, const uint8_t *x, uint8_t *y,
                          int32_t *scratch) {
  tf_status_t rc = TF_OK;
  uint32_t r, i;

  if (row == 0 || row > TF_SOFTMAX_MAX_ROW || scratch == NULL) {
    rc = TF_STATUS_OUT_OF_RANGE;
    goto out;
  }
  for (r = 0; r < rows; r++) {
    const uint8_t *xr = x + (size_t)r * row;
    uint8_t *yr = y + (size_t)r * row;
    uint32_t sum = 0; /* <= 2048 * 2^20 = 2^31: fits uint32 */
    uint32_t half;
    int32_t mx = 0;
    for (i = 0; i < row; i++) { /* step 1 */
      mx = xr[i] > mx ? xr[i] : mx;
    }
    for (i = 0; i < row; i++) { /* steps 2-4 */
      scratch[i] = exp2_neg_q20(tf_requantize(mx - (int32_t)xr[i], &p->rq));
      sum += (uint32_t)scratch[i];
    }
    half = sum / 2u; /* step 5 */
    for (i = 0; i < row; i++) {
      uint32_t v = ((uint32_t)scratch[i] * 256u + half) / sum;
      yr[i] = (uint8_t)(v > 255u ? 255u : v);
    }
  }
out:
  return rc;
}
