// Loops over vmath.h's vectorisable float math (GELU, SiLU and their derivatives, row softmax), written once and compiled
// twice: at the baseline (x86-64-v3, 8-wide AVX2, by norm.cc and softmax.cc) and for AVX-512 (16-wide,
// vmath_avx512.cc), which halves their time where cpuLevel() allows it. Included inside each unit's namespace.

/** y[i] = 0.5 x (1 + erf(x / sqrt 2)) for i in [s, e). */
inline void geluLoop(const float* __restrict x, float* __restrict y, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) y[i] = x[i] * 0.5f * (verf(x[i] * 0.70710678118654752f) + 1.f);
}

/** dx[i] = dy (Phi(x) + x phi(x)) for i in [s, e). */
inline void geluGradLoop(const float* __restrict x, const float* __restrict dy, float* __restrict dx, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) {
    const float v = x[i];
    const float cdf = 0.5f * (verf(v * 0.70710678118654752f) + 1.f);
    const float pdf = 0.39894228040143268f * vexp(-0.5f * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
  }
}

/**
 * GeluGrad's two input adjoints given a (its output's), in one pass for i in [s, e):
 * gx = a dy gelu''(x) = a dy phi(x) (2 - x^2), gdy = a gelu'(x) with geluGradLoop's float operations (so gdy equals
 * geluGradLoop(x, a) bit for bit: no FMA contraction under -std=c++17).
 */
inline void geluGradGradLoop(const float* __restrict x, const float* __restrict dy, const float* __restrict a, float* __restrict gx,
                             float* __restrict gdy, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) {
    const float v = x[i];
    const float cdf = 0.5f * (verf(v * 0.70710678118654752f) + 1.f);
    const float pdf = 0.39894228040143268f * vexp(-0.5f * v * v);
    gdy[i] = a[i] * (cdf + v * pdf);
    gx[i] = a[i] * dy[i] * (pdf * (2.f - v * v));
  }
}

/** y[i] = x sigmoid(x) (SiLU) for i in [s, e). */
inline void siluLoop(const float* __restrict x, float* __restrict y, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) y[i] = x[i] * vsigmoid(x[i]);
}

/** dx[i] = dy s (1 + x (1 - s)), s = sigmoid(x), for i in [s, e). */
inline void siluGradLoop(const float* __restrict x, const float* __restrict dy, float* __restrict dx, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) {
    const float v = x[i], sg = vsigmoid(v);
    dx[i] = dy[i] * (sg * (1.f + v * (1.f - sg)));
  }
}

/**
 * SiluGrad's two input adjoints given a, one pass for i in [s, e): gx = a dy s (1 - s) (2 + x (1 - 2 s)),
 * gdy = a silu'(x) with siluGradLoop's float operations (equal to siluGradLoop(x, a) bit for bit).
 */
inline void siluGradGradLoop(const float* __restrict x, const float* __restrict dy, const float* __restrict a, float* __restrict gx,
                             float* __restrict gdy, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) {
    const float v = x[i], sg = vsigmoid(v);
    gdy[i] = a[i] * (sg * (1.f + v * (1.f - sg)));
    gx[i] = a[i] * dy[i] * (sg * (1.f - sg) * (2.f + v * (1.f - 2.f * sg)));
  }
}

/**
 * Softmax (or log-softmax) of one row of n floats. The max and the sum run in 16 interleaved lanes: a single
 * in-order running max or sum stays scalar without -ffast-math.
 */
inline void softmaxRow(const float* __restrict x, float* __restrict y, int64_t n, bool logOut) {
  constexpr int L = 16;
  float lane[L];
  for (int l = 0; l < L; ++l) lane[l] = -INFINITY;
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) lane[l] = std::max(lane[l], x[i + l]);
  float mx = -INFINITY;
  for (; i < n; ++i) mx = std::max(mx, x[i]);
  for (int l = 0; l < L; ++l) mx = std::max(mx, lane[l]);
  float* e = logOut ? nullptr : y;
  for (int l = 0; l < L; ++l) lane[l] = 0.f;
  float s = 0.f;
  for (i = 0; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) {
      const float v = vexp(x[i + l] - mx);
      if (e) e[i + l] = v;
      lane[l] += v;
    }
  for (; i < n; ++i) {
    const float v = vexp(x[i] - mx);
    if (e) e[i] = v;
    s += v;
  }
  for (int l = 0; l < L; ++l) s += lane[l];
  if (logOut) {
    const float ls = std::log(s) + mx;
    for (i = 0; i < n; ++i) y[i] = x[i] - ls;
  } else {
    const float inv = 1.f / s;
    for (i = 0; i < n; ++i) y[i] *= inv;
  }
}
