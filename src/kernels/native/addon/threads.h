// Dense convs and recomputes, split with one helper thread when the engine asks for two threads
// and the job is large enough to pay for the hand-off (a few microseconds).
#pragma once
#include "engine.h"

namespace rrm {

/** P = W·Ĩ + b over every output row. */
void runDense(Engine& e);
/** P = W·Ĩ + b at the first `touched` pixels of the touched list. */
void runRecompute(Engine& e, int32_t touched);

}  // namespace rrm
