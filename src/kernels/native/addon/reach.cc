// Which output pixels an input pixel reaches, and the touched list: integer bookkeeping that every
// instruction set shares (compiled once).
#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace rrm {

namespace {
/** yNum / stride for yNum >= 0 without a division at strides 1 and 2 (tens of cycles each). */
inline int32_t divideByStride(int32_t value, int32_t stride) {
  return stride == 1 ? value : stride == 2 ? value >> 1 : value / stride;
}
}  // namespace

int32_t collectReach(Engine& e, Workspace& ws, int32_t pixel) {
  const Geometry& g = e.g;
  const int32_t iy = pixel / g.inWidth;
  const int32_t ix = pixel - iy * g.inWidth;
  int32_t touchedCount = ws.touchedCount;
  int32_t count = 0;
  // Without dilation only every stride-th tap reaches an output pixel: start at the first and step
  // by the stride (a strided stem's 3x3 kernel tries 2.25 taps per pixel on average, not 9).
  const int32_t kyStep = g.dilationH == 1 ? g.strideH : 1;
  const int32_t kxStep = g.dilationW == 1 ? g.strideW : 1;
  const int32_t kyFirst = kyStep == 1 ? 0 : (iy + g.padTop) % g.strideH;
  const int32_t kxFirst = kxStep == 1 ? 0 : (ix + g.padLeft) % g.strideW;
  for (int32_t ky = kyFirst; ky < g.kernelHeight; ky += kyStep) {
    const int32_t yNum = iy + g.padTop - ky * g.dilationH;
    if (yNum < 0) break;
    const int32_t oy = divideByStride(yNum, g.strideH);
    if (oy * g.strideH != yNum || oy >= g.outHeight) continue;
    // Output rows come in decreasing order: once above the workspace's rows, the rest are too.
    if (oy >= ws.rowEnd) continue;
    if (oy < ws.rowStart) break;
    for (int32_t kx = kxFirst; kx < g.kernelWidth; kx += kxStep) {
      const int32_t xNum = ix + g.padLeft - kx * g.dilationW;
      if (xNum < 0) break;
      const int32_t ox = divideByStride(xNum, g.strideW);
      if (ox * g.strideW != xNum || ox >= g.outWidth) continue;
      const int32_t outPixel = oy * g.outWidth + ox;
      if (!e.touchedMarks[outPixel]) {
        e.touchedMarks[outPixel] = 1;
        ws.touchedList[touchedCount++] = outPixel;
      }
      ws.reach[2 * count] = outPixel;
      ws.reach[2 * count + 1] = ky * g.kernelWidth + kx;
      count++;
    }
  }
  ws.touchedCount = touchedCount;
  return count;
}

int32_t listTapReach(Engine& e, Workspace& ws, int32_t activeCount, int32_t ky, int32_t kx) {
  const Geometry& g = e.g;
  const int32_t yShift = g.padTop - ky * g.dilationH;
  const int32_t xShift = g.padLeft - kx * g.dilationW;
  int32_t n = 0;
  for (int32_t k = 0; k < activeCount; k++) {
    const int32_t pixel = e.activePixels[k];
    const int32_t iy = pixel / g.inWidth;
    const int32_t yNum = iy + yShift;
    const int32_t xNum = pixel - iy * g.inWidth + xShift;
    if (yNum < 0 || xNum < 0) continue;
    const int32_t oy = divideByStride(yNum, g.strideH);
    const int32_t ox = divideByStride(xNum, g.strideW);
    if (oy * g.strideH != yNum || oy < ws.rowStart || oy >= ws.rowEnd || ox * g.strideW != xNum || ox >= g.outWidth) continue;
    ws.tapList[2 * n] = k;
    ws.tapList[2 * n + 1] = oy * g.outWidth + ox;
    n++;
  }
  return n;
}

int32_t markTouched(Engine& e, Workspace& ws, int32_t activeCount) {
  const Geometry& g = e.g;
  if (g.dilationH != 1 || g.dilationW != 1) {
    for (int32_t k = 0; k < activeCount; k++) collectReach(e, ws, e.activePixels[k]);
    return ws.touchedCount;
  }
  // Undilated: an input pixel reaches the rectangle of output pixels whose window covers it, so the
  // touched set needs no (pixel, tap) pairs.
  int32_t touchedCount = ws.touchedCount;
  for (int32_t k = 0; k < activeCount; k++) {
    const ReachRectangle r = reachRectangle(e, e.activePixels[k], ws.rowStart, ws.rowEnd);
    for (int32_t oy = r.oyFirst; oy <= r.oyLast; oy++) {
      for (int32_t ox = r.oxFirst; ox <= r.oxLast; ox++) {
        const int32_t outPixel = oy * g.outWidth + ox;
        if (e.touchedMarks[outPixel]) continue;
        e.touchedMarks[outPixel] = 1;
        ws.touchedList[touchedCount++] = outPixel;
      }
    }
  }
  ws.touchedCount = touchedCount;
  return touchedCount;
}

ReachRectangle reachRectangle(const Engine& e, int32_t pixel, int32_t rowStart, int32_t rowEnd) {
  const Geometry& g = e.g;
  const auto firstOut = [](int32_t position, int32_t kernel, int32_t stride) {
    const int32_t lowest = position - kernel + 1;  // the window starting here still covers `position`
    return lowest <= 0 ? 0 : (lowest + stride - 1) / stride;
  };
  const int32_t row = pixel / g.inWidth;
  const int32_t iy = row + g.padTop;
  const int32_t ix = pixel - row * g.inWidth + g.padLeft;
  return {std::max(firstOut(iy, g.kernelHeight, g.strideH), rowStart), std::min(divideByStride(iy, g.strideH), std::min(g.outHeight, rowEnd) - 1),
          firstOut(ix, g.kernelWidth, g.strideW), std::min(divideByStride(ix, g.strideW), g.outWidth - 1)};
}

void clearTouched(Engine& e) {
  const int32_t count = e.status[TouchedCount];
  for (int32_t k = 0; k < count; k++) e.touchedMarks[e.touchedList[k]] = 0;
  e.status[TouchedCount] = 0;
}

int32_t findNonFinite(const float* values, int64_t count) {
  for (int64_t i = 0; i < count; i++) {
    if (!std::isfinite(values[i])) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace rrm
