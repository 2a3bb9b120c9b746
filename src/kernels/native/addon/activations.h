// The vector activations the dense and recompute kernels apply in registers as they store P (so
// that f(P) costs no second pass over the map), and the dispatch from an engine's activation kind.
#pragma once
#include "engine.h"
#include "simd.h"

namespace rrm {
namespace RRM_ISA {

/** Stores only P: the activation is applied by a separate pass (sigmoid, hardSwish: scalar). */
struct StoreProjectionOnly {
  static constexpr bool kStoresOutput = false;
  Vec operator()(Vec v) const { return v; }
};
struct Identity {
  static constexpr bool kStoresOutput = true;
  Vec operator()(Vec v) const { return v; }
};
struct Relu {
  static constexpr bool kStoresOutput = true;
  Vec operator()(Vec v) const { return max(v, zero()); }
};
struct Relu6 {
  static constexpr bool kStoresOutput = true;
  Vec six = broadcast(6.0f);
  Vec operator()(Vec v) const { return min(max(v, zero()), six); }
};
struct LeakyRelu {
  static constexpr bool kStoresOutput = true;
  Vec slope;
  Vec operator()(Vec v) const { return leaky(v, slope); }
};

/**
 * Calls `run(activation)` with the engine's activation as a functor; for the kinds that have none
 * (scalar in double, as JavaScript computes them) with `StoreProjectionOnly`, and returns false so
 * that the caller activates separately.
 */
template <typename Run>
inline bool withActivation(const Engine& e, Run run) {
  switch (e.activation) {
    case ActivationKind::None:
      run(Identity{});
      return true;
    case ActivationKind::Relu:
      run(Relu{});
      return true;
    case ActivationKind::Relu6:
      run(Relu6{});
      return true;
    case ActivationKind::LeakyRelu:
      run(LeakyRelu{broadcast(e.leakyAlpha)});
      return true;
    default:
      run(StoreProjectionOnly{});
      return false;
  }
}

}  // namespace RRM_ISA
}  // namespace rrm
