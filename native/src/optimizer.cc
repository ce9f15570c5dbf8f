// Fused optimiser updates: one pass over parameter, gradient and moment buffers instead of a dozen tensor ops.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "thread_pool.h"

namespace vs {
namespace {

// adamw(p, g, m, v, pOut, mOut, vOut, n, beta1, beta2, eps, stepSize, bc2Sqrt, decay), torch.optim.AdamW's rule:
//   m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;  p' = p (1 - decay) - stepSize * m' / (sqrt(v') / bc2Sqrt + eps)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  const float* p = arr<float>(info, 0);
  const float* g = arr<float>(info, 1);
  const float* m = arr<float>(info, 2);
  const float* v = arr<float>(info, 3);
  float* po = arr<float>(info, 4);
  float* mo = arr<float>(info, 5);
  float* vo = arr<float>(info, 6);
  const int64_t n = num(info, 7);
  const float b1 = static_cast<float>(dbl(info, 8)), b2 = static_cast<float>(dbl(info, 9));
  const float eps = static_cast<float>(dbl(info, 10)), stepSize = static_cast<float>(dbl(info, 11));
  const float bc2 = static_cast<float>(dbl(info, 12)), decay = static_cast<float>(dbl(info, 13));
  const float c1 = 1.f - b1, c2 = 1.f - b2, keep = 1.f - decay;
  const bool decayed = decay > 0.f;
  parallelFor(n, 32768, [=](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      const float gi = g[i];
      const float mi = m[i] * b1 + gi * c1;
      const float vi = v[i] * b2 + (gi * gi) * c2;
      const float denom = std::sqrt(vi) / bc2 + eps;
      const float base = decayed ? p[i] * keep : p[i];
      po[i] = base - (mi / denom) * stepSize;
      mo[i] = mi;
      vo[i] = vi;
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void registerOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("adamw", Napi::Function::New(env, AdamW, "adamw"));
}

}  // namespace vs
