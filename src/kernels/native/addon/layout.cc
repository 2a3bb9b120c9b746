#include "layout.h"

#include <algorithm>
#include <cstring>

#include "kernels.h"

namespace rrm {

namespace {

/** Sections of a block, each starting on a 64-byte boundary. */
class Sections {
 public:
  size_t add(size_t bytes) {
    const size_t offset = end_;
    end_ += (bytes + kBlockAlignment - 1) / kBlockAlignment * kBlockAlignment;
    return offset;
  }
  size_t end() const { return end_; }

 private:
  size_t end_ = 0;
};

ConvKind kindOf(const Geometry& g) {
  if (g.groups > 1 && g.groups == g.inChannels && g.groups == g.outChannels) return ConvKind::Depthwise;
  if (g.inChannels / g.groups < 8) return ConvKind::Narrow;
  if (g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideH == 1 && g.strideW == 1 && g.groups == 1) return ConvKind::Pointwise;
  return ConvKind::General;
}

/** Slack after the last row of any buffer a tile reads or writes: a whole panel of floats. */
constexpr int64_t kSlackFloats = 64;

}  // namespace

std::string geometryProblem(const Geometry& g) {
  const int32_t sizes[] = {g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.kernelHeight,
                           g.kernelWidth, g.strideH, g.strideW, g.dilationH, g.dilationW, g.groups};
  for (const int32_t size : sizes) {
    if (size < 1) return "sizes, strides, dilations and groups must be at least 1";
  }
  if (g.padTop < 0 || g.padLeft < 0 || g.padBottom < 0 || g.padRight < 0) return "padding must not be negative";
  if (g.inChannels % g.groups != 0 || g.outChannels % g.groups != 0) return "channels must divide by groups";
  // Every tap of every output pixel must land inside the zero-bordered input (the padded extent).
  const int64_t extentH = static_cast<int64_t>(g.outHeight - 1) * g.strideH + static_cast<int64_t>(g.kernelHeight - 1) * g.dilationH + 1;
  const int64_t extentW = static_cast<int64_t>(g.outWidth - 1) * g.strideW + static_cast<int64_t>(g.kernelWidth - 1) * g.dilationW + 1;
  if (extentH > static_cast<int64_t>(g.padTop) + g.inHeight + g.padBottom || extentW > static_cast<int64_t>(g.padLeft) + g.inWidth + g.padRight) {
    return "the output size does not fit the padded input";
  }
  const int64_t values = static_cast<int64_t>(g.padTop + g.inHeight + g.padBottom) * (g.padLeft + g.inWidth + g.padRight) * g.inChannels;
  if (values > (int64_t{1} << 31) / 4) return "the layer is too large (over 512 M values)";
  return "";
}

bool sameWeightShape(const Geometry& a, const Geometry& b) {
  return a.inChannels == b.inChannels && a.outChannels == b.outChannels && a.groups == b.groups && a.kernelHeight == b.kernelHeight &&
         a.kernelWidth == b.kernelWidth;
}

WeightsLayout weightsLayout(const KernelTable& table, const Geometry& g) {
  const int32_t outPerGroup = g.outChannels / g.groups;
  const int32_t inPerGroup = g.inChannels / g.groups;
  const int64_t taps = static_cast<int64_t>(g.kernelHeight) * g.kernelWidth;
  const int32_t width = table.panelWidth(outPerGroup);
  const int64_t blocks = (outPerGroup + width - 1) / width;
  WeightsLayout layout;
  layout.packedFloats = taps * g.inChannels * outPerGroup;
  Sections sections;
  sections.add(sizeof(Weights));
  const bool depthwise = kindOf(g) == ConvKind::Depthwise;
  layout.panels = sections.add(depthwise ? 0 : static_cast<size_t>(g.groups * blocks * taps * inPerGroup * width) * sizeof(float));
  layout.depthwise = sections.add(depthwise ? static_cast<size_t>(layout.packedFloats) * sizeof(float) : 0);
  layout.bias = sections.add(static_cast<size_t>(g.outChannels + kSlackFloats) * sizeof(float));
  layout.bytes = sections.end();
  return layout;
}

void buildWeights(const KernelTable& table, const Geometry& g, const WeightsLayout& layout, char* block, const float* packed, const float* bias) {
  Weights& w = *reinterpret_cast<Weights*>(block);
  const int32_t outPerGroup = g.outChannels / g.groups;
  w.magic = kWeightsMagic;
  w.kernels = &table;
  w.g = g;
  w.panelWidth = table.panelWidth(outPerGroup);
  w.blocksPerGroup = (outPerGroup + w.panelWidth - 1) / w.panelWidth;
  w.panelFloats = static_cast<int64_t>(g.kernelHeight) * g.kernelWidth * (g.inChannels / g.groups) * w.panelWidth;
  w.panels = reinterpret_cast<float*>(block + layout.panels);
  w.depthwise = reinterpret_cast<float*>(block + layout.depthwise);
  w.bias = reinterpret_cast<float*>(block + layout.bias);
  if (bias) std::memcpy(w.bias, bias, static_cast<size_t>(g.outChannels) * sizeof(float));
  if (kindOf(g) == ConvKind::Depthwise) std::memcpy(w.depthwise, packed, static_cast<size_t>(layout.packedFloats) * sizeof(float));
  else table.preparePanels(g, packed, w);
}

EngineLayout engineLayout(const Weights& weights, const Geometry& g) {
  EngineLayout layout;
  const int64_t inPixels = static_cast<int64_t>(g.inHeight) * g.inWidth;
  const int64_t outPixels = static_cast<int64_t>(g.outHeight) * g.outWidth;
  const int64_t taps = static_cast<int64_t>(g.kernelHeight) * g.kernelWidth;
  // Ĩ gets a zero border wide enough for every tap of every output pixel: dense kernels never bounds-check.
  layout.paddedHeight = std::max<int32_t>(g.padTop + g.inHeight, (g.outHeight - 1) * g.strideH + (g.kernelHeight - 1) * g.dilationH + 1);
  layout.paddedWidth = std::max<int32_t>(g.padLeft + g.inWidth, (g.outWidth - 1) * g.strideW + (g.kernelWidth - 1) * g.dilationW + 1);
  const size_t f = sizeof(float), i = sizeof(int32_t);
  Sections sections;
  sections.add(sizeof(Engine));
  layout.status = sections.add(StatusSlots * i);
  layout.integrated = sections.add(static_cast<size_t>(static_cast<int64_t>(layout.paddedHeight) * layout.paddedWidth * g.inChannels + kSlackFloats) * f);
  layout.projection = sections.add(static_cast<size_t>(outPixels * g.outChannels + kSlackFloats) * f);
  layout.output = sections.add(static_cast<size_t>(outPixels * g.outChannels + kSlackFloats) * f);
  layout.tapOffsets = sections.add(static_cast<size_t>(taps) * i);
  layout.activePixels = sections.add(static_cast<size_t>(inPixels) * i);
  layout.deltas = sections.add(static_cast<size_t>(inPixels * g.inChannels + kSlackFloats) * f);
  layout.touchedMarks = sections.add(static_cast<size_t>(outPixels));
  layout.touchedList = sections.add(static_cast<size_t>(outPixels) * i);
  layout.secondTouchedList = sections.add(static_cast<size_t>(outPixels) * i);
  layout.zeroRow = sections.add(static_cast<size_t>(g.inChannels + kSlackFloats) * f);
  for (int part = 0; part < 2; part++) {
    layout.reach[part] = sections.add(static_cast<size_t>(2 * taps) * i);
    layout.tapList[part] = sections.add(static_cast<size_t>(2 * std::max(inPixels, outPixels)) * i);
    layout.spillRow[part] = sections.add(static_cast<size_t>(weights.panelWidth + kSlackFloats) * f);
  }
  layout.bytes = sections.end();
  return layout;
}

void buildEngine(const Weights& weights, const Geometry& g, const EngineLayout& layout, char* block, ActivationKind activation, float leakyAlpha) {
  Engine& e = *reinterpret_cast<Engine*>(block);
  e.magic = kEngineMagic;
  e.g = g;
  e.kind = kindOf(g);
  e.activation = activation;
  e.leakyAlpha = leakyAlpha;
  e.paddedHeight = layout.paddedHeight;
  e.paddedWidth = layout.paddedWidth;
  e.taps = g.kernelHeight * g.kernelWidth;
  e.inPerGroup = g.inChannels / g.groups;
  e.outPerGroup = g.outChannels / g.groups;
  e.kernels = weights.kernels;
  e.weights = &weights;
  e.threads = 1;
  e.minSplitWork = 0;
  const auto floats = [block](size_t offset) { return reinterpret_cast<float*>(block + offset); };
  const auto ints = [block](size_t offset) { return reinterpret_cast<int32_t*>(block + offset); };
  e.status = ints(layout.status);
  e.integrated = floats(layout.integrated);
  e.projection = floats(layout.projection);
  e.output = floats(layout.output);
  e.tapOffsets = ints(layout.tapOffsets);
  e.activePixels = ints(layout.activePixels);
  e.deltas = floats(layout.deltas);
  e.touchedMarks = reinterpret_cast<uint8_t*>(block + layout.touchedMarks);
  e.touchedList = ints(layout.touchedList);
  e.zeroRow = floats(layout.zeroRow);
  for (int part = 0; part < 2; part++) {
    Workspace& ws = e.parts[part];
    ws.rowStart = 0;
    ws.rowEnd = g.outHeight;
    ws.touchedList = ints(part == 0 ? layout.touchedList : layout.secondTouchedList);
    ws.touchedCount = 0;
    ws.reach = ints(layout.reach[part]);
    ws.tapList = ints(layout.tapList[part]);
    ws.spillRow = floats(layout.spillRow[part]);
  }
  for (int32_t ky = 0; ky < g.kernelHeight; ky++) {
    for (int32_t kx = 0; kx < g.kernelWidth; kx++) {
      e.tapOffsets[ky * g.kernelWidth + kx] = (ky * g.dilationH * layout.paddedWidth + kx * g.dilationW) * g.inChannels;
    }
  }
}

}  // namespace rrm
