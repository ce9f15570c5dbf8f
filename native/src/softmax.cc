// Softmax and log-softmax over the last axis of a [rows, cols] float32 matrix.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "thread_pool.h"
#include "vmath.h"

namespace vs {
namespace {

void softmaxRow(const float* x, float* y, int64_t n, bool logOut) {
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

// softmax(x, out, rows, cols, log)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  float* y = arr<float>(info, 1);
  const int64_t rows = num(info, 2), cols = num(info, 3);
  const bool logOut = info[4].ToBoolean();
  if (cols == 0) return info.Env().Undefined();
  parallelFor(rows, std::max<int64_t>(1, 8192 / cols), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) softmaxRow(x + r * cols, y + r * cols, cols, logOut);
  });
  return info.Env().Undefined();
}

}  // namespace

void registerSoftmax(Napi::Env env, Napi::Object exports) {
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
}

}  // namespace vs
