/* Private to src/train: shared by tf_train.c (prepare), tf_train_mem.c (memory) and tf_train_step.c (the step). */
#ifndef TF_TRAIN_INT_H
#define TF_TRAIN_INT_H

#include "tinyfleet/tf_train.h"

#include <stdbool.h>
#include <stdint.h>

/** The binary32 bits of v. */
uint32_t tf_train_f2u(float v);
/** CONV2D, CONV1D, DEPTHWISE_CONV2D or DENSE. */
bool tf_train_weighted(uint8_t kind);
/** Rows of binary32 gradients layer L needs under @p c: k_max for bs = 1, N for bs > 1 (tf_train.h). */
uint32_t tf_train_rows(const tf_train_config_t *c, uint32_t n);
/** §5.6: the chain's SAVED / ERROR tensors in @p arena (edges' v, err) and `arena_used`. */
tf_status_t tf_train_plan_arena(tf_train_t *t, const tf_artifact_t *a, uint8_t *arena, size_t arena_len);
/** The scratch of tf_train.h out of @p buf (`used`). */
tf_status_t tf_train_carve(tf_train_t *t, uint8_t *buf, size_t len);

#endif /* TF_TRAIN_INT_H */
