// An engine's steps, on one thread or split with one helper thread (`Engine::threads` = 2): each
// thread owns half of the work (rows of the output, or half of the candidates) and the threads
// never write the same memory, so the result equals the one-thread result exactly.
#pragma once
#include "engine.h"

namespace rrm {

/**
 * Ĩ = input, then P = W·Ĩ + b and output = f(P) over every output row. Returns the index of the
 * input's first NaN or ±Infinity, or -1 (P is then not valid).
 */
int32_t recomputeWhole(Engine& e, const float* input);

/**
 * The active pixels among `candidates` (every pixel when null): see `KernelTable::detect`. Sets
 * `status[DeltasNonFinite]`; returns the count, or `maxActive + 1` when there are more.
 */
int32_t detectActive(Engine& e, const float* input, float threshold, const int32_t* candidates, int32_t count, int32_t maxActive);

/**
 * P and f(P) updated where the `activeCount` detected pixels reach: scattered, or recomputed from
 * Ĩ when `recompute`. Fills the touched list; returns the multiply-adds done.
 */
double sparseUpdate(Engine& e, int32_t activeCount, bool recompute);

}  // namespace rrm
