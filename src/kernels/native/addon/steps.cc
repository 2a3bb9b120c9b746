#include "steps.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "kernels.h"

namespace rrm {

namespace {

/**
 * Work per floats compared in detection, in multiply-add equivalents, for `Engine::minSplitWork`:
 * looking at a candidate's value costs about what 8 multiply-adds do (measured: a load of two
 * scattered rows against the tile's streamed weights).
 */
constexpr double kDetectWorkPerFloat = 8;
/** The helper spins this long for the next job before it sleeps: jobs of one frame come microseconds apart. */
constexpr auto kSpin = std::chrono::microseconds(300);

/**
 * One helper thread for the process, started on first use. A job has two parts; each thread claims
 * parts until none is left, so when the helper is slow to wake (another process holds the core)
 * the caller simply does both, never waiting for a thread that has not started. A caller that finds
 * the helper busy with another engine's job (another JavaScript thread) runs both parts itself.
 */
class Helper {
 public:
  static Helper& instance() {
    static Helper* helper = new Helper();  // never destroyed: its thread runs until the process exits
    return *helper;
  }

  /** Runs part(0) and part(1), on this thread and the helper, and returns when both are done. */
  template <typename Part>
  void both(Part& part) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      part(0);
      part(1);
      return;
    }
    job_ = [](void* context, int32_t index) { (*static_cast<Part*>(context))(index); };
    context_ = &part;
    finished_.store(0, std::memory_order_relaxed);
    next_.store(0, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(sleep_);
      posted_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_one();
    claimParts();
    // Only a part the helper claimed can still be running.
    while (finished_.load(std::memory_order_acquire) < 2) std::this_thread::yield();
  }

 private:
  Helper() { std::thread([this] { loop(); }).detach(); }

  /** Runs unclaimed parts of the current job until there are none. */
  void claimParts() {
    for (int32_t index; (index = next_.fetch_add(1, std::memory_order_acq_rel)) < 2;) {
      job_(context_, index);
      finished_.fetch_add(1, std::memory_order_release);
    }
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      const auto spinUntil = std::chrono::steady_clock::now() + kSpin;
      while (posted_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < spinUntil) {
      }
      if (posted_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(sleep_);
        wake_.wait(lock, [&] { return posted_.load(std::memory_order_acquire) != seen; });
      }
      seen = posted_.load(std::memory_order_acquire);
      claimParts();
    }
  }

  std::mutex busy_;
  std::mutex sleep_;
  std::condition_variable wake_;
  std::atomic<uint64_t> posted_{0};
  /** The next part to claim (2 or more: none left) and how many parts have finished. */
  std::atomic<int32_t> next_{2};
  std::atomic<int32_t> finished_{2};
  void (*job_)(void*, int32_t) = nullptr;
  void* context_ = nullptr;
};

/** `part(0)` and `part(1)` on two threads when `split`, else `part(0)` alone (which then does everything). */
template <typename Part>
void runParts(bool split, Part part) {
  if (split) Helper::instance().both(part);
  else part(0);
}

/** Both workspaces empty; the first owns output rows [0, middle), the second the rest. */
void prepareWorkspaces(Engine& e, int32_t middle) {
  e.parts[0].rowStart = 0;
  e.parts[0].rowEnd = middle;
  e.parts[1].rowStart = middle;
  e.parts[1].rowEnd = e.g.outHeight;
  e.parts[0].touchedCount = e.parts[1].touchedCount = 0;
}

/** The two workspaces' touched lists as one, in the first's (the engine's) list. */
void joinTouched(Engine& e) {
  Workspace& second = e.parts[1];
  std::memcpy(e.touchedList + e.parts[0].touchedCount, second.touchedList, static_cast<size_t>(second.touchedCount) * sizeof(int32_t));
  e.status[TouchedCount] = e.parts[0].touchedCount + second.touchedCount;
}

double pixelMacs(const Engine& e) { return static_cast<double>(e.taps) * e.inPerGroup * e.g.outChannels; }

}  // namespace

int32_t recomputeWhole(Engine& e, const float* input) {
  const Geometry& g = e.g;
  const KernelTable& k = *e.kernels;
  bool nonFinite = false;
  if (e.threads == 2 && pixelMacs(e) * g.outHeight * g.outWidth >= e.minSplitWork) {
    // Each thread copies half the input rows, then computes half the output rows.
    bool half[2] = {false, false};
    runParts(true, [&](int part) { half[part] = k.integrateRows(e, input, part * g.inHeight / 2, (part + 1) * g.inHeight / 2); });
    nonFinite = half[0] || half[1];
    if (!nonFinite) runParts(true, [&](int part) { k.denseConv(e, e.parts[part], part * g.outHeight / 2, (part + 1) * g.outHeight / 2); });
  } else {
    // One thread: each input row is copied into Ĩ just before the first output row that reads it,
    // so the conv finds it in cache instead of reading the whole map back from memory.
    int32_t integrated = 0;
    for (int32_t oy = 0; oy < g.outHeight; oy++) {
      const int32_t needed = std::min(g.inHeight, oy * g.strideH + (g.kernelHeight - 1) * g.dilationH + 1 - g.padTop);
      if (needed > integrated) {
        nonFinite |= k.integrateRows(e, input, integrated, needed);
        integrated = needed;
      }
      k.denseConv(e, e.parts[0], oy, oy + 1);
    }
    if (integrated < g.inHeight) nonFinite |= k.integrateRows(e, input, integrated, g.inHeight);
  }
  return nonFinite ? findNonFinite(input, static_cast<int64_t>(g.inHeight) * g.inWidth * g.inChannels) : -1;
}

int32_t detectActive(Engine& e, const float* input, float threshold, const int32_t* candidates, int32_t count, int32_t maxActive) {
  const Geometry& g = e.g;
  const int32_t pixels = g.inHeight * g.inWidth;
  // A narrow map (an RGB stem) scans its rows a vector at a time faster than it visits many
  // scattered candidates (compressed video hands it half the pixels, changed by codec noise).
  if (candidates && g.inChannels < 16 && count > pixels / 32) candidates = nullptr;
  // Candidates by index, or input rows: the second half's finds go after the most the first can make.
  const int32_t total = candidates ? count : g.inHeight;
  const int32_t middle = total / 2;
  const int32_t secondFirst = candidates ? middle : middle * g.inWidth;
  const int64_t work = static_cast<int64_t>(candidates ? count : pixels) * g.inChannels;
  const bool split = e.threads == 2 && work * kDetectWorkPerFloat >= e.minSplitWork && total >= 2;
  int32_t found[2] = {0, 0};
  bool nonFinite[2] = {false, false};
  runParts(split, [&](int part) {
    const int32_t from = split ? part * middle : 0;
    const int32_t to = split && part == 0 ? middle : total;
    found[part] = e.kernels->detect(e, input, threshold, candidates, from, to, part == 0 ? 0 : secondFirst, maxActive, nonFinite[part]);
  });
  e.status[DeltasNonFinite] = nonFinite[0] || nonFinite[1];
  const int32_t active = found[0] + found[1];
  if (found[0] > maxActive || found[1] > maxActive || active > maxActive) return maxActive + 1;
  if (split && found[1] > 0 && secondFirst != found[0]) {
    std::memmove(e.activePixels + found[0], e.activePixels + secondFirst, static_cast<size_t>(found[1]) * sizeof(int32_t));
    std::memmove(e.deltas + static_cast<int64_t>(found[0]) * g.inChannels, e.deltas + static_cast<int64_t>(secondFirst) * g.inChannels,
                 static_cast<size_t>(found[1]) * g.inChannels * sizeof(float));
  }
  return active;
}

double sparseUpdate(Engine& e, int32_t activeCount, bool recompute) {
  const Geometry& g = e.g;
  const KernelTable& k = *e.kernels;
  // Splitting at the output row of the middle active pixel gives each thread about half the work
  // when the changes sit in one part of the frame (detection lists them in scan order).
  const bool split = e.threads == 2 && g.outHeight >= 2 && activeCount > 0 && activeCount * pixelMacs(e) >= e.minSplitWork;
  int32_t middle = g.outHeight;
  if (split) {
    const int32_t iy = e.activePixels[activeCount / 2] / g.inWidth;
    middle = std::clamp((iy + g.padTop) / g.strideH, 1, g.outHeight - 1);
  }
  prepareWorkspaces(e, middle);
  double macs[2] = {0, 0};
  runParts(split, [&](int part) {
    Workspace& ws = e.parts[part];
    if (recompute) {
      macs[part] = markTouched(e, ws, activeCount) * pixelMacs(e);
      k.recomputeTouched(e, ws);  // activates as it recomputes
    } else {
      macs[part] = static_cast<double>(k.scatter(e, ws, activeCount)) * g.inChannels * e.outPerGroup;  // activates too
    }
  });
  joinTouched(e);
  return macs[0] + macs[1];
}

}  // namespace rrm
