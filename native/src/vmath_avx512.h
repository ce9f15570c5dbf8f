// The AVX-512 builds of vmath_loops.h (vmath_avx512.cc). Call only when cpuLevel() == CPU_AVX512.
#pragma once
#include <cstdint>

namespace vs {
namespace avx512 {
void gelu(const float* x, float* y, int64_t s, int64_t e);
void geluGrad(const float* x, const float* dy, float* dx, int64_t s, int64_t e);
void silu(const float* x, float* y, int64_t s, int64_t e);
void siluGrad(const float* x, const float* dy, float* dx, int64_t s, int64_t e);
void geluGradGrad(const float* x, const float* dy, const float* a, float* gx, float* gdy, int64_t s, int64_t e);
void siluGradGrad(const float* x, const float* dy, const float* a, float* gx, float* gdy, int64_t s, int64_t e);
void softmaxRows(const float* x, float* y, int64_t r0, int64_t r1, int64_t cols, bool logOut);
}  // namespace avx512
}  // namespace vs
