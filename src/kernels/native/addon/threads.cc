#include "threads.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kernels.h"

namespace rrm {

namespace {

/**
 * Below this many multiply-adds a job runs on the calling thread: the hand-off (a store, the
 * helper's wake-up from its spin, a wait) costs about 1-3 µs, 30-100 k multiply-adds of work.
 */
constexpr double kSplitMacs = 400000;
/** The helper spins this long for the next job before it sleeps: jobs of one frame come microseconds apart. */
constexpr auto kSpin = std::chrono::microseconds(200);

using Range = void (*)(Engine&, int32_t, int32_t);

/**
 * One helper thread for the process, started on first use. It takes one job at a time; a caller
 * that finds it busy (another JavaScript thread's engine) runs the whole job itself.
 */
class Helper {
 public:
  static Helper& instance() {
    static Helper* helper = new Helper();  // never destroyed: its thread runs until the process exits
    return *helper;
  }

  /** Runs fn over [from, to): the helper takes [split, to), the caller [from, split). */
  void run(Range fn, Engine& e, int32_t from, int32_t split, int32_t to) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      fn(e, from, to);
      return;
    }
    fn_ = fn;
    engine_ = &e;
    from_ = split;
    to_ = to;
    const uint64_t ticket = posted_.load(std::memory_order_relaxed) + 1;
    {
      std::lock_guard<std::mutex> lock(sleep_);
      posted_.store(ticket, std::memory_order_release);
    }
    wake_.notify_one();
    fn(e, from, split);
    while (done_.load(std::memory_order_acquire) != ticket) std::this_thread::yield();
  }

 private:
  Helper() { std::thread([this] { loop(); }).detach(); }

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
      fn_(*engine_, from_, to_);
      done_.store(seen, std::memory_order_release);
    }
  }

  std::mutex busy_;
  std::mutex sleep_;
  std::condition_variable wake_;
  std::atomic<uint64_t> posted_{0};
  std::atomic<uint64_t> done_{0};
  Range fn_ = nullptr;
  Engine* engine_ = nullptr;
  int32_t from_ = 0, to_ = 0;
};

void runRange(Engine& e, Range fn, int32_t count, double macs) {
  if (e.threads == 2 && macs >= kSplitMacs && count >= 2) Helper::instance().run(fn, e, 0, count / 2, count);
  else fn(e, 0, count);
}

double pixelMacs(const Engine& e) { return static_cast<double>(e.taps) * e.inPerGroup * e.g.outChannels; }

}  // namespace

int32_t recomputeWhole(Engine& e, const float* input) {
  const Geometry& g = e.g;
  const double macs = pixelMacs(e) * g.outHeight * g.outWidth;
  bool nonFinite = false;
  if (e.threads == 2 && macs >= kSplitMacs) {
    nonFinite = e.kernels->integrateRows(e, input, 0, g.inHeight);
    if (!nonFinite) Helper::instance().run(e.kernels->denseConv, e, 0, g.outHeight / 2, g.outHeight);
  } else {
    // One thread: each input row is copied into Ĩ just before the first output row that reads it,
    // so the conv finds it in cache instead of reading the whole map back from memory.
    int32_t integrated = 0;
    for (int32_t oy = 0; oy < g.outHeight; oy++) {
      const int32_t needed = std::min(g.inHeight, oy * g.strideH + (g.kernelHeight - 1) * g.dilationH + 1 - g.padTop);
      if (needed > integrated) {
        nonFinite |= e.kernels->integrateRows(e, input, integrated, needed);
        integrated = needed;
      }
      e.kernels->denseConv(e, oy, oy + 1);
    }
    if (integrated < g.inHeight) nonFinite |= e.kernels->integrateRows(e, input, integrated, g.inHeight);
  }
  return nonFinite ? findNonFinite(input, static_cast<int64_t>(g.inHeight) * g.inWidth * g.inChannels) : -1;
}

void runRecompute(Engine& e, int32_t touched) { runRange(e, e.kernels->recomputeTouched, touched, pixelMacs(e) * touched); }

}  // namespace rrm
