// The direct convolution kernels (conv_direct_impl.h) compiled for AVX2; called only when cpuLevel() allows it.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common.h"
#include "conv_geom.h"
#include "cpu.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>

VS_TARGET_AVX2_BEGIN
#define VS_SIMD_AVX2
namespace vs {
namespace avx2 {
#include "simd.h"
#include "conv_direct_impl.h"
}  // namespace avx2
}  // namespace vs
VS_TARGET_END

#else
namespace vs {
namespace avx2 {
bool convForwardDirect(const ConvGeom&, const float*, const float*, float*, const float*, int64_t, int, float) {
  return false;
}
bool convFilterDirect(const ConvGeom&, const float*, const float*, float*) { return false; }
}  // namespace avx2
}  // namespace vs
#endif
