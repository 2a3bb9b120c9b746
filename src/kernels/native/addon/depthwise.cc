// Depthwise convolution (groups = inC = outC): every channel has its own kernel, so the lanes run
// over channels. Weights are `[taps][channels]`.
#include <algorithm>

#include "activations.h"
#include "isa.h"
#include "prefetch.h"

namespace rrm {
namespace RRM_ISA {

namespace {

constexpr int L = kLanes;
/** Output pixels per dense tile: independent accumulation chains to cover the FMA latency. */
constexpr int kPixels = 4;

/** `lanes` floats at p (a whole vector when lanes == L). */
inline Vec loadLanes(const float* p, int lanes) { return lanes == L ? load(p) : loadFirst(p, lanes); }
inline void storeLanes(float* p, Vec v, int lanes) {
  if (lanes == L) store(p, v);
  else storeFirst(p, v, lanes);
}

inline const float* pixelOrigin(const Engine& e, int32_t oy, int32_t ox) {
  return e.integrated + (static_cast<int64_t>(oy) * e.g.strideH * e.paddedWidth + static_cast<int64_t>(ox) * e.g.strideW) * e.g.inChannels;
}

/** One output row, channels `channel..channel+lanes`: kPixels pixels at a time; P and act(P) stored. */
template <typename Act>
void denseRowBlock(Engine& e, int32_t oy, int32_t channel, int lanes, Act act) {
  const Geometry& g = e.g;
  const int32_t channels = g.inChannels;
  const float* weights = e.weights->depthwise + channel;
  const Vec bias = loadLanes(e.weights->bias + channel, lanes);
  const int64_t pixelStep = static_cast<int64_t>(g.strideW) * channels;
  const float* in = pixelOrigin(e, oy, 0) + channel;
  float* out = e.projection + static_cast<int64_t>(oy) * g.outWidth * channels + channel;
  float* activated = e.output + static_cast<int64_t>(oy) * g.outWidth * channels + channel;
  int32_t ox = 0;
  for (; ox + kPixels <= g.outWidth; ox += kPixels) {
    Vec acc[kPixels];
    for (int i = 0; i < kPixels; i++) acc[i] = bias;
    for (int32_t t = 0; t < e.taps; t++) {
      const Vec w = loadLanes(weights + static_cast<int64_t>(t) * channels, lanes);
      const float* x = in + e.tapOffsets[t];
#pragma GCC unroll 4
      for (int i = 0; i < kPixels; i++) acc[i] = madd(loadLanes(x + i * pixelStep, lanes), w, acc[i]);
    }
    for (int i = 0; i < kPixels; i++) {
      storeLanes(out + static_cast<int64_t>(i) * channels, acc[i], lanes);
      if constexpr (Act::kStoresOutput) storeLanes(activated + static_cast<int64_t>(i) * channels, act(acc[i]), lanes);
    }
    in += kPixels * pixelStep;
    out += kPixels * channels;
    activated += kPixels * channels;
  }
  for (; ox < g.outWidth; ox++) {
    Vec acc = bias;
    for (int32_t t = 0; t < e.taps; t++) {
      acc = madd(loadLanes(in + e.tapOffsets[t], lanes), loadLanes(weights + static_cast<int64_t>(t) * channels, lanes), acc);
    }
    storeLanes(out, acc, lanes);
    if constexpr (Act::kStoresOutput) storeLanes(activated, act(acc), lanes);
    in += pixelStep;
    out += channels;
    activated += channels;
  }
}

/** Fetches P of the output pixels an (undilated) input pixel reaches: a rectangle, one span per row. */
void prefetchReach(const Engine& e, const Workspace& ws, int32_t pixel) {
  const ReachRectangle r = reachRectangle(e, pixel, ws.rowStart, ws.rowEnd);
  if (r.oxFirst > r.oxLast) return;
  const int32_t channels = e.g.outChannels;
  const int64_t spanBytes = static_cast<int64_t>(r.oxLast - r.oxFirst + 1) * channels * static_cast<int64_t>(sizeof(float));
  for (int32_t oy = r.oyFirst; oy <= r.oyLast; oy++) {
    prefetchBytes<true>(e.projection + (static_cast<int64_t>(oy) * e.g.outWidth + r.oxFirst) * channels, spanBytes);
  }
}

}  // namespace

void denseDepthwise(Engine& e, Workspace&, int32_t rowStart, int32_t rowEnd) {
  const int32_t channels = e.g.inChannels;
  const bool activated = withActivation(e, [&](auto act) {
    for (int32_t oy = rowStart; oy < rowEnd; oy++) {
      for (int32_t c = 0; c < channels; c += L) denseRowBlock(e, oy, c, std::min(L, channels - c), act);
    }
  });
  if (!activated) {
    for (int32_t pixel = rowStart * e.g.outWidth; pixel < rowEnd * e.g.outWidth; pixel++) activate(e, &pixel, 1);
  }
}

void recomputeDepthwise(Engine& e, Workspace& ws) {
  const Geometry& g = e.g;
  const int32_t channels = g.inChannels;
  const float* weights = e.weights->depthwise;
  const bool activated = withActivation(e, [&](auto act) {
    for (int32_t q = 0; q < ws.touchedCount; q++) {
      const int32_t pixel = ws.touchedList[q];
      const int32_t oy = pixel / g.outWidth;
      const float* in = pixelOrigin(e, oy, pixel - oy * g.outWidth);
      float* out = e.projection + static_cast<int64_t>(pixel) * channels;
      float* result = e.output + static_cast<int64_t>(pixel) * channels;
      for (int32_t c = 0; c < channels; c += L) {
        const int lanes = std::min(L, channels - c);
        Vec acc = loadLanes(e.weights->bias + c, lanes);
        for (int32_t t = 0; t < e.taps; t++) {
          acc = madd(loadLanes(in + e.tapOffsets[t] + c, lanes), loadLanes(weights + static_cast<int64_t>(t) * channels + c, lanes), acc);
        }
        storeLanes(out + c, acc, lanes);
        if constexpr (decltype(act)::kStoresOutput) storeLanes(result + c, act(acc), lanes);
      }
    }
  });
  if (!activated) activate(e, ws.touchedList, ws.touchedCount);
}

int64_t scatterDepthwise(Engine& e, Workspace& ws, int32_t activeCount) {
  const Geometry& g = e.g;
  const int32_t channels = g.inChannels;
  const float* weights = e.weights->depthwise;
  // P of the pixels a few active pixels ahead is fetched while this one is updated (prefetch.h).
  constexpr int32_t kAhead = 4;
  const bool undilated = g.dilationH == 1 && g.dilationW == 1;
  int64_t taps = 0;
  for (int32_t k = 0; k < activeCount; k++) {
    if (undilated && k + kAhead < activeCount) prefetchReach(e, ws, e.activePixels[k + kAhead]);
    const int32_t reached = collectReach(e, ws, e.activePixels[k]);
    taps += reached;
    const float* delta = e.deltas + static_cast<int64_t>(k) * channels;
    // The delta stays in a register across the pixel's taps: a tap costs a load of P and of W and a store.
    for (int32_t c = 0; c < channels; c += L) {
      const int lanes = std::min(L, channels - c);
      const Vec d = loadLanes(delta + c, lanes);
      for (int32_t r = 0; r < reached; r++) {
        float* out = e.projection + static_cast<int64_t>(ws.reach[2 * r]) * channels + c;
        const float* w = weights + static_cast<int64_t>(ws.reach[2 * r + 1]) * channels + c;
        storeLanes(out, madd(d, loadLanes(w, lanes), loadLanes(out, lanes)), lanes);
      }
    }
  }
  activate(e, ws.touchedList, ws.touchedCount);
  return taps;
}

}  // namespace RRM_ISA
}  // namespace rrm
