// The project's sgemm (gemm_impl.h) compiled for AVX512: 14 x 2 vector register tile. Called by gemm.cc only
// when cpuLevel() allows it.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cpu.h"
#include "gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

VS_TARGET_AVX512_BEGIN
#define VS_SIMD_AVX512
#define GEMM_MR 14
#define GEMM_NV 2
namespace vs {
namespace avx512 {
#include "simd.h"
#include "gemm_impl.h"
}  // namespace avx512
}  // namespace vs
VS_TARGET_END

#else
namespace vs {
namespace avx512 {
void gemm(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t, bool) {}
int64_t fmaLoop(int64_t) { return 0; }
}  // namespace avx512
}  // namespace vs
#endif
