// Pixel-wise activity detection fused with the update of Ĩ and the gather of the deltas, and the
// keyframe's copy of the whole input into Ĩ; both check for NaN/±Infinity on the way by summing
// (v − v), which is 0 for finite values and NaN otherwise.
#include <algorithm>

#include "isa.h"
#include "prefetch.h"

namespace rrm {
namespace RRM_ISA {

namespace {

constexpr int L = kLanes;

/** Is any channel's |now − kept| above the limit (or NaN)? */
inline bool changed(const float* now, const float* kept, int32_t channels, Vec limit) {
  int32_t c = 0;
  // Four vectors per branch: most candidates are inactive and read every channel. (Not one test of
  // their maximum: max drops a NaN in its first operand.)
  for (; c + 4 * L <= channels; c += 4 * L) {
    const bool any = anyAboveOrNan(abs(sub(load(now + c), load(kept + c))), limit) |
                     anyAboveOrNan(abs(sub(load(now + c + L), load(kept + c + L))), limit) |
                     anyAboveOrNan(abs(sub(load(now + c + 2 * L), load(kept + c + 2 * L))), limit) |
                     anyAboveOrNan(abs(sub(load(now + c + 3 * L), load(kept + c + 3 * L))), limit);
    if (any) return true;
  }
  for (; c + L <= channels; c += L) {
    if (anyAboveOrNan(abs(sub(load(now + c), load(kept + c))), limit)) return true;
  }
  if (c < channels) {
    const int lanes = channels - c;
    if (anyAboveOrNan(abs(sub(loadFirst(now + c, lanes), loadFirst(kept + c, lanes))), limit)) return true;
  }
  return false;
}

/** deltas = now − kept; kept = now. Adds (delta − delta) to `check`. */
inline void integrate(const float* now, float* kept, float* deltas, int32_t channels, Vec& check) {
  int32_t c = 0;
  for (; c + L <= channels; c += L) {
    const Vec value = load(now + c);
    const Vec d = sub(value, load(kept + c));
    check = add(check, sub(d, d));
    store(deltas + c, d);
    store(kept + c, value);
  }
  if (c < channels) {
    const int lanes = channels - c;
    const Vec value = loadFirst(now + c, lanes);
    const Vec d = sub(value, loadFirst(kept + c, lanes));
    check = add(check, sub(d, d));
    storeFirst(deltas + c, d, lanes);
    storeFirst(kept + c, value, lanes);
  }
}

inline int64_t paddedIndex(const Engine& e, int32_t iy, int32_t ix) {
  return static_cast<int64_t>(iy + e.g.padTop) * e.paddedWidth + ix + e.g.padLeft;
}

/** Where detection writes: active pixels and their deltas from index `first`, at most `limit` + 1 of them. */
struct Found {
  Engine& e;
  int32_t first;
  int32_t limit;
  int32_t count = 0;
  Vec check = zero();

  /** Integrates `pixel` (its input at `now`, Ĩ at `kept`); false once more than `limit` were found. */
  bool add(int32_t pixel, const float* now, float* kept) {
    const int32_t channels = e.g.inChannels;
    integrate(now, kept, e.deltas + static_cast<int64_t>(first + count) * channels, channels, check);
    e.activePixels[first + count] = pixel;
    return ++count <= limit;
  }
};

/**
 * Rows `rowStart..rowEnd` of a map with fewer channels than lanes (an RGB stem): a row of Ĩ's
 * interior is contiguous like the input's, so it is compared a vector at a time, and only the
 * pixels that overlap a changed vector are tested one by one.
 */
void detectNarrowRows(Engine& e, const float* input, Vec limit, int32_t rowStart, int32_t rowEnd, Found& found) {
  const Geometry& g = e.g;
  const int32_t channels = g.inChannels;
  const int32_t rowFloats = g.inWidth * channels;
  for (int32_t iy = rowStart; iy < rowEnd; iy++) {
    const float* nowRow = input + static_cast<int64_t>(iy) * rowFloats;
    float* keptRow = e.integrated + paddedIndex(e, iy, 0) * channels;
    int32_t nextPixel = 0;
    for (int32_t x = 0; x < rowFloats; x += L) {
      const int lanes = std::min(L, rowFloats - x);
      const Vec d = lanes == L ? sub(load(nowRow + x), load(keptRow + x)) : sub(loadFirst(nowRow + x, lanes), loadFirst(keptRow + x, lanes));
      if (!anyAboveOrNan(abs(d), limit)) continue;
      const int32_t lastPixel = (x + lanes - 1) / channels;
      for (int32_t ix = std::max(nextPixel, x / channels); ix <= lastPixel; ix++) {
        const float* now = nowRow + static_cast<int64_t>(ix) * channels;
        float* kept = keptRow + static_cast<int64_t>(ix) * channels;
        if (changed(now, kept, channels, limit) && !found.add(iy * g.inWidth + ix, now, kept)) return;
      }
      nextPixel = lastPixel + 1;
    }
  }
}

/** Rows `rowStart..rowEnd`, pixel by pixel. */
void detectRows(Engine& e, const float* input, Vec limit, int32_t rowStart, int32_t rowEnd, Found& found) {
  const Geometry& g = e.g;
  const int32_t channels = g.inChannels;
  for (int32_t iy = rowStart; iy < rowEnd; iy++) {
    const float* now = input + static_cast<int64_t>(iy) * g.inWidth * channels;
    float* kept = e.integrated + paddedIndex(e, iy, 0) * channels;
    for (int32_t ix = 0; ix < g.inWidth; ix++, now += channels, kept += channels) {
      if (changed(now, kept, channels, limit) && !found.add(iy * g.inWidth + ix, now, kept)) return;
    }
  }
}

/** Candidates `from..to` of the list. */
void detectCandidates(Engine& e, const float* input, Vec limit, const int32_t* candidates, int32_t from, int32_t to, Found& found) {
  const Geometry& g = e.g;
  const int32_t channels = g.inChannels;
  const bool unpadded = e.paddedWidth == g.inWidth && g.padTop == 0 && g.padLeft == 0;
  // The row without an integer division (tens of cycles per candidate): (pixel + 0.5) / inWidth
  // is at least 0.5 / inWidth from an integer, far more than a double's rounding error.
  const double inverseWidth = 1.0 / g.inWidth;
  const auto keptOffset = [&](int32_t pixel) -> int64_t {
    if (unpadded) return static_cast<int64_t>(pixel) * channels;
    const int32_t iy = static_cast<int32_t>((pixel + 0.5) * inverseWidth);
    return paddedIndex(e, iy, pixel - iy * g.inWidth) * channels;
  };
  // Candidates are scattered over maps larger than the caches: fetch a few ahead, so that their
  // cache misses overlap instead of stalling one after another.
  constexpr int32_t kAhead = 16;
  const int64_t pixelBytes = channels * static_cast<int64_t>(sizeof(float));
  const auto prefetch = [&](int32_t k) {
    prefetchBytes(input + static_cast<int64_t>(candidates[k]) * channels, pixelBytes);
    prefetchBytes<true>(e.integrated + keptOffset(candidates[k]), pixelBytes);
  };
  for (int32_t k = from; k < std::min(to, from + kAhead); k++) prefetch(k);
  for (int32_t k = from; k < to; k++) {
    if (k + kAhead < to) prefetch(k + kAhead);
    const int32_t pixel = candidates[k];
    const float* now = input + static_cast<int64_t>(pixel) * channels;
    float* kept = e.integrated + keptOffset(pixel);
    if (changed(now, kept, channels, limit) && !found.add(pixel, now, kept)) return;
  }
}

}  // namespace

int32_t detect(Engine& e, const float* input, float threshold, const int32_t* candidates, int32_t from, int32_t to, int32_t first, int32_t maxActive,
               bool& nonFinite) {
  const Vec limit = broadcast(threshold);
  Found found{e, first, maxActive};
  if (candidates) detectCandidates(e, input, limit, candidates, from, to, found);
  else if (e.g.inChannels < L) detectNarrowRows(e, input, limit, from, to, found);
  else detectRows(e, input, limit, from, to, found);
  nonFinite = anyNan(found.check);
  return found.count;
}

bool integrateRows(Engine& e, const float* input, int32_t rowStart, int32_t rowEnd) {
  const Geometry& g = e.g;
  const int32_t rowFloats = g.inWidth * g.inChannels;
  Vec check = zero();
  for (int32_t iy = rowStart; iy < rowEnd; iy++) {
    const float* from = input + static_cast<int64_t>(iy) * rowFloats;
    float* to = e.integrated + paddedIndex(e, iy, 0) * g.inChannels;
    int32_t i = 0;
    for (; i + L <= rowFloats; i += L) {
      const Vec v = load(from + i);
      store(to + i, v);
      check = add(check, sub(v, v));
    }
    if (i < rowFloats) {
      const Vec v = loadFirst(from + i, rowFloats - i);
      storeFirst(to + i, v, rowFloats - i);
      check = add(check, sub(v, v));
    }
  }
  return anyNan(check);
}

}  // namespace RRM_ISA
}  // namespace rrm
