// The kernels of one instruction set, as a table the binding dispatches through, and the
// bookkeeping shared by every instruction set (which output pixels an input pixel reaches).
#pragma once
#include <cstdint>

#include "engine.h"

namespace rrm {

struct KernelTable {
  const char* name;
  /** Floats per vector: maps with fewer channels are "narrow" to detection (one vector spans pixels). */
  int32_t lanes;
  /** Output channels per weight panel for a group of `outPerGroup` channels. */
  int32_t (*panelWidth)(int32_t outPerGroup);
  /** Rearranges scatter-order weights `[taps][inC][outPerGroup]` into `w`'s panels. */
  void (*preparePanels)(const Geometry& g, const float* packed, Weights& w);
  /** P = W·Ĩ + b and output = f(P) for output rows `rowStart..rowEnd` (the workspace of the thread that runs them). */
  void (*denseConv)(Engine& e, Workspace& ws, int32_t rowStart, int32_t rowEnd);
  /** P = W·Ĩ + b and output = f(P) at the workspace's touched pixels. */
  void (*recomputeTouched)(Engine& e, Workspace& ws);
  /** Ĩ = input over input rows `rowStart..rowEnd` (the border stays zero); whether a value copied is NaN or ±Infinity. */
  bool (*integrateRows)(Engine& e, const float* input, int32_t rowStart, int32_t rowEnd);
  /**
   * Active pixels (`max_c |input − Ĩ| > τ`, NaN counts as active) among `candidates[from..to)`, or
   * in input rows `from..to` when `candidates` is null: lists them and their deltas from index
   * `first` of the active list, integrates them into Ĩ, and says whether a delta is NaN/±Infinity;
   * returns their count, or `maxActive + 1` as soon as there are more than `maxActive`.
   */
  int32_t (*detect)(Engine& e, const float* input, float threshold, const int32_t* candidates, int32_t from, int32_t to, int32_t first,
                    int32_t maxActive, bool& nonFinite);
  /**
   * P += W·deltas at every output pixel of the workspace's rows the active pixels reach (filling
   * its touched list), and output = f(P) there; returns the (pixel, tap) pairs that reached its rows.
   */
  int64_t (*scatter)(Engine& e, Workspace& ws, int32_t activeCount);
  /** output = f(P) at the listed output pixels, or everywhere when `pixels` is null. */
  void (*activate)(Engine& e, const int32_t* pixels, int32_t count);
};

namespace avx512 { const KernelTable* kernelTable(); }
namespace avx2 { const KernelTable* kernelTable(); }
namespace portable { const KernelTable* kernelTable(); }

/**
 * Writes (output pixel, tap) pairs of every output pixel of the workspace's rows that input pixel
 * `pixel` reaches to `ws.reach`, adds new ones to its touched list, and returns the pair count.
 */
int32_t collectReach(Engine& e, Workspace& ws, int32_t pixel);
/** (active index, output pixel) pairs of the active pixels that tap (ky, kx) carries to the workspace's rows, in `ws.tapList`. */
int32_t listTapReach(Engine& e, Workspace& ws, int32_t activeCount, int32_t ky, int32_t kx);
/** The output pixels an input pixel reaches without dilation: rows `oyFirst..oyLast`, columns `oxFirst..oxLast` (empty when first > last). */
struct ReachRectangle {
  int32_t oyFirst, oyLast, oxFirst, oxLast;
};
/** The rectangle of output pixels whose window covers input `pixel` (undilated kernels only), clipped to rows `rowStart..rowEnd`. */
ReachRectangle reachRectangle(const Engine& e, int32_t pixel, int32_t rowStart, int32_t rowEnd);
/** Adds every output pixel of the workspace's rows the active pixels reach to its touched list; returns its count. */
int32_t markTouched(Engine& e, Workspace& ws, int32_t activeCount);
/** Empties the touched list, clearing only the marks that were set. */
void clearTouched(Engine& e);
/** Index of the first NaN or ±Infinity among `count` floats, or -1. */
int32_t findNonFinite(const float* values, int64_t count);

}  // namespace rrm
