// Vector traits for the kernels written once for several instruction sets (conv_direct_impl.h, gemm_impl.h).
// Include only inside a VS_TARGET_*_BEGIN region of a per-ISA translation unit, after <immintrin.h>, inside that unit's own namespace (vs::avx512, vs::avx2): each set's
// Vec is a different type.
#pragma once

#ifdef VS_SIMD_AVX512
struct Vec {
  using T = __m512;
  static constexpr int W = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
};
#endif

#ifdef VS_SIMD_AVX2
struct Vec {
  using T = __m256;
  static constexpr int W = 8;
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
};
#endif

/**
 * acc[i][j] += a_i(k) * b_k[j W, (j + 1) W) for k < n: R broadcast rows against V vectors, the register tile of the
 * sgemm's and the direct convolution's kernels. Row i's k-th value is rows[i][k * aStep]; b_k starts at b + k * bStep.
 */
template <int R, int V>
__attribute__((always_inline)) inline void fmaRowTile(Vec::T (&acc)[R][V], const float* const* rows, int64_t aStep,
                                                      const float* b, int64_t bStep, int64_t n) {
  for (int64_t k = 0, off = 0; k < n; ++k, off += aStep, b += bStep) {
    Vec::T bv[V];
#pragma GCC unroll 4
    for (int j = 0; j < V; ++j) bv[j] = Vec::load(b + j * Vec::W);
#pragma GCC unroll 32
    for (int i = 0; i < R; ++i) {
      const Vec::T av = Vec::set1(rows[i][off]);
#pragma GCC unroll 4
      for (int j = 0; j < V; ++j) acc[i][j] = Vec::fma(av, bv[j], acc[i][j]);
    }
  }
}
