// Loops over vmath.h's vectorisable float math (GELU and its derivative, row softmax), written once and compiled
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

/** Softmax (or log-softmax) of one row of n floats. */
inline void softmaxRow(const float* __restrict x, float* __restrict y, int64_t n, bool logOut) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  float s = 0.f;
  if (logOut) {
    for (int64_t i = 0; i < n; ++i) s += vexp(x[i] - mx);
    const float ls = std::log(s) + mx;
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] - ls;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      y[i] = vexp(x[i] - mx);
      s += y[i];
    }
    const float inv = 1.f / s;
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  }
}
