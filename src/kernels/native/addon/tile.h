// The register tile every conv kernel but depthwise is built on: MR output pixels x NV vectors of
// output channels, accumulated over (tap, input channel) against one contiguous weight panel.
// Rows are reached through pointers, so the same tile serves the dense conv (neighbouring pixels
// of Ĩ), the recompute of touched pixels and the scatter of deltas into P (any pixels).
#pragma once
#include <algorithm>

#include "engine.h"
#include "simd.h"

namespace rrm {
namespace RRM_ISA {

/** Output pixels per tile for a panel of NV vectors: as many accumulators as the registers hold. */
template <int NV>
constexpr int tileRows() {
#if defined(RRM_BUILD_AVX512)
  return NV == 2 ? 8 : 8;  // 32 vector registers; 8 row pointers keep the integer registers free
#elif defined(RRM_BUILD_AVX2)
  return NV == 2 ? 6 : 8;  // 16 vector registers: 12 accumulators, 2 weights, 1 broadcast
#else
  return NV == 2 ? 4 : 6;
#endif
}

/** The tile's activation when it only accumulates into P (scatter): nothing else is stored. */
struct NoOutput {
  static constexpr bool kStoresOutput = false;
  Vec operator()(Vec v) const { return v; }
};

/**
 * `outs[i][0..columns) (+)= Σ_t Σ_k rows[i][tapOffsets[t] + k] · panel[(t·depth + k)·NV·L + column]`.
 * With `init` (the block's bias) the outputs are overwritten, else accumulated into. `tapOffsets`
 * null means one tap at offset 0. `columns` <= NV·kLanes: lanes past it are neither read nor written.
 * When `Act::kStoresOutput`, `activated[i]` also receives act(P) (f(P) while it is in registers).
 */
template <int MR, int NV, typename Act = NoOutput>
inline void multiplyTile(const float* const* rows, const int32_t* tapOffsets, int32_t taps, int32_t depth, const float* panel,
                         float* const* outs, const float* init, int32_t columns, float* const* activated = nullptr, Act act = {}) {
  constexpr int L = kLanes;
  Vec acc[MR][NV];
  const bool full = columns == NV * L;
#pragma GCC unroll 2
  for (int j = 0; j < NV; j++) {
    const int lanes = std::min(L, columns - j * L);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const float* from = init ? init + j * L : outs[i] + j * L;
      acc[i][j] = full || lanes == L ? load(from) : lanes > 0 ? loadFirst(from, lanes) : zero();
    }
  }
  for (int32_t t = 0; t < taps; t++) {
    const int32_t offset = tapOffsets ? tapOffsets[t] : 0;
    const float* a[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) a[i] = rows[i] + offset;
    for (int32_t k = 0; k < depth; k++) {
      Vec w[NV];
#pragma GCC unroll 2
      for (int j = 0; j < NV; j++) w[j] = load(panel + j * L);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        const Vec s = broadcast(a[i][k]);
#pragma GCC unroll 2
        for (int j = 0; j < NV; j++) acc[i][j] = madd(s, w[j], acc[i][j]);
      }
      panel += NV * L;
    }
  }
#pragma GCC unroll 2
  for (int j = 0; j < NV; j++) {
    const int lanes = std::min(L, columns - j * L);
    if (lanes <= 0) continue;
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      if (full || lanes == L) store(outs[i] + j * L, acc[i][j]);
      else storeFirst(outs[i] + j * L, acc[i][j], lanes);
      if constexpr (Act::kStoresOutput) {
        if (full || lanes == L) store(activated[i] + j * L, act(acc[i][j]));
        else storeFirst(activated[i] + j * L, act(acc[i][j]), lanes);
      }
    }
  }
}

}  // namespace RRM_ISA
}  // namespace rrm
