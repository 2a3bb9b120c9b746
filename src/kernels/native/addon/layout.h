// Where everything lives inside a weights block and an engine block (both one ArrayBuffer each),
// and the checks a geometry must pass before any kernel sees it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine.h"

namespace rrm {

/** Blocks start at a 64-byte boundary (a cache line, an AVX-512 vector) inside their ArrayBuffer. */
constexpr size_t kBlockAlignment = 64;

inline size_t alignmentSkip(const void* data) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(data);
  return (kBlockAlignment - address % kBlockAlignment) % kBlockAlignment;
}

/** Why a geometry cannot be run (empty when it can): sizes, divisibility, and that the output fits the input. */
std::string geometryProblem(const Geometry& g);
/** Whether weights prepared for `a` serve `b` (the same channels, groups and kernel). */
bool sameWeightShape(const Geometry& a, const Geometry& b);

struct WeightsLayout {
  int64_t packedFloats;
  size_t bytes;
  size_t panels, depthwise, bias;
};
WeightsLayout weightsLayout(const KernelTable& table, const Geometry& g);
void buildWeights(const KernelTable& table, const Geometry& g, const WeightsLayout& layout, char* block, const float* packed, const float* bias);

struct EngineLayout {
  size_t bytes;
  int32_t paddedHeight, paddedWidth;
  size_t status, integrated, projection, output, tapOffsets, activePixels, deltas, touchedMarks, touchedList, zeroRow;
  /** Per workspace (thread): its touched list (the first's is `touchedList`), reach, tap list and spill row. */
  size_t secondTouchedList, reach[2], tapList[2], spillRow[2];
};
EngineLayout engineLayout(const Weights& weights, const Geometry& g);
void buildEngine(const Weights& weights, const Geometry& g, const EngineLayout& layout, char* block, ActivationKind activation, float leakyAlpha);

}  // namespace rrm
