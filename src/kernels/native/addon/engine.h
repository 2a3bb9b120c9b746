// One conv layer's shared weights and one subscription's state, as the native kernels see them.
// Both live in ArrayBuffers owned by JavaScript (so the garbage collector frees them and views on
// them never dangle); these structs sit at the 64-byte-aligned start of their buffer and point into
// the rest of it.
#pragma once
#include <cstdint>

namespace rrm {

/** The JS `ConvGeometry`, field for field, in the order `src/kernels/native/native-engine.ts` writes it. */
struct Geometry {
  int32_t inHeight, inWidth, inChannels;
  int32_t outHeight, outWidth, outChannels;
  int32_t kernelHeight, kernelWidth;
  int32_t strideH, strideW, dilationH, dilationW;
  int32_t padTop, padLeft, padBottom, padRight;
  int32_t groups;
};
constexpr int kGeometryFields = sizeof(Geometry) / sizeof(int32_t);

/** Which kernels a layer uses; the same classification as `convKind` in geometry.ts. */
enum class ConvKind : int32_t { General = 0, Pointwise = 1, Depthwise = 2, Narrow = 3 };

/** Activation codes, in the order of `ACTIVATIONS` in activation.ts. */
enum class ActivationKind : int32_t { None = 0, Relu = 1, Relu6 = 2, LeakyRelu = 3, Sigmoid = 4, HardSwish = 5 };

struct KernelTable;

/** First word of a weights or engine block: a buffer that is not one is refused, never read. */
constexpr uint32_t kWeightsMagic = 0x52524d57;  // "RRMW"
constexpr uint32_t kEngineMagic = 0x52524d45;   // "RRME"

/**
 * Weights of one layer for one instruction set, shared by every subscription: the dense/scatter
 * panels (per group, per block of `panelWidth` output channels, `[taps][inPerGroup][panelWidth]`,
 * zero-padded), and the bias padded to whole vectors.
 */
struct Weights {
  uint32_t magic;
  /** The instruction set whose panel width the panels have. */
  const KernelTable* kernels;
  Geometry g;
  int32_t panelWidth;
  int32_t blocksPerGroup;
  /** Floats of one block's panel: taps · inPerGroup · panelWidth. */
  int64_t panelFloats;
  /** Depthwise layers: the packed `[taps][channels]` weights, read with the channels as lanes. */
  float* depthwise;
  float* panels;
  float* bias;
};

/** Slots of the Int32Array JavaScript reads after each call (no N-API call needed to read them). */
enum Status : int32_t { TouchedCount = 0, DeltasNonFinite = 1, StatusSlots = 4 };

/**
 * What one thread works with in a sparse update: the output rows it owns (every contribution to
 * them is its own, so two threads never write one pixel), its touched list and its scratch. A
 * one-thread update has one workspace owning every row.
 */
struct Workspace {
  int32_t rowStart, rowEnd;
  int32_t* touchedList;
  int32_t touchedCount;
  /** (output pixel, tap) pairs of one input pixel: 2·taps slots. */
  int32_t* reach;
  /** (active index, output pixel) pairs of one tap: 2·max(inPixels, outPixels) slots. */
  int32_t* tapList;
  /** Absorbs the writes of a short tile's padding rows (a panel of floats). */
  float* spillRow;

  bool owns(int32_t outPixel, int32_t outWidth) const {
    const int32_t row = outPixel / outWidth;
    return row >= rowStart && row < rowEnd;
  }
};

struct Engine {
  uint32_t magic;
  Geometry g;
  ConvKind kind;
  ActivationKind activation;
  float leakyAlpha;
  int32_t paddedHeight, paddedWidth;
  int32_t taps, inPerGroup, outPerGroup;
  const KernelTable* kernels;
  const Weights* weights;
  /** 1, or 2 to split steps with the helper thread (steps.h). */
  int32_t threads;
  /** With 2 threads, steps with less work than this many multiply-adds (or detection floats) stay on one thread. */
  double minSplitWork;
  /** Ĩ with a zero border wide enough for every tap: `[paddedHeight, paddedWidth, inChannels]`. */
  float* integrated;
  float* projection;
  /** f(P), kept whole. */
  float* output;
  /** Offset in floats of each tap within Ĩ, relative to tap (0, 0). */
  int32_t* tapOffsets;
  int32_t* activePixels;
  /** I − Ĩ of the active pixels, `inChannels` each, in the order of `activePixels`. */
  float* deltas;
  /** One byte per output pixel: set while it is in the touched list. */
  uint8_t* touchedMarks;
  /** The touched output pixels of the last sparse update (the workspaces' lists, joined), `status[TouchedCount]` of them. */
  int32_t* touchedList;
  int32_t* status;
  /** Padding rows of a short tile read this: zeros, inChannels of them. */
  float* zeroRow;
  /** One per thread; the first's touched list is `touchedList`. Dense convs use the first's spill row. */
  Workspace parts[2];
};

}  // namespace rrm
