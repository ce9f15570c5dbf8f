// One classical Gram–Schmidt pass over float64 host vectors, v -= Q (Qᵀ v), for the Hessian algorithms'
// reorthogonalisation (src/hessian/vector.ts). Lanczos on millions of parameters spends its time outside the products
// here: the basis is read twice per pass, so the pass runs on every thread. The dots are summed per fixed chunk and
// the chunks in order, so the result does not depend on the thread count.
#include <algorithm>
#include <vector>

#include "common.h"
#include "fixed_dot.h"
#include "thread_pool.h"

namespace vs {
namespace {

constexpr int64_t kChunk = 4096;  // doubles: 32 KB of v stays in cache while the basis streams past

double* float64Data(const Napi::CallbackInfo& info, const Napi::Value& value, size_t* length, const char* what) {
  napi_typedarray_type type;
  void* data;
  napi_value ab;
  size_t offset;
  if (!value.IsTypedArray() || napi_get_typedarray_info(info.Env(), value, &type, length, &data, &ab, &offset) != napi_ok ||
      type != napi_float64_array)
    throw Napi::TypeError::New(info.Env(), std::string("gramSchmidtPass: ") + what + " must be a Float64Array");
  return static_cast<double*>(data);
}

// gramSchmidtPass(v, basis): v -= Σ_j (q_j·v) q_j over the Float64Arrays of `basis`; returns [‖v‖² before, ‖v‖² after].
Napi::Value GramSchmidtPass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t n = 0;
  double* v = float64Data(info, info[0], &n, "v");
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, "gramSchmidtPass: basis must be an array of Float64Arrays");
  Napi::Array arr = info[1].As<Napi::Array>();
  const int64_t m = arr.Length();
  std::vector<const double*> q(m);
  for (int64_t j = 0; j < m; ++j) {
    size_t len = 0;
    q[j] = float64Data(info, arr.Get(static_cast<uint32_t>(j)), &len, "a basis vector");
    if (len != n) throw Napi::RangeError::New(env, "gramSchmidtPass: basis vector length differs from v's");
  }
  const int64_t N = static_cast<int64_t>(n);
  const int64_t chunks = (N + kChunk - 1) / kChunk;
  // per chunk: m dots and ‖v‖², then the squared norm after the update
  std::vector<double> partial(static_cast<size_t>(chunks) * (m + 1), 0.0);
  std::vector<double> after(static_cast<size_t>(chunks), 0.0);
  parallelFor(chunks, 4, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t lo = c * kChunk, hi = std::min(N, lo + kChunk);
      double* out = &partial[static_cast<size_t>(c) * (m + 1)];
      for (int64_t j = 0; j < m; ++j) out[j] = fixedOrderDot(v, q[j], lo, hi);
      out[m] = fixedOrderDot(v, v, lo, hi);
    }
  });
  std::vector<double> coef(m + 1, 0.0);
  for (int64_t c = 0; c < chunks; ++c)
    for (int64_t j = 0; j <= m; ++j) coef[j] += partial[static_cast<size_t>(c) * (m + 1) + j];
  parallelFor(chunks, 4, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t lo = c * kChunk, hi = std::min(N, lo + kChunk);
      for (int64_t j = 0; j < m; ++j) {
        const double* qj = q[j];
        const double a = coef[j];
        for (int64_t i = lo; i < hi; ++i) v[i] -= a * qj[i];
      }
      after[c] = fixedOrderDot(v, v, lo, hi);
    }
  });
  double normAfter = 0;
  for (int64_t c = 0; c < chunks; ++c) normAfter += after[c];
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, coef[m]));
  result.Set(1u, Napi::Number::New(env, normAfter));
  return result;
}

}  // namespace

void registerOrtho(Napi::Env env, Napi::Object exports) {
  exports.Set("gramSchmidtPass", Napi::Function::New(env, GramSchmidtPass, "gramSchmidtPass"));
}

}  // namespace vs
