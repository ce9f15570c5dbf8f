// GatherV2 along one axis and OneHot.
#include <cstring>

#include "common.h"
#include "thread_pool.h"

namespace vs {
namespace {

// gather(src, indices: Int32Array, dst, outer, axisLen, nIdx, inner) -> -1, or the position of a bad index
Napi::Value Gather(const Napi::CallbackInfo& info) {
  napi_typedarray_type type;
  size_t len, off;
  void* sdata;
  napi_value ab;
  napi_get_typedarray_info(info.Env(), info[0], &type, &len, &sdata, &ab, &off);
  const int32_t* idx = arr<int32_t>(info, 1);
  void* ddata = dataOf(info, 2);
  const int64_t outer = num(info, 3), axisLen = num(info, 4), nIdx = num(info, 5), inner = num(info, 6);
  for (int64_t k = 0; k < nIdx; ++k)
    if (idx[k] < 0 || idx[k] >= axisLen) return Napi::Number::New(info.Env(), static_cast<double>(k));
  size_t es = (type == napi_int8_array || type == napi_uint8_array || type == napi_uint8_clamped_array) ? 1
              : (type == napi_int16_array || type == napi_uint16_array)                                  ? 2
              : (type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array) ? 8
                                                                                                            : 4;
  const uint8_t* s = static_cast<const uint8_t*>(sdata);
  uint8_t* d = static_cast<uint8_t*>(ddata);
  const size_t rowBytes = es * inner;
  parallelFor(outer * nIdx, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, rowBytes)), [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t o = k / nIdx, j = k % nIdx;
      std::memcpy(d + k * rowBytes, s + (o * axisLen + idx[j]) * rowBytes, rowBytes);
    }
  });
  return Napi::Number::New(info.Env(), -1);
}

// oneHot(indices: Int32Array, out: Float32Array, depth, on, off)
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  napi_typedarray_type type;
  size_t n, off;
  void* idata;
  napi_value ab;
  napi_get_typedarray_info(info.Env(), info[0], &type, &n, &idata, &ab, &off);
  const int32_t* idx = static_cast<const int32_t*>(idata);
  float* out = arr<float>(info, 1);
  const int64_t depth = num(info, 2);
  const float on = static_cast<float>(dbl(info, 3)), offv = static_cast<float>(dbl(info, 4));
  for (size_t i = 0; i < n; ++i) {
    float* row = out + i * depth;
    for (int64_t j = 0; j < depth; ++j) row[j] = offv;
    if (idx[i] >= 0 && idx[i] < depth) row[idx[i]] = on;
  }
  return info.Env().Undefined();
}

}  // namespace

void registerGather(Napi::Env env, Napi::Object exports) {
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("oneHot", Napi::Function::New(env, OneHot, "oneHot"));
}

}  // namespace vs
