// Σ a[i]·b[i] in float64 with eight running sums combined in a fixed order: the same bits whichever thread computes
// a range. Shared by the reorthogonalisation (ortho.cc) and the gradient norm's sum of squares (reduce.cc), which sum
// such ranges per fixed chunk and the chunks in order, so their results do not depend on the thread count.
#pragma once
#include <cstdint>

namespace vs {

template <typename T>
inline double fixedOrderDot(const T* a, const T* b, int64_t lo, int64_t hi) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = lo;
  for (; i + 8 <= hi; i += 8)
    for (int k = 0; k < 8; ++k) s[k] += static_cast<double>(a[i + k]) * static_cast<double>(b[i + k]);
  double t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
  for (; i < hi; ++i) t += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return t;
}

}  // namespace vs
