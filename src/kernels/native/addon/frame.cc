// Video frames (bytes) to a float map: the changed pixels found and converted in one pass.
#include "frame.h"

#include <cstring>

namespace rrm {

namespace {

template <int32_t C>
int32_t convert(const uint8_t* data, const uint8_t* previous, float* output, const float* tables, int64_t pixels, int32_t* changed) {
  int32_t count = 0;
  const int64_t bytes = pixels * C;
  // Equal runs are the common case in static-camera video: compare 32 bytes a time to skip them.
  constexpr int64_t kBlock = 32;
  int64_t pixel = 0;
  for (int64_t start = 0; start < bytes; start += kBlock) {
    const int64_t end = start + kBlock < bytes ? start + kBlock : bytes;
    if (previous && end - start == kBlock && std::memcmp(data + start, previous + start, kBlock) == 0) continue;
    // Every pixel overlapping this block: converted whether or not it changed (an unchanged pixel
    // gets the value it already has), and listed without a branch, since in compressed video
    // about half of them changed and a mispredicted branch per pixel would cost more than both.
    if (pixel * C < start) pixel = start / C;
    for (; pixel * C < end; pixel++) {
      const int64_t i = pixel * C;
      int32_t differs = previous == nullptr;
      for (int32_t c = 0; c < C; c++) {
        output[i + c] = tables[c * 256 + data[i + c]];
        if (previous) differs |= data[i + c] != previous[i + c];
      }
      if (changed) changed[count] = static_cast<int32_t>(pixel);
      count += differs;
    }
  }
  return count;
}

}  // namespace

int32_t convertChangedPixels(const uint8_t* data, const uint8_t* previous, float* output, const float* tables, int32_t channels, int64_t pixels,
                             int32_t* changed) {
  switch (channels) {
    case 1:
      return convert<1>(data, previous, output, tables, pixels, changed);
    case 3:
      return convert<3>(data, previous, output, tables, pixels, changed);
    case 4:
      return convert<4>(data, previous, output, tables, pixels, changed);
    default:
      return convert<2>(data, previous, output, tables, pixels, changed);
  }
}

}  // namespace rrm
