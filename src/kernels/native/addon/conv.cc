// Dense convolution (keyframes, dense fallbacks), its recompute at touched pixels, and the sparse
// scatter of deltas into P, for every layer kind but depthwise: all through `multiplyTile`.
#include "isa.h"

#include <algorithm>

#include "activations.h"
#include "prefetch.h"
#include "tile.h"

namespace rrm {
namespace RRM_ISA {

namespace {

template <int NV>
constexpr int panelColumns() {
  return NV * kLanes;
}

/** Where tap (0, 0) of output pixel (oy, ox) reads Ĩ, for group `group`. */
inline const float* fieldOrigin(const Engine& e, int32_t oy, int32_t ox, int32_t group) {
  const Geometry& g = e.g;
  return e.integrated + (static_cast<int64_t>(oy) * g.strideH * e.paddedWidth + static_cast<int64_t>(ox) * g.strideW) * g.inChannels +
         group * e.inPerGroup;
}

/**
 * P = W·Ĩ + b and output = act(P) at output pixels `pixelAt(from..to)`, MR at a time: per group
 * and block of output channels, one tile over every tap. A short last tile repeats its last pixel,
 * writing the repeats to the spill row.
 */
template <int NV, typename PixelAt, typename Act>
void computePixels(Engine& e, float* spillRow, int32_t from, int32_t to, PixelAt pixelAt, Act act) {
  constexpr int MR = tileRows<NV>();
  constexpr int NR = panelColumns<NV>();
  const Geometry& g = e.g;
  const Weights& w = *e.weights;
  const float* rows[MR];
  float* outs[MR];
  float* activated[MR];
  for (int32_t q = from; q < to; q += MR) {
    const int32_t count = std::min<int32_t>(MR, to - q);
    int32_t oy[MR], ox[MR];
    for (int i = 0; i < MR; i++) {
      const int32_t pixel = pixelAt(q + std::min(i, count - 1));
      oy[i] = pixel / g.outWidth;
      ox[i] = pixel - oy[i] * g.outWidth;
    }
    for (int32_t group = 0; group < g.groups; group++) {
      for (int i = 0; i < MR; i++) rows[i] = fieldOrigin(e, oy[i], ox[i], group);
      for (int32_t block = 0; block < w.blocksPerGroup; block++) {
        const int32_t channel = group * e.outPerGroup + block * NR;
        for (int i = 0; i < MR; i++) {
          const int64_t offset = (static_cast<int64_t>(oy[i]) * g.outWidth + ox[i]) * g.outChannels + channel;
          outs[i] = i < count ? e.projection + offset : spillRow;
          activated[i] = i < count ? e.output + offset : spillRow;
        }
        const float* panel = w.panels + (static_cast<int64_t>(group) * w.blocksPerGroup + block) * w.panelFloats;
        multiplyTile<MR, NV>(rows, e.tapOffsets, e.taps, e.inPerGroup, panel, outs, w.bias + channel,
                             std::min<int32_t>(NR, e.outPerGroup - block * NR), activated, act);
      }
    }
  }
}

template <int NV, typename PixelAt>
void computeAndActivate(Engine& e, float* spillRow, int32_t from, int32_t to, PixelAt pixelAt) {
  const bool activated = withActivation(e, [&](auto act) { computePixels<NV>(e, spillRow, from, to, pixelAt, act); });
  if (activated) return;
  for (int32_t q = from; q < to; q++) {
    const int32_t pixel = pixelAt(q);
    activate(e, &pixel, 1);
  }
}

template <int NV>
void denseRows(Engine& e, Workspace& ws, int32_t rowStart, int32_t rowEnd) {
  computeAndActivate<NV>(e, ws.spillRow, rowStart * e.g.outWidth, rowEnd * e.g.outWidth, [](int32_t pixel) { return pixel; });
}

template <int NV>
void recomputeList(Engine& e, Workspace& ws) {
  const int32_t* list = ws.touchedList;
  computeAndActivate<NV>(e, ws.spillRow, 0, ws.touchedCount, [list](int32_t q) { return list[q]; });
}

/**
 * `P[outPixel] += W[tap]ᵀ·delta` for `n` (active index, output pixel) pairs of one tap, MR at a
 * time (they reach distinct output pixels: a tap maps input pixels one to one). A short last tile
 * pads with the zero row into the spill row.
 */
template <int NV, typename Act = NoOutput>
void scatterPairs(Engine& e, Workspace& ws, const int32_t* pairs, int32_t n, int32_t tap, Act act = {}) {
  constexpr int MR = tileRows<NV>();
  constexpr int NR = panelColumns<NV>();
  const Geometry& g = e.g;
  const Weights& w = *e.weights;
  const float* rows[MR];
  float* outs[MR];
  float* activated[MR];
  const int64_t pixelBytes = g.outChannels * static_cast<int64_t>(sizeof(float));
  for (int32_t q = 0; q < n; q += MR) {
    const int32_t count = std::min<int32_t>(MR, n - q);
    // The next tile's output pixels are scattered over P and f(P): fetch them during this one (prefetch.h).
    for (int32_t i = q + MR; i < std::min(n, q + 2 * MR); i++) {
      const int64_t offset = static_cast<int64_t>(pairs[2 * i + 1]) * g.outChannels;
      prefetchBytes<true>(e.projection + offset, pixelBytes);
      if constexpr (Act::kStoresOutput) prefetchBytes<true>(e.output + offset, pixelBytes);
    }
    for (int32_t group = 0; group < g.groups; group++) {
      for (int i = 0; i < MR; i++) {
        rows[i] = i < count ? e.deltas + static_cast<int64_t>(pairs[2 * (q + i)]) * g.inChannels + group * e.inPerGroup : e.zeroRow;
      }
      for (int32_t block = 0; block < w.blocksPerGroup; block++) {
        const int32_t channel = group * e.outPerGroup + block * NR;
        for (int i = 0; i < MR; i++) {
          const int64_t offset = static_cast<int64_t>(pairs[2 * (q + i) + 1]) * g.outChannels + channel;
          outs[i] = i < count ? e.projection + offset : ws.spillRow;
          activated[i] = i < count ? e.output + offset : ws.spillRow;
        }
        const float* panel = w.panels + (static_cast<int64_t>(group) * w.blocksPerGroup + block) * w.panelFloats +
                             static_cast<int64_t>(tap) * e.inPerGroup * NR;
        multiplyTile<MR, NV>(rows, nullptr, 1, e.inPerGroup, panel, outs, nullptr, std::min<int32_t>(NR, e.outPerGroup - block * NR), activated, act);
      }
    }
  }
}

/**
 * A 1x1 conv on the same grid: each active pixel reaches its own output pixel only, through one
 * tap, so the tile holds each pixel's final P and stores f(P) with it.
 */
template <int NV>
int64_t scatterPointwise(Engine& e, Workspace& ws, int32_t activeCount) {
  // (active index, output pixel) pairs of the workspace's rows, as one tap's list; they are touched.
  int32_t* pairs = ws.tapList;
  int32_t n = 0;
  for (int32_t k = 0; k < activeCount; k++) {
    const int32_t pixel = e.activePixels[k];
    if (!ws.owns(pixel, e.g.outWidth)) continue;
    pairs[2 * n] = k;
    pairs[2 * n + 1] = pixel;
    ws.touchedList[ws.touchedCount + n] = pixel;
    e.touchedMarks[pixel] = 1;
    n++;
  }
  const int32_t first = ws.touchedCount;
  ws.touchedCount += n;
  const bool activated = withActivation(e, [&](auto act) { scatterPairs<NV>(e, ws, pairs, n, 0, act); });
  if (!activated) activate(e, ws.touchedList + first, n);
  return n;
}

/**
 * A kernel covering the whole map (a fully-connected layer): one output pixel, which every active
 * pixel reaches through its own tap; the block of P stays in registers across the active pixels.
 */
template <int NV>
int64_t scatterWholeMap(Engine& e, Workspace& ws, int32_t activeCount) {
  constexpr int NR = panelColumns<NV>();
  constexpr int L = kLanes;
  const Geometry& g = e.g;
  const Weights& w = *e.weights;
  // Each active pixel reaches the one output pixel through at most one tap (distinct taps read
  // distinct input pixels): its tap, or -1, in `tapList`.
  int32_t* tapOf = ws.tapList;
  int64_t taps = 0;
  for (int32_t k = 0; k < activeCount; k++) {
    const int32_t reached = collectReach(e, ws, e.activePixels[k]);
    tapOf[k] = reached ? ws.reach[1] : -1;
    taps += reached;
  }
  for (int32_t group = 0; group < g.groups; group++) {
    for (int32_t block = 0; block < w.blocksPerGroup; block++) {
      const int32_t channel = group * e.outPerGroup + block * NR;
      const int32_t columns = std::min<int32_t>(NR, e.outPerGroup - block * NR);
      const float* groupPanel = w.panels + (static_cast<int64_t>(group) * w.blocksPerGroup + block) * w.panelFloats;
      float* out = e.projection + channel;
      Vec acc[NV];
      for (int j = 0; j < NV; j++) {
        const int lanes = std::min(L, columns - j * L);
        acc[j] = lanes == L ? load(out + j * L) : lanes > 0 ? loadFirst(out + j * L, lanes) : zero();
      }
      for (int32_t k = 0; k < activeCount; k++) {
        if (tapOf[k] < 0) continue;
        const float* delta = e.deltas + static_cast<int64_t>(k) * g.inChannels + group * e.inPerGroup;
        const float* panel = groupPanel + static_cast<int64_t>(tapOf[k]) * e.inPerGroup * NR;
        for (int32_t c = 0; c < e.inPerGroup; c++) {
          const Vec s = broadcast(delta[c]);
          for (int j = 0; j < NV; j++) acc[j] = madd(s, load(panel + j * L), acc[j]);
          panel += NR;
        }
      }
      for (int j = 0; j < NV; j++) {
        const int lanes = std::min(L, columns - j * L);
        if (lanes == L) store(out + j * L, acc[j]);
        else if (lanes > 0) storeFirst(out + j * L, acc[j], lanes);
      }
    }
  }
  return taps;
}

/** Any other layer: tap-major, every tap's pairs through the tile. */
template <int NV>
int64_t scatterTapMajor(Engine& e, Workspace& ws, int32_t activeCount) {
  const Geometry& g = e.g;
  int64_t taps = 0;
  for (int32_t k = 0; k < activeCount; k++) taps += collectReach(e, ws, e.activePixels[k]);
  for (int32_t ky = 0; ky < g.kernelHeight; ky++) {
    for (int32_t kx = 0; kx < g.kernelWidth; kx++) {
      const int32_t n = listTapReach(e, ws, activeCount, ky, kx);
      if (n > 0) scatterPairs<NV>(e, ws, ws.tapList, n, ky * g.kernelWidth + kx);
    }
  }
  return taps;
}

template <int NV>
int64_t scatterAny(Engine& e, Workspace& ws, int32_t activeCount) {
  const Geometry& g = e.g;
  if (e.kind == ConvKind::Pointwise && g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth) {
    return scatterPointwise<NV>(e, ws, activeCount);
  }
  // Several taps reach a pixel: its P is final only after all of them, so f(P) comes after.
  const int64_t taps = g.outHeight * g.outWidth == 1 ? scatterWholeMap<NV>(e, ws, activeCount) : scatterTapMajor<NV>(e, ws, activeCount);
  activate(e, ws.touchedList, ws.touchedCount);
  return taps;
}

inline bool twoVectorPanels(const Engine& e) { return e.weights->panelWidth == panelColumns<2>(); }

}  // namespace

int32_t panelWidth(int32_t outPerGroup) { return outPerGroup > kLanes ? panelColumns<2>() : panelColumns<1>(); }

void preparePanels(const Geometry& g, const float* packed, Weights& w) {
  const int32_t inPerGroup = g.inChannels / g.groups;
  const int32_t outPerGroup = g.outChannels / g.groups;
  const int32_t taps = g.kernelHeight * g.kernelWidth;
  const int32_t width = w.panelWidth;
  for (int32_t group = 0; group < g.groups; group++) {
    for (int32_t block = 0; block < w.blocksPerGroup; block++) {
      float* panel = w.panels + (static_cast<int64_t>(group) * w.blocksPerGroup + block) * w.panelFloats;
      for (int32_t t = 0; t < taps; t++) {
        for (int32_t c = 0; c < inPerGroup; c++) {
          const float* row = packed + (static_cast<int64_t>(t) * g.inChannels + group * inPerGroup + c) * outPerGroup;
          for (int32_t col = 0; col < width; col++) {
            const int32_t co = block * width + col;
            *panel++ = co < outPerGroup ? row[co] : 0.0f;
          }
        }
      }
    }
  }
}

void denseConv(Engine& e, Workspace& ws, int32_t rowStart, int32_t rowEnd) {
  if (twoVectorPanels(e)) denseRows<2>(e, ws, rowStart, rowEnd);
  else denseRows<1>(e, ws, rowStart, rowEnd);
}

void recomputeTouched(Engine& e, Workspace& ws) {
  if (twoVectorPanels(e)) recomputeList<2>(e, ws);
  else recomputeList<1>(e, ws);
}

int64_t scatter(Engine& e, Workspace& ws, int32_t activeCount) {
  return twoVectorPanels(e) ? scatterAny<2>(e, ws, activeCount) : scatterAny<1>(e, ws, activeCount);
}

}  // namespace RRM_ISA
}  // namespace rrm
