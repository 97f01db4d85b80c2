/*
 * The mps2-an386 bench image (-DTF_MPS2_BENCH=ON): timing of a training step (bench_train.c).
 */
#ifndef TF_MPS2_BENCH_H
#define TF_MPS2_BENCH_H

#include "tinyfleet/tf_agent.h"
#include "tinyfleet/tf_hal.h"

#include <stddef.h>
#include <stdint.h>

/**
 * Times one streaming training step of the active model's trainable ops at update rates 1 and 0.1
 * (two fresh sessions each: timed, then profiled by wrapped kernel) and logs the results; @p x
 * (@p x_len bytes) holds the samples. Leaves the interpreter prepared for inference again.
 */
void tf_mps2_bench_train(const tf_hal_t *hal, tf_agent_t *ag, uint8_t *x, size_t x_len);

#endif /* TF_MPS2_BENCH_H */
