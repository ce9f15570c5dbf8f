// Fused normalisation and activation kernels: layer norm (forward, backward, second backward), GELU and SiLU (forward, backward),
// batch norm with per-channel (last axis) parameters.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common.h"
#include "cpu.h"
#include "thread_pool.h"
#include "vmath.h"
#include "vmath_avx512.h"

namespace vs {
namespace {

#include "vmath_loops.h"

/**
 * sum_i f(i) over [0, n) in 16 interleaved partial sums: without -ffast-math the compiler keeps a single running sum
 * in order (scalar); independent lanes let it use one vector register. Also a little more accurate.
 */
template <class F>
inline float laneSum(int64_t n, F f) {
  constexpr int L = 16;
  float acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) acc[l] += f(i + l);
  float s = 0.f;
  for (; i < n; ++i) s += f(i);
  for (int l = 0; l < L; ++l) s += acc[l];
  return s;
}

inline void rowStats(const float* x, int64_t n, float eps, float& mean, float& rstd) {
  mean = laneSum(n, [x](int64_t i) { return x[i]; }) / static_cast<float>(n);
  const float m = mean;
  const float v = laneSum(n, [x, m](int64_t i) { return (x[i] - m) * (x[i] - m); }) / static_cast<float>(n);
  rstd = 1.f / std::sqrt(v + eps);
}

// layerNorm(x, gamma, beta, y, rows, cols, eps)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* g = arr<float>(info, 1);
  const float* b = arr<float>(info, 2);
  float* y = arr<float>(info, 3);
  const int64_t rows = num(info, 4), cols = num(info, 5);
  const float eps = static_cast<float>(dbl(info, 6));
  if (cols == 0) return info.Env().Undefined();
  parallelFor(rows, std::max<int64_t>(1, 8192 / cols), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float mean, rstd;
      rowStats(xr, cols, eps, mean, rstd);
      for (int64_t i = 0; i < cols; ++i) yr[i] = (xr[i] - mean) * rstd * g[i] + b[i];
    }
  });
  return info.Env().Undefined();
}

// layerNormGrad(x, gamma, dy, dx, dgamma, dbeta, rows, cols, eps)
Napi::Value LayerNormGrad(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* g = arr<float>(info, 1);
  const float* dy = arr<float>(info, 2);
  float* dx = arr<float>(info, 3);
  float* dg = arr<float>(info, 4);
  float* db = arr<float>(info, 5);
  const int64_t rows = num(info, 6), cols = num(info, 7);
  const float eps = static_cast<float>(dbl(info, 8));
  const int threads = poolThreads();
  std::vector<std::vector<float>> part(threads, std::vector<float>());
  for (int64_t i = 0; i < cols; ++i) dg[i] = db[i] = 0.f;
  if (cols == 0 || rows == 0) return info.Env().Undefined();
  parallelForChunks(rows, std::max<int64_t>(1, 8192 / cols), [&](int t, int64_t s, int64_t e) {
    float* pg = dg;
    float* pb = db;
    if (t != 0) {
      part[t].assign(2 * cols, 0.f);
      pg = part[t].data();
      pb = pg + cols;
    }
    std::vector<float> xhat(cols);
    for (int64_t r = s; r < e; ++r) {
      const float* xr = x + r * cols;
      const float* dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      float mean, rstd;
      rowStats(xr, cols, eps, mean, rstd);
      float* xh = xhat.data();
      for (int64_t i = 0; i < cols; ++i) {
        xh[i] = (xr[i] - mean) * rstd;
        pg[i] += dyr[i] * xh[i];
        pb[i] += dyr[i];
      }
      const float m1 = laneSum(cols, [dyr, g](int64_t i) { return dyr[i] * g[i]; }) / static_cast<float>(cols);
      const float m2 = laneSum(cols, [dyr, g, xh](int64_t i) { return dyr[i] * g[i] * xh[i]; }) / static_cast<float>(cols);
      for (int64_t i = 0; i < cols; ++i) dxr[i] = rstd * (dyr[i] * g[i] - m1 - xh[i] * m2);
    }
  });
  for (int t = 1; t < threads; ++t)
    if (!part[t].empty())
      for (int64_t i = 0; i < cols; ++i) {
        dg[i] += part[t][i];
        db[i] += part[t][cols + i];
      }
  return info.Env().Undefined();
}

// layerNormGradGrad(x, gamma, dy, a, ag|null, ab|null, gx, ggamma, gdy, rows, cols, eps): LayerNormGrad's input
// adjoints given the adjoints a (of dx), ag (of dgamma), ab (of dbeta); formulas in
// src/backend/gradients/fused-grad-kernels.ts. Per row: the statistics (two passes over x, as rowStats), one pass
// for the seven row sums, one to write. The gamma adjoint is summed per chunk and the chunks added in order
// (fixed chunking for a fixed thread count: reproducible run to run).
Napi::Value LayerNormGradGrad(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* g = arr<float>(info, 1);
  const float* dy = arr<float>(info, 2);
  const float* a = arr<float>(info, 3);
  const float* ag = arr<float>(info, 4);
  const float* ab = arr<float>(info, 5);
  float* gx = arr<float>(info, 6);
  float* gg = arr<float>(info, 7);
  float* gdy = arr<float>(info, 8);
  const int64_t rows = num(info, 9), cols = num(info, 10);
  const float eps = static_cast<float>(dbl(info, 11));
  for (int64_t i = 0; i < cols; ++i) gg[i] = 0.f;
  if (cols == 0 || rows == 0) return info.Env().Undefined();
  std::vector<std::vector<float>> part(poolThreads());
  const float n = static_cast<float>(cols), inv = 1.f / n;
  parallelForChunks(rows, std::max<int64_t>(1, 4096 / cols), [&](int t, int64_t s, int64_t e) {
    std::vector<float>& acc = part[t];
    acc.assign(static_cast<size_t>(cols), 0.f);
    float* pg = acc.data();
    for (int64_t r = s; r < e; ++r) {
      const int64_t o = r * cols;
      const float *xr = x + o, *dyr = dy + o, *ar = a + o;
      float *gxr = gx + o, *gdyr = gdy + o;
      float mean, rs;
      rowStats(xr, cols, eps, mean, rs);
      // sums of g = dy gamma, g xh, a, a xh, a g; with ag: h = dy ag, h xh
      constexpr int L = 16;
      float l0[L] = {}, l1[L] = {}, l2[L] = {}, l3[L] = {}, l4[L] = {}, l5[L] = {}, l6[L] = {};
      int64_t i = 0;
      const int64_t full = cols - cols % L;
      for (; i < full; i += L)
        for (int l = 0; l < L; ++l) {
          const int64_t j = i + l;
          const float xh = (xr[j] - mean) * rs, gj = dyr[j] * g[j];
          l0[l] += gj;
          l1[l] += gj * xh;
          l2[l] += ar[j];
          l3[l] += ar[j] * xh;
          l4[l] += ar[j] * gj;
        }
      if (ag)
        for (int64_t k = 0; k < full; k += L)
          for (int l = 0; l < L; ++l) {
            const int64_t j = k + l;
            const float hj = dyr[j] * ag[j];
            l5[l] += hj;
            l6[l] += hj * (xr[j] - mean) * rs;
          }
      float sG = 0.f, sGx = 0.f, sA = 0.f, sAx = 0.f, sAg = 0.f, sH = 0.f, sHx = 0.f;
      for (; i < cols; ++i) {
        const float xh = (xr[i] - mean) * rs, gi = dyr[i] * g[i];
        sG += gi;
        sGx += gi * xh;
        sA += ar[i];
        sAx += ar[i] * xh;
        sAg += ar[i] * gi;
        if (ag) {
          sH += dyr[i] * ag[i];
          sHx += dyr[i] * ag[i] * xh;
        }
      }
      for (int l = 0; l < L; ++l) {
        sG += l0[l];
        sGx += l1[l];
        sA += l2[l];
        sAx += l3[l];
        sAg += l4[l];
        sH += l5[l];
        sHx += l6[l];
      }
      const float m1 = sG * inv, m2 = sGx * inv, a1 = sA * inv, pA = sAx * inv, q1 = sH * inv, q2 = sHx * inv;
      // a . dx = r (sum a g - n m1 mean(a) - m2 sum a xh)
      const float aDx = rs * (sAg - sG * a1 - m2 * sAx);
      const float cP = rs * m2, cDx = rs * pA, cXh = rs * aDx * inv;
      for (int64_t j = 0; j < cols; ++j) {
        const float xh = (xr[j] - mean) * rs, gj = dyr[j] * g[j];
        const float rPA = rs * (ar[j] - a1 - xh * pA);
        const float dx = rs * (gj - m1 - xh * m2);
        float vx = -cP * rPA - cDx * dx - cXh * xh;
        float vdy = g[j] * rPA;
        if (ag) {
          vx += rs * (dyr[j] * ag[j] - q1 - xh * q2);
          vdy += ag[j] * xh;
        }
        if (ab) vdy += ab[j];
        gxr[j] = vx;
        gdyr[j] = vdy;
        pg[j] += dyr[j] * rPA;
      }
    }
  });
  for (const std::vector<float>& acc : part)
    if (!acc.empty())
      for (int64_t i = 0; i < cols; ++i) gg[i] += acc[i];
  return info.Env().Undefined();
}

// gelu(x, y, n): 0.5 x (1 + erf(x / sqrt 2))
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  float* y = arr<float>(info, 1);
  const int64_t n = num(info, 2);
  const bool wide = cpuLevel() == CPU_AVX512;
  parallelFor(n, 16384, [&](int64_t s, int64_t e) {
    if (wide) avx512::gelu(x, y, s, e);
    else geluLoop(x, y, s, e);
  });
  return info.Env().Undefined();
}

// geluGrad(x, dy, dx, n): dy * (0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi))
Napi::Value GeluGrad(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  float* dx = arr<float>(info, 2);
  const int64_t n = num(info, 3);
  const bool wide = cpuLevel() == CPU_AVX512;
  parallelFor(n, 16384, [&](int64_t s, int64_t e) {
    if (wide) avx512::geluGrad(x, dy, dx, s, e);
    else geluGradLoop(x, dy, dx, s, e);
  });
  return info.Env().Undefined();
}

// silu(x, y, n): x sigmoid(x), the same float operations as the native Sigmoid followed by Multiply
Napi::Value Silu(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  float* y = arr<float>(info, 1);
  const int64_t n = num(info, 2);
  const bool wide = cpuLevel() == CPU_AVX512;
  parallelFor(n, 16384, [&](int64_t s, int64_t e) {
    if (wide) avx512::silu(x, y, s, e);
    else siluLoop(x, y, s, e);
  });
  return info.Env().Undefined();
}

// siluGrad(x, dy, dx, n): dy * s (1 + x (1 - s)), s = sigmoid(x)
Napi::Value SiluGrad(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  float* dx = arr<float>(info, 2);
  const int64_t n = num(info, 3);
  const bool wide = cpuLevel() == CPU_AVX512;
  parallelFor(n, 16384, [&](int64_t s, int64_t e) {
    if (wide) avx512::siluGrad(x, dy, dx, s, e);
    else siluGradLoop(x, dy, dx, s, e);
  });
  return info.Env().Undefined();
}

// geluGradGrad(x, dy, a, gx, gdy, n): GeluGrad's input adjoints given a, gx = a dy gelu''(x), gdy = a gelu'(x)
Napi::Value GeluGradGrad(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  const float* a = arr<float>(info, 2);
  float* gx = arr<float>(info, 3);
  float* gdy = arr<float>(info, 4);
  const int64_t n = num(info, 5);
  const bool wide = cpuLevel() == CPU_AVX512;
  parallelFor(n, 16384, [&](int64_t s, int64_t e) {
    if (wide) avx512::geluGradGrad(x, dy, a, gx, gdy, s, e);
    else geluGradGradLoop(x, dy, a, gx, gdy, s, e);
  });
  return info.Env().Undefined();
}

// siluGradGrad(x, dy, a, gx, gdy, n): SiluGrad's input adjoints given a, gx = a dy silu''(x), gdy = a silu'(x)
Napi::Value SiluGradGrad(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  const float* a = arr<float>(info, 2);
  float* gx = arr<float>(info, 3);
  float* gdy = arr<float>(info, 4);
  const int64_t n = num(info, 5);
  const bool wide = cpuLevel() == CPU_AVX512;
  parallelFor(n, 16384, [&](int64_t s, int64_t e) {
    if (wide) avx512::siluGradGrad(x, dy, a, gx, gdy, s, e);
    else siluGradGradLoop(x, dy, a, gx, gdy, s, e);
  });
  return info.Env().Undefined();
}

// batchNorm(x, mean, variance, offset|null, scale|null, y, n, C, meanSize, varSize, offSize, scaleSize, eps)
// parameters have size C (last axis) or 1
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* mean = arr<float>(info, 1);
  const float* var = arr<float>(info, 2);
  const float* offset = arr<float>(info, 3);
  const float* scale = arr<float>(info, 4);
  float* y = arr<float>(info, 5);
  const int64_t n = num(info, 6), C = num(info, 7);
  const int64_t ms = num(info, 8), vs_ = num(info, 9), os = num(info, 10), ss = num(info, 11);
  const float eps = static_cast<float>(dbl(info, 12));
  if (n == 0 || C == 0) return info.Env().Undefined();
  std::vector<float> a(C), b(C);
  for (int64_t c = 0; c < C; ++c) {
    const float m = mean[ms == 1 ? 0 : c], v = var[vs_ == 1 ? 0 : c];
    const float sc = scale ? scale[ss == 1 ? 0 : c] : 1.f, of = offset ? offset[os == 1 ? 0 : c] : 0.f;
    a[c] = sc / std::sqrt(v + eps);
    b[c] = of - m * a[c];
  }
  const int64_t rows = n / C;
  parallelFor(rows, std::max<int64_t>(1, 16384 / C), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] * a[c] + b[c];
    }
  });
  return info.Env().Undefined();
}


/** Per-channel sums over rows of a [rows, C] matrix, threaded with per-thread partial rows. */
template <class F>
void channelSums(int64_t rows, int64_t C, int nAcc, std::vector<float>& out, F rowFn) {
  const int threads = poolThreads();
  std::vector<std::vector<float>> part(threads);
  out.assign(static_cast<size_t>(nAcc) * C, 0.f);
  parallelForChunks(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, C)), [&](int t, int64_t s, int64_t e) {
    std::vector<float>& acc = part[t];
    acc.assign(static_cast<size_t>(nAcc) * C, 0.f);
    for (int64_t r = s; r < e; ++r) rowFn(r, acc.data());
  });
  for (int t = 0; t < threads; ++t)
    if (!part[t].empty())
      for (size_t i = 0; i < out.size(); ++i) out[i] += part[t][i];
}

// batchNormTrain(x, gamma, beta, y, mean, variance, rows, C, eps): statistics over rows per channel (last axis),
// variance = mean((x - mean)^2) as tf.moments, y = (x - mean) * rsqrt(var + eps) * gamma + beta.
// kRelu: y = relu(...) written in the same pass (batchNormReluTrain), as the Relu kernel: v < 0 ? 0 : v.
template <bool kRelu>
Napi::Value batchNormTrainImpl(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* g = arr<float>(info, 1);
  const float* b = arr<float>(info, 2);
  float* y = arr<float>(info, 3);
  float* mean = arr<float>(info, 4);
  float* var = arr<float>(info, 5);
  const int64_t rows = num(info, 6), C = num(info, 7);
  const float eps = static_cast<float>(dbl(info, 8));
  if (C == 0) return info.Env().Undefined();
  std::vector<float> acc;
  channelSums(rows, C, 1, acc, [&](int64_t r, float* a) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) a[c] += xr[c];
  });
  for (int64_t c = 0; c < C; ++c) mean[c] = acc[c] / static_cast<float>(rows);
  channelSums(rows, C, 1, acc, [&](int64_t r, float* a) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) {
      const float d = xr[c] - mean[c];
      a[c] += d * d;
    }
  });
  std::vector<float> scale(C), shift(C);
  for (int64_t c = 0; c < C; ++c) {
    var[c] = acc[c] / static_cast<float>(rows);
    scale[c] = g[c] / std::sqrt(var[c] + eps);
    shift[c] = b[c] - mean[c] * scale[c];
  }
  const float* sc = scale.data();
  const float* sh = shift.data();
  parallelFor(rows, std::max<int64_t>(1, 16384 / C), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      for (int64_t c = 0; c < C; ++c) {
        const float v = xr[c] * sc[c] + sh[c];
        yr[c] = kRelu ? (v < 0.f ? 0.f : v) : v;
      }
    }
  });
  return info.Env().Undefined();
}

Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) { return batchNormTrainImpl<false>(info); }

// batchNormReluTrain(x, gamma, beta, y, mean, variance, rows, C, eps): batchNormTrain with y = relu(y)
Napi::Value BatchNormReluTrain(const Napi::CallbackInfo& info) { return batchNormTrainImpl<true>(info); }

/** ReLU's gradient factor from its output y, as the ReluGrad kernel's from its input (y > 0 iff x > 0; NaN passes). */
inline float reluMask(float y) { return y != y ? y : (y > 0.f ? 1.f : 0.f); }

// The masked rows below take __restrict pointers: inline in the lambdas, GCC needed more run-time alias checks than
// it allows (vect-max-version-for-alias-checks, 10) and ran them scalar, branching on the mask (10x slower).

/** a0 += dy * step(y), a1 += dy * step(y) * (x - mean) * rstd over one row of C channels. */
inline void maskedGradSumsRow(const float* __restrict x, const float* __restrict y, const float* __restrict dy,
                              const float* __restrict mean, const float* __restrict rs, float* __restrict a0,
                              float* __restrict a1, int64_t C) {
  for (int64_t c = 0; c < C; ++c) {
    const float d = dy[c] * reluMask(y[c]);
    a0[c] += d;
    a1[c] += d * (x[c] - mean[c]) * rs[c];
  }
}

/** dx = k1 * (dy * step(y) - k2 - (x - mean) * k3) over one row of C channels. */
inline void maskedGradRow(const float* __restrict x, const float* __restrict y, const float* __restrict dy,
                          const float* __restrict mean, const float* __restrict k1, const float* __restrict k2,
                          const float* __restrict k3, float* __restrict dx, int64_t C) {
  for (int64_t c = 0; c < C; ++c) dx[c] = k1[c] * (dy[c] * reluMask(y[c]) - k2[c] - (x[c] - mean[c]) * k3[c]);
}

// batchNormTrainGrad(x, gamma, dy, mean, variance, dx, dgamma, dbeta, rows, C, eps): first-order gradient of
// batchNormTrain's y through the batch statistics.
// kRelu: batchNormReluTrainGrad(x, gamma, y, dy, mean, variance, dx, dgamma, dbeta, rows, C, eps), the gradient of
// batchNormReluTrain given its output y: dy * step(y) (as the ReluGrad kernel) in place of dy wherever dy is read.
template <bool kRelu>
Napi::Value batchNormTrainGradImpl(const Napi::CallbackInfo& info) {
  const size_t o = kRelu ? 1 : 0;  // the y input shifts the rest by one
  const float* x = arr<float>(info, 0);
  const float* g = arr<float>(info, 1);
  const float* y = kRelu ? arr<float>(info, 2) : nullptr;
  const float* dy = arr<float>(info, 2 + o);
  const float* mean = arr<float>(info, 3 + o);
  const float* var = arr<float>(info, 4 + o);
  float* dx = arr<float>(info, 5 + o);
  float* dg = arr<float>(info, 6 + o);
  float* db = arr<float>(info, 7 + o);
  const int64_t rows = num(info, 8 + o), C = num(info, 9 + o);
  const float eps = static_cast<float>(dbl(info, 10 + o));
  if (C == 0) return info.Env().Undefined();
  std::vector<float> rstd(C);
  for (int64_t c = 0; c < C; ++c) rstd[c] = 1.f / std::sqrt(var[c] + eps);
  const float* rs = rstd.data();
  std::vector<float> acc;  // [sum dy, sum dy * xhat]
  channelSums(rows, C, 2, acc, [&](int64_t r, float* a) {
    const float* xr = x + r * C;
    const float* dr = dy + r * C;
    float* a1 = a + C;
    if constexpr (kRelu) {
      maskedGradSumsRow(xr, y + r * C, dr, mean, rs, a, a1, C);
    } else {
      for (int64_t c = 0; c < C; ++c) {
        a[c] += dr[c];
        a1[c] += dr[c] * (xr[c] - mean[c]) * rs[c];
      }
    }
  });
  std::vector<float> k1(C), k2(C), k3(C);
  const float invN = 1.f / static_cast<float>(rows);
  for (int64_t c = 0; c < C; ++c) {
    db[c] = acc[c];
    dg[c] = acc[C + c];
    // dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))
    k1[c] = g[c] * rs[c];
    k2[c] = acc[c] * invN;
    k3[c] = acc[C + c] * invN * rs[c];
  }
  const float *p1 = k1.data(), *p2 = k2.data(), *p3 = k3.data();
  parallelFor(rows, std::max<int64_t>(1, 16384 / C), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const float* xr = x + r * C;
      const float* dr = dy + r * C;
      float* out = dx + r * C;
      if constexpr (kRelu) {
        maskedGradRow(xr, y + r * C, dr, mean, p1, p2, p3, out, C);
      } else {
        for (int64_t c = 0; c < C; ++c) out[c] = p1[c] * (dr[c] - p2[c] - (xr[c] - mean[c]) * p3[c]);
      }
    }
  });
  return info.Env().Undefined();
}

Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) { return batchNormTrainGradImpl<false>(info); }

Napi::Value BatchNormReluTrainGrad(const Napi::CallbackInfo& info) { return batchNormTrainGradImpl<true>(info); }

/**
 * Channel-affine rows are short (16 channels in resnet-20's first stage: two AVX2 vectors, then loop overhead), so
 * the kernels below tile the C per-channel values `k` times and run over k consecutive rows as one contiguous
 * stretch of k * C values: longer vectorised inner loops. ~128 values measured best for C = 16, 32, 64 (one thread,
 * AVX2: the sums 2x faster than row by row at C = 16, 1.2x at 32 and 64; the affine ~10% at 16 and 32); wider
 * stretches lose the per-channel sums' accumulators from L1.
 */
inline int64_t affineRowsPerStretch(int64_t C) { return std::max<int64_t>(1, 128 / C); }

/** v repeated k times (k * C values). */
inline std::vector<float> tiled(const float* v, int64_t C, int64_t k) {
  std::vector<float> out(static_cast<size_t>(k * C));
  for (int64_t j = 0; j < k; ++j) std::copy(v, v + C, out.begin() + j * C);
  return out;
}

inline void affineSpan(const float* __restrict x, const float* __restrict s, const float* __restrict t,
                       float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * s[i] + t[i];
}

inline void scaleSpan(const float* __restrict x, const float* __restrict s, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * s[i];
}

inline void affineSumsSpan(const float* __restrict dy, const float* __restrict x, float* __restrict sdx,
                           float* __restrict sdy, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    sdx[i] += dy[i] * x[i];
    sdy[i] += dy[i];
  }
}

// channelAffine(x, scale, shift|null, y, rows, C): y = x * scale + shift per channel (last axis) of a [rows, C]
// layout; evaluation-mode BatchNorm and the derivatives of it (see VitscopeChannelAffine).
Napi::Value ChannelAffine(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* scale = arr<float>(info, 1);
  const float* shift = arr<float>(info, 2);  // null: no shift
  float* y = arr<float>(info, 3);
  const int64_t rows = num(info, 4), C = num(info, 5);
  if (rows == 0 || C == 0) return info.Env().Undefined();
  const int64_t k = affineRowsPerStretch(C);
  const std::vector<float> S = tiled(scale, C, k);
  const std::vector<float> T = shift ? tiled(shift, C, k) : std::vector<float>();
  parallelFor(rows, std::max<int64_t>(1, 16384 / C), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; r += k) {
      const int64_t n = std::min(k, e - r) * C;
      if (shift) affineSpan(x + r * C, S.data(), T.data(), y + r * C, n);
      else scaleSpan(x + r * C, S.data(), y + r * C, n);
    }
  });
  return info.Env().Undefined();
}

// channelAffineGrad(dy, x, dscale, dshift, rows, C): dscale = sum_rows dy * x, dshift = sum_rows dy, in one pass
Napi::Value ChannelAffineGrad(const Napi::CallbackInfo& info) {
  const float* dy = arr<float>(info, 0);
  const float* x = arr<float>(info, 1);
  float* dscale = arr<float>(info, 2);
  float* dshift = arr<float>(info, 3);
  const int64_t rows = num(info, 4), C = num(info, 5);
  if (C == 0) return info.Env().Undefined();
  const int64_t k = affineRowsPerStretch(C), W = k * C;
  // per thread: [sum dy * x, sum dy] over stretches of k rows (W values each), folded to C channels at the end
  std::vector<std::vector<float>> part(poolThreads());
  parallelForChunks(rows, std::max<int64_t>(1, 16384 / C), [&](int t, int64_t s, int64_t e) {
    std::vector<float>& acc = part[t];
    acc.assign(static_cast<size_t>(2 * W), 0.f);
    for (int64_t r = s; r < e; r += k) affineSumsSpan(dy + r * C, x + r * C, acc.data(), acc.data() + W, std::min(k, e - r) * C);
  });
  for (int64_t c = 0; c < C; ++c) dscale[c] = dshift[c] = 0.f;
  for (const std::vector<float>& acc : part)
    if (!acc.empty())
      for (int64_t i = 0; i < W; ++i) {
        dscale[i % C] += acc[i];
        dshift[i % C] += acc[W + i];
      }
  return info.Env().Undefined();
}

}  // namespace

void registerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm, "layerNorm"));
  exports.Set("layerNormGrad", Napi::Function::New(env, LayerNormGrad, "layerNormGrad"));
  exports.Set("layerNormGradGrad", Napi::Function::New(env, LayerNormGradGrad, "layerNormGradGrad"));
  exports.Set("gelu", Napi::Function::New(env, Gelu, "gelu"));
  exports.Set("geluGrad", Napi::Function::New(env, GeluGrad, "geluGrad"));
  exports.Set("silu", Napi::Function::New(env, Silu, "silu"));
  exports.Set("siluGrad", Napi::Function::New(env, SiluGrad, "siluGrad"));
  exports.Set("geluGradGrad", Napi::Function::New(env, GeluGradGrad, "geluGradGrad"));
  exports.Set("siluGradGrad", Napi::Function::New(env, SiluGradGrad, "siluGradGrad"));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm, "batchNorm"));
  exports.Set("batchNormTrain", Napi::Function::New(env, BatchNormTrain, "batchNormTrain"));
  exports.Set("batchNormTrainGrad", Napi::Function::New(env, BatchNormTrainGrad, "batchNormTrainGrad"));
  exports.Set("batchNormReluTrain", Napi::Function::New(env, BatchNormReluTrain, "batchNormReluTrain"));
  exports.Set("batchNormReluTrainGrad", Napi::Function::New(env, BatchNormReluTrainGrad, "batchNormReluTrainGrad"));
  exports.Set("channelAffine", Napi::Function::New(env, ChannelAffine, "channelAffine"));
  exports.Set("channelAffineGrad", Napi::Function::New(env, ChannelAffineGrad, "channelAffineGrad"));
}

}  // namespace vs
