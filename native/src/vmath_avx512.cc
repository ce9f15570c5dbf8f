// vmath_loops.h compiled for AVX-512 (16-wide vectors); called by norm.cc and softmax.cc only when cpuLevel() allows.
#include "vmath_avx512.h"

#include <algorithm>
#include <cmath>

#include "cpu.h"
#include "vmath.h"

#if defined(__x86_64__)
VS_TARGET_AVX512_BEGIN
#if !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
namespace vs {
namespace avx512 {
namespace {
#include "vmath_loops.h"
}  // namespace

void gelu(const float* x, float* y, int64_t s, int64_t e) { geluLoop(x, y, s, e); }
void geluGrad(const float* x, const float* dy, float* dx, int64_t s, int64_t e) { geluGradLoop(x, dy, dx, s, e); }
void silu(const float* x, float* y, int64_t s, int64_t e) { siluLoop(x, y, s, e); }
void siluGrad(const float* x, const float* dy, float* dx, int64_t s, int64_t e) { siluGradLoop(x, dy, dx, s, e); }
void geluGradGrad(const float* x, const float* dy, const float* a, float* gx, float* gdy, int64_t s, int64_t e) {
  geluGradGradLoop(x, dy, a, gx, gdy, s, e);
}
void siluGradGrad(const float* x, const float* dy, const float* a, float* gx, float* gdy, int64_t s, int64_t e) {
  siluGradGradLoop(x, dy, a, gx, gdy, s, e);
}
void softmaxRows(const float* x, float* y, int64_t r0, int64_t r1, int64_t cols, bool logOut) {
  for (int64_t r = r0; r < r1; ++r) softmaxRow(x + r * cols, y + r * cols, cols, logOut);
}
}  // namespace avx512
}  // namespace vs
VS_TARGET_END
#else
namespace vs {
namespace avx512 {
void gelu(const float*, float*, int64_t, int64_t) {}
void geluGrad(const float*, const float*, float*, int64_t, int64_t) {}
void silu(const float*, float*, int64_t, int64_t) {}
void siluGrad(const float*, const float*, float*, int64_t, int64_t) {}
void geluGradGrad(const float*, const float*, const float*, float*, float*, int64_t, int64_t) {}
void siluGradGrad(const float*, const float*, const float*, float*, float*, int64_t, int64_t) {}
void softmaxRows(const float*, float*, int64_t, int64_t, int64_t, bool) {}
}  // namespace avx512
}  // namespace vs
#endif
