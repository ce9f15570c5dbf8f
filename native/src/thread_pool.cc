// Persistent worker threads for parallelFor; see thread_pool.h.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VS_PAUSE() _mm_pause()
#else
#define VS_PAUSE() std::this_thread::yield()
#endif

namespace vs {
namespace {

struct Pool {
  std::vector<std::thread> workers;
  std::mutex m;
  std::condition_variable cv;
  // high 32 bits: job generation; low 32 bits: next unclaimed chunk. Claiming is a CAS on the pair, so a worker
  // that wakes late can never claim a chunk of a later job with a stale view of the job.
  std::atomic<uint64_t> state{0};
  std::atomic<int> done{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};
  const std::function<void(int)>* job = nullptr;
  int chunks = 0;
  int threads = 1;

  /** Claims and runs chunks of generation `gen` until none is left. */
  void drain(uint32_t gen) {
    uint64_t s = state.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<uint32_t>(s >> 32) != gen) return;
      const uint32_t next = static_cast<uint32_t>(s);
      if (next >= static_cast<uint32_t>(chunks)) return;
      if (state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
        (*job)(static_cast<int>(next));
        done.fetch_add(1, std::memory_order_acq_rel);
        s = state.load(std::memory_order_acquire);
      }
    }
  }

  void workerLoop() {
    uint32_t seen = static_cast<uint32_t>(state.load() >> 32);
    for (;;) {
      int spins = 0;
      uint32_t g;
      while ((g = static_cast<uint32_t>(state.load(std::memory_order_acquire) >> 32)) == seen) {
        if (stop.load()) return;
        if (++spins < 4000) {
          VS_PAUSE();
        } else if (spins < 4200) {
          std::this_thread::yield();
        } else {
          std::unique_lock<std::mutex> lk(m);
          sleepers.fetch_add(1);
          cv.wait(lk, [&] { return static_cast<uint32_t>(state.load() >> 32) != seen || stop.load(); });
          sleepers.fetch_sub(1);
          spins = 0;
        }
      }
      if (stop.load()) return;
      seen = g;
      drain(g);
    }
  }

  void resize(int n) {
    shutdown();
    threads = std::max(1, n);
    stop.store(false);
    for (int i = 1; i < threads; ++i) workers.emplace_back([this] { workerLoop(); });
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lk(m);
      stop.store(true);
    }
    cv.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
  }

  void run(int nChunks, const std::function<void(int)>& fn) {
    job = &fn;
    chunks = nChunks;
    done.store(0);
    const uint32_t gen = static_cast<uint32_t>(state.load() >> 32) + 1;
    state.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
    if (sleepers.load() > 0) {
      std::lock_guard<std::mutex> lk(m);
      cv.notify_all();
    }
    drain(gen);  // the caller takes chunks too: a descheduled worker never holds the job up
    int spins = 0;
    while (done.load(std::memory_order_acquire) != nChunks) {
      if (++spins < 2000) VS_PAUSE();
      else std::this_thread::yield();
    }
    job = nullptr;
  }

  ~Pool() { shutdown(); }
};

int defaultThreads() {
  if (const char* env = std::getenv("VITSCOPE_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

Pool& pool() {
  static Pool* p = [] {
    auto* q = new Pool();  // leaked on purpose: joined threads at exit would race with node's teardown
    q->resize(defaultThreads());
    return q;
  }();
  return *p;
}

thread_local bool insidePool = false;

}  // namespace

int poolThreads() { return pool().threads; }

void setPoolThreads(int n) { pool().resize(n); }

void parallelForChunks(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  Pool& p = pool();
  grain = std::max<int64_t>(1, grain);
  int64_t maxChunks = std::min<int64_t>(p.threads, n / grain);
  if (maxChunks < 2 || insidePool) {
    fn(0, 0, n);
    return;
  }
  int chunks = static_cast<int>(maxChunks);
  std::function<void(int)> job = [&](int c) {
    bool was = insidePool;
    insidePool = true;
    int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    if (b < e) fn(c, b, e);
    insidePool = was;
  };
  p.run(chunks, job);
}

void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  parallelForChunks(n, grain, [&](int, int64_t b, int64_t e) { fn(b, e); });
}

}  // namespace vs
