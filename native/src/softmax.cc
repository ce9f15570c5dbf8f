// Softmax and log-softmax over the last axis of a [rows, cols] float32 matrix.
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

}  // namespace

void registerSoftmax(Napi::Env env, Napi::Object exports) {
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
}

}  // namespace vs
