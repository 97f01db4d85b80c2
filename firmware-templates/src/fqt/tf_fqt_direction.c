/* PROTOCOL.md §6.6.6 step 1 / §6.6.10: the step direction of one structure (STANDARDIZED, CENTERED, SGD). */
#include "tinyfleet/tf_fqt.h"

void tf_fqt_direction_stats(tf_fqt_rule_t rule, const float *g, uint32_t n, float stats[2]) {
  float sum = 0.0f, mean, sq = 0.0f, var, fn = (float)n;
  uint32_t j;

  stats[0] = 0.0f, stats[1] = 1.0f;
  if (rule == TF_FQT_SGD) {
    return; /* d = g */
  }
  for (j = 0; j < n; j++) { /* sum in element order, mean = f32(sum / f(n)) */
    sum = sum + g[j];
  }
  mean = sum / fn;
  stats[0] = mean;
  if (rule == TF_FQT_CENTERED) {
    return; /* d = f32(g - mean) */
  }
  for (j = 0; j < n; j++) { /* var = f32(Σ f32(δ * δ) / f(n)), δ = f32(g - mean) */
    float dl = g[j] - mean;
    float p = dl * dl;
    sq = sq + p;
  }
  var = sq / fn;
  stats[1] = tf_fqt_sqrtf(var); /* correctly rounded; 0 gives d = 0 */
}

float tf_fqt_direction_at(tf_fqt_rule_t rule, const float stats[2], float g) {
  float dl;

  if (rule == TF_FQT_SGD) {
    return g;
  }
  dl = g - stats[0];
  if (rule == TF_FQT_CENTERED) {
    return dl;
  }
  return stats[1] == 0.0f ? 0.0f : dl / stats[1]; /* ĝ = f32(f32(g - mean) / std) */
}

void tf_fqt_direction(tf_fqt_rule_t rule, const float *g, uint32_t n, float *d) {
  float stats[2];
  uint32_t j;

  tf_fqt_direction_stats(rule, g, n, stats);
  for (j = 0; j < n; j++) {
    d[j] = tf_fqt_direction_at(rule, stats, g[j]);
  }
}
