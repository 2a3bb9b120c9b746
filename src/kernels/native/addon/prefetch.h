// Software prefetch for the sparse kernels: they visit scattered pixels in an order the hardware
// prefetcher cannot follow, and maps larger than the caches make each visit a cache miss. Fetching
// a few pixels ahead overlaps those misses instead of paying them one after another.
#pragma once
#include <cstdint>

namespace rrm {

/** Brings the cache lines holding `bytes` bytes at `p` towards the core (for writing when `ForWrite`). */
template <bool ForWrite = false>
inline void prefetchBytes(const void* p, int64_t bytes) {
  constexpr uintptr_t kLine = 64;
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  for (uintptr_t line = start & ~(kLine - 1); line < start + static_cast<uintptr_t>(bytes); line += kLine) {
    __builtin_prefetch(reinterpret_cast<const void*>(line), ForWrite ? 1 : 0);
  }
}

}  // namespace rrm
