// This instruction set's kernel table: depthwise layers get their own dense, recompute and scatter
// kernels (lanes over channels); every other kind goes through the tile kernels.
#include "isa.h"

namespace rrm {
namespace RRM_ISA {

namespace {

void denseAny(Engine& e, Workspace& ws, int32_t rowStart, int32_t rowEnd) {
  if (e.kind == ConvKind::Depthwise) denseDepthwise(e, ws, rowStart, rowEnd);
  else denseConv(e, ws, rowStart, rowEnd);
}

void recomputeAny(Engine& e, Workspace& ws) {
  if (e.kind == ConvKind::Depthwise) recomputeDepthwise(e, ws);
  else recomputeTouched(e, ws);
}

int64_t scatterAny(Engine& e, Workspace& ws, int32_t activeCount) {
  return e.kind == ConvKind::Depthwise ? scatterDepthwise(e, ws, activeCount) : scatter(e, ws, activeCount);
}

#define RRM_STRINGIFY_NAME(name) #name
#define RRM_NAME(name) RRM_STRINGIFY_NAME(name)

const KernelTable table = {
    RRM_NAME(RRM_ISA), panelWidth, preparePanels, denseAny, recomputeAny, integrateRows, detect, scatterAny, activate,
};

}  // namespace

const KernelTable* kernelTable() { return &table; }

}  // namespace RRM_ISA
}  // namespace rrm
