// Dense convs and recomputes, split with one helper thread when the engine asks for two threads
// and the job is large enough to pay for the hand-off (a few microseconds).
#pragma once
#include "engine.h"

namespace rrm {

/**
 * Ĩ = input, then P = W·Ĩ + b and output = f(P) over every output row. Returns the index of the
 * input's first NaN or ±Infinity, or -1 (P is then not valid).
 */
int32_t recomputeWhole(Engine& e, const float* input);
/** P = W·Ĩ + b at the first `touched` pixels of the touched list. */
void runRecompute(Engine& e, int32_t touched);

}  // namespace rrm
