// output = f(P), over the whole map after a dense conv or at the touched pixels after a sparse update.
#include <algorithm>
#include <cmath>

#include "isa.h"
#include "prefetch.h"

namespace rrm {
namespace RRM_ISA {

namespace {

constexpr int L = kLanes;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double hardSwish(double x) { return x <= -3 ? 0.0 : x >= 3 ? x : (x * (x + 3.0)) / 6.0; }

/**
 * `to = f(from)` over `count` floats at each of `spans` places (`offsets`, or one place when null),
 * one loop per kind: the kind is decided once per call, not per value or per pixel (a touched
 * pixel of 16 channels is a single vector, so a call per pixel would cost more than its work).
 */
template <typename VectorOp, typename ScalarOp>
inline void applyEach(const float* from, float* to, const int32_t* pixels, int32_t spans, int64_t count, VectorOp vectorOp, ScalarOp scalarOp) {
  // Touched pixels are scattered over maps larger than the caches (see prefetch.h).
  constexpr int32_t kAhead = 8;
  const int64_t bytes = count * static_cast<int64_t>(sizeof(float));
  for (int32_t k = 0; k < spans; k++) {
    if (pixels && k + kAhead < spans) {
      prefetchBytes(from + static_cast<int64_t>(pixels[k + kAhead]) * count, bytes);
      prefetchBytes<true>(to + static_cast<int64_t>(pixels[k + kAhead]) * count, bytes);
    }
    const int64_t start = pixels ? static_cast<int64_t>(pixels[k]) * count : 0;
    const float* x = from + start;
    float* y = to + start;
    int64_t i = 0;
    for (; i + L <= count; i += L) store(y + i, vectorOp(load(x + i)));
    for (; i < count; i++) y[i] = scalarOp(x[i]);
  }
}

}  // namespace

void activate(Engine& e, const int32_t* pixels, int32_t count) {
  const int64_t channels = e.g.outChannels;
  // The whole map is one span of every value; a touched list is one span per pixel.
  const int64_t span = pixels ? channels : static_cast<int64_t>(e.g.outHeight) * e.g.outWidth * channels;
  const int32_t spans = pixels ? count : 1;
  const float* from = e.projection;
  float* to = e.output;
  switch (e.activation) {
    case ActivationKind::None:
      applyEach(from, to, pixels, spans, span, [](Vec v) { return v; }, [](float x) { return x; });
      return;
    case ActivationKind::Relu:
      applyEach(from, to, pixels, spans, span, [](Vec v) { return max(v, zero()); }, [](float x) { return x > 0 ? x : 0.0f; });
      return;
    case ActivationKind::Relu6: {
      const Vec six = broadcast(6.0f);
      applyEach(from, to, pixels, spans, span, [six](Vec v) { return min(max(v, zero()), six); },
                [](float x) { return x < 0 ? 0.0f : x > 6 ? 6.0f : x; });
      return;
    }
    case ActivationKind::LeakyRelu: {
      const float alpha = e.leakyAlpha;
      const Vec slope = broadcast(alpha);
      applyEach(from, to, pixels, spans, span, [slope](Vec v) { return leaky(v, slope); }, [alpha](float x) { return x >= 0 ? x : x * alpha; });
      return;
    }
    // In double, as JavaScript computes them (the reference), then rounded to float.
    case ActivationKind::Sigmoid:
      for (int32_t k = 0; k < spans; k++) {
        const int64_t start = pixels ? static_cast<int64_t>(pixels[k]) * channels : 0;
        for (int64_t i = start; i < start + span; i++) to[i] = static_cast<float>(sigmoid(from[i]));
      }
      return;
    case ActivationKind::HardSwish:
      for (int32_t k = 0; k < spans; k++) {
        const int64_t start = pixels ? static_cast<int64_t>(pixels[k]) * channels : 0;
        for (int64_t i = start; i < start + span; i++) to[i] = static_cast<float>(hardSwish(from[i]));
      }
      return;
  }
}

}  // namespace RRM_ISA
}  // namespace rrm
