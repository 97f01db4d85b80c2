/* PROTOCOL.md §6.6.6 step 1 / §6.6.10: the step direction of one structure (STANDARDIZED, CENTERED, SGD). */
#include "tinyfleet/tf_fqt.h"

void tf_fqt_direction(tf_fqt_rule_t rule, const float *g, uint32_t n, float *d) {
  float sum = 0.0f, mean, sq = 0.0f, var, sd, fn = (float)n;
  uint32_t j;

  if (rule == TF_FQT_SGD) {
    for (j = 0; j < n; j++) {
      d[j] = g[j];
    }
    return;
  }
  for (j = 0; j < n; j++) {
    sum = sum + g[j];
  }
  mean = sum / fn;
  if (rule == TF_FQT_CENTERED) {
    for (j = 0; j < n; j++) {
      d[j] = g[j] - mean;
    }
    return;
  }
  for (j = 0; j < n; j++) {
    float dl = g[j] - mean;
    float p = dl * dl;
    sq = sq + p;
  }
  var = sq / fn;
  sd = tf_fqt_sqrtf(var);
  for (j = 0; j < n; j++) {
    float dl = g[j] - mean;
    d[j] = sd == 0.0f ? 0.0f : dl / sd;
  }
}
