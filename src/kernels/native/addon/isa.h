// The kernels of the instruction set this translation unit is compiled for (see simd.h); table.cc
// gathers them into that instruction set's `KernelTable`. Semantics: kernels.h.
#pragma once
#include "kernels.h"
#include "simd.h"

namespace rrm {
namespace RRM_ISA {

int32_t panelWidth(int32_t outPerGroup);
void preparePanels(const Geometry& g, const float* packed, Weights& w);
void denseConv(Engine& e, Workspace& ws, int32_t rowStart, int32_t rowEnd);
void recomputeTouched(Engine& e, Workspace& ws);
int64_t scatter(Engine& e, Workspace& ws, int32_t activeCount);

void denseDepthwise(Engine& e, Workspace& ws, int32_t rowStart, int32_t rowEnd);
void recomputeDepthwise(Engine& e, Workspace& ws);
int64_t scatterDepthwise(Engine& e, Workspace& ws, int32_t activeCount);

bool integrateRows(Engine& e, const float* input, int32_t rowStart, int32_t rowEnd);
int32_t detect(Engine& e, const float* input, float threshold, const int32_t* candidates, int32_t from, int32_t to, int32_t first, int32_t maxActive,
               bool& nonFinite);

void activate(Engine& e, const int32_t* pixels, int32_t count);

}  // namespace RRM_ISA
}  // namespace rrm
