// Shared helpers for the vitscope native addon: reading typed arrays and numbers from N-API values.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vs {

/** Raw data pointer of a TypedArray argument (byte offset applied), or nullptr for null/undefined. */
inline void* dataOf(const Napi::CallbackInfo& info, size_t i) {
  napi_value v = info[i];
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  napi_typedarray_type type;
  size_t length;
  void* data = nullptr;
  napi_value ab;
  size_t off;
  napi_status st = napi_get_typedarray_info(info.Env(), v, &type, &length, &data, &ab, &off);
  if (st != napi_ok) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + ": expected a TypedArray");
  return data;
}

template <typename T>
inline T* arr(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<T*>(dataOf(info, i));
}

inline int64_t num(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int64Value();
}

inline double dbl(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().DoubleValue();
}

/** A JS array of integers as a vector. */
inline std::vector<int64_t> ints(const Napi::CallbackInfo& info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) out[k] = a.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

/** Fused activations shared by matmul and conv (same codes as the TS side's ACTIVATIONS). */
enum Activation { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_LEAKYRELU = 4, ACT_SIGMOID = 5 };

void applyBiasActivation(float* out, int64_t rows, int64_t cols, int64_t ldc, const float* bias, int64_t biasSize,
                         int act, float alpha);

void registerMatmul(Napi::Env env, Napi::Object exports);
void registerConv(Napi::Env env, Napi::Object exports);
void registerDepthwise(Napi::Env env, Napi::Object exports);
void registerElementwise(Napi::Env env, Napi::Object exports);
void registerReduce(Napi::Env env, Napi::Object exports);
void registerSoftmax(Napi::Env env, Napi::Object exports);
void registerCopy(Napi::Env env, Napi::Object exports);
void registerOrtho(Napi::Env env, Napi::Object exports);
void registerGather(Napi::Env env, Napi::Object exports);
void registerNorm(Napi::Env env, Napi::Object exports);
void registerOptimizer(Napi::Env env, Napi::Object exports);
void registerCpu(Napi::Env env, Napi::Object exports);
void registerGemm(Napi::Env env, Napi::Object exports);

}  // namespace vs
