// Frame bytes to a float map through per-channel tables (256 floats per channel).
#pragma once
#include <cstdint>

namespace rrm {

/**
 * `output[i] = tables[c·256 + data[i]]` at every pixel whose bytes differ from `previous` (at every
 * pixel when `previous` is null), listing those pixels in `changed` (when not null) in increasing
 * order; returns their count. `output` must hold the conversion of `previous` (it is written
 * over unchanged pixels too, with the values they already have).
 */
int32_t convertChangedPixels(const uint8_t* data, const uint8_t* previous, float* output, const float* tables, int32_t channels, int64_t pixels,
                             int32_t* changed);

}  // namespace rrm
