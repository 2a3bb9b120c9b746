// output = f(P), over the whole map after a dense conv or at the touched pixels after a sparse update.
#include <algorithm>
#include <cmath>

#include "isa.h"

namespace rrm {
namespace RRM_ISA {

namespace {

constexpr int L = kLanes;

/** f over `count` floats; one loop per kind so that no branch on the kind stays in the loop. */
void activateRange(ActivationKind kind, float alpha, const float* from, float* to, int64_t count) {
  int64_t i = 0;
  switch (kind) {
    case ActivationKind::None:
      std::copy(from, from + count, to);
      return;
    case ActivationKind::Relu:
      for (; i + L <= count; i += L) store(to + i, max(load(from + i), zero()));
      for (; i < count; i++) to[i] = from[i] > 0 ? from[i] : 0.0f;
      return;
    case ActivationKind::Relu6: {
      const Vec six = broadcast(6.0f);
      for (; i + L <= count; i += L) store(to + i, min(max(load(from + i), zero()), six));
      for (; i < count; i++) to[i] = from[i] < 0 ? 0.0f : from[i] > 6 ? 6.0f : from[i];
      return;
    }
    case ActivationKind::LeakyRelu: {
      const Vec slope = broadcast(alpha);
      for (; i + L <= count; i += L) store(to + i, leaky(load(from + i), slope));
      for (; i < count; i++) to[i] = from[i] >= 0 ? from[i] : from[i] * alpha;
      return;
    }
    case ActivationKind::Sigmoid:
      for (; i < count; i++) to[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(from[i]))));
      return;
    case ActivationKind::HardSwish:
      for (; i < count; i++) {
        const float x = from[i];
        to[i] = x <= -3 ? 0.0f : x >= 3 ? x : static_cast<float>((static_cast<double>(x) * (x + 3.0)) / 6.0);
      }
      return;
  }
}

}  // namespace

void activate(Engine& e, const int32_t* pixels, int32_t count) {
  const int32_t channels = e.g.outChannels;
  if (!pixels) {
    activateRange(e.activation, e.leakyAlpha, e.projection, e.output, static_cast<int64_t>(e.g.outHeight) * e.g.outWidth * channels);
    return;
  }
  for (int32_t k = 0; k < count; k++) {
    const int64_t start = static_cast<int64_t>(pixels[k]) * channels;
    activateRange(e.activation, e.leakyAlpha, e.projection + start, e.output + start, channels);
  }
}

}  // namespace RRM_ISA
}  // namespace rrm
