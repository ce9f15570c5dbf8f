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
  std::atomic<uint64_t> generation{0};
  std::atomic<int> sleepers{0};
  std::atomic<int> remaining{0};
  std::atomic<bool> stop{false};
  const std::function<void(int)>* job = nullptr;
  int chunks = 0;
  int threads = 1;

  void workerLoop(int idx) {
    uint64_t seen = generation.load();
    for (;;) {
      int spins = 0;
      uint64_t g;
      while ((g = generation.load()) == seen) {
        if (stop.load()) return;
        if (++spins < 40000) {
          VS_PAUSE();
        } else {
          std::unique_lock<std::mutex> lk(m);
          sleepers.fetch_add(1);
          cv.wait(lk, [&] { return generation.load() != seen || stop.load(); });
          sleepers.fetch_sub(1);
          spins = 0;
        }
      }
      if (stop.load()) return;
      seen = g;
      if (idx < chunks) (*job)(idx);
      remaining.fetch_sub(1);
    }
  }

  void resize(int n) {
    shutdown();
    threads = std::max(1, n);
    stop.store(false);
    for (int i = 1; i < threads; ++i) workers.emplace_back([this, i] { workerLoop(i); });
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
    remaining.store(threads - 1);
    generation.fetch_add(1);
    if (sleepers.load() > 0) {
      std::lock_guard<std::mutex> lk(m);
      cv.notify_all();
    }
    fn(0);
    while (remaining.load() != 0) VS_PAUSE();
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
