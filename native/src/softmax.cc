// Softmax and log-softmax over the last axis of a [rows, cols] float32 matrix, and softmax's first and second
// backward kernels (VitscopeSoftmaxGrad, VitscopeSoftmaxGradGrad), one pass over each row for the sums, one to write.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "cpu.h"
#include "thread_pool.h"
#include "vmath.h"
#include "vmath_avx512.h"

namespace vs {
namespace {

#include "vmath_loops.h"

// softmax(x, out, rows, cols, log)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  float* y = arr<float>(info, 1);
  const int64_t rows = num(info, 2), cols = num(info, 3);
  const bool logOut = info[4].ToBoolean();
  if (cols == 0) return info.Env().Undefined();
  const bool wide = cpuLevel() == CPU_AVX512;
  parallelFor(rows, std::max<int64_t>(1, 8192 / cols), [&](int64_t s, int64_t e) {
    if (wide) avx512::softmaxRows(x, y, s, e, cols, logOut);
    else
      for (int64_t r = s; r < e; ++r) softmaxRow(x + r * cols, y + r * cols, cols, logOut);
  });
  return info.Env().Undefined();
}

/**
 * Dot products of one row: sum a b (and sum c b when c is given), in 16 interleaved float lanes so that the loop
 * vectorises (an in-order float sum stays scalar without -ffast-math).
 */
inline void rowDots(const float* __restrict a, const float* __restrict c, const float* __restrict b, int64_t n, float& ab, float& cb) {
  constexpr int L = 16;
  float la[L] = {}, lc[L] = {};
  int64_t i = 0;
  if (c) {
    for (; i + L <= n; i += L)
      for (int l = 0; l < L; ++l) {
        la[l] += a[i + l] * b[i + l];
        lc[l] += c[i + l] * b[i + l];
      }
  } else {
    for (; i + L <= n; i += L)
      for (int l = 0; l < L; ++l) la[l] += a[i + l] * b[i + l];
  }
  float sa = 0.f, sc = 0.f;
  for (; i < n; ++i) {
    sa += a[i] * b[i];
    if (c) sc += c[i] * b[i];
  }
  for (int l = 0; l < L; ++l) {
    sa += la[l];
    sc += lc[l];
  }
  ab = sa;
  cb = sc;
}

// softmaxGrad(y, dy, dx, rows, cols): dx = y (dy - s), s = sum(dy y) per row
Napi::Value SoftmaxGrad(const Napi::CallbackInfo& info) {
  const float* y = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  float* dx = arr<float>(info, 2);
  const int64_t rows = num(info, 3), cols = num(info, 4);
  if (cols == 0) return info.Env().Undefined();
  parallelFor(rows, std::max<int64_t>(1, 8192 / cols), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const float* yr = y + r * cols;
      const float* dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      float sum, unused;
      rowDots(dyr, nullptr, yr, cols, sum, unused);
      for (int64_t i = 0; i < cols; ++i) dxr[i] = yr[i] * (dyr[i] - sum);
    }
  });
  return info.Env().Undefined();
}

// softmaxGradGrad(y, dy, a, gy, gdy, rows, cols): the adjoints of softmaxGrad's inputs given the adjoint a of dx,
// with s = sum(dy y), r = sum(a y) per row: gdy = y (a - r), gy = a (dy - s) - r dy.
Napi::Value SoftmaxGradGrad(const Napi::CallbackInfo& info) {
  const float* y = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  const float* a = arr<float>(info, 2);
  float* gy = arr<float>(info, 3);
  float* gdy = arr<float>(info, 4);
  const int64_t rows = num(info, 5), cols = num(info, 6);
  if (cols == 0) return info.Env().Undefined();
  parallelFor(rows, std::max<int64_t>(1, 4096 / cols), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const int64_t o = r * cols;
      const float *yr = y + o, *dyr = dy + o, *ar = a + o;
      float* gyr = gy + o;
      float* gdyr = gdy + o;
      float sdy, sa;
      rowDots(dyr, ar, yr, cols, sdy, sa);
      for (int64_t i = 0; i < cols; ++i) {
        gdyr[i] = yr[i] * (ar[i] - sa);
        gyr[i] = ar[i] * (dyr[i] - sdy) - sa * dyr[i];
      }
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void registerSoftmax(Napi::Env env, Napi::Object exports) {
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("softmaxGrad", Napi::Function::New(env, SoftmaxGrad, "softmaxGrad"));
  exports.Set("softmaxGradGrad", Napi::Function::New(env, SoftmaxGradGrad, "softmaxGradGrad"));
}

}  // namespace vs
