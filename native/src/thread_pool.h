// A small persistent thread pool: parallelFor splits [0, n) into contiguous chunks, one per thread,
// the calling thread taking the first. Workers spin briefly between jobs, then sleep.
#pragma once
#include <cstdint>
#include <functional>

namespace vs {

/** Number of threads used (workers + caller). */
int poolThreads();
/** Resizes the pool (1 = everything on the calling thread). */
void setPoolThreads(int n);
/**
 * Runs fn(begin, end) over [0, n) in up to poolThreads() chunks of at least `grain` items each.
 * Runs inline when n < 2 * grain. Not reentrant: a nested call runs inline.
 */
void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);
/** Like parallelFor but fn also receives the chunk index (< poolThreads()), for per-thread scratch. */
void parallelForChunks(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn);

}  // namespace vs
