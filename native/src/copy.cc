// Strided copies: one primitive behind Transpose, Slice, Pad, Concat, Split, Tile and Pack/Unpack.
// dst[dstOff + sum_d i_d * dstStride_d] = src[srcOff + sum_d i_d * srcStride_d] for every index i < shape.
#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "thread_pool.h"

namespace vs {
namespace {

struct Dims {
  std::vector<int64_t> shape, ss, ds;
};

Dims merge(const std::vector<int64_t>& shape, const std::vector<int64_t>& ss, const std::vector<int64_t>& ds) {
  Dims m;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!m.shape.empty() && m.ss.back() == ss[i] * shape[i] && m.ds.back() == ds[i] * shape[i]) {
      m.shape.back() *= shape[i];
      m.ss.back() = ss[i];
      m.ds.back() = ds[i];
    } else {
      m.shape.push_back(shape[i]);
      m.ss.push_back(ss[i]);
      m.ds.push_back(ds[i]);
    }
  }
  if (m.shape.empty()) {
    m.shape.push_back(1);
    m.ss.push_back(1);
    m.ds.push_back(1);
  }
  return m;
}

template <typename T>
void copyStrided(const T* src, T* dst, const Dims& m) {
  const int nd = static_cast<int>(m.shape.size());
  const int64_t L = m.shape[nd - 1], sl = m.ss[nd - 1], dl = m.ds[nd - 1];
  // a 2-D transpose inside the last two dims: tile it for cache reuse
  const bool tile = nd >= 2 && dl == 1 && m.ss[nd - 2] == 1 && sl != 1;
  int64_t O = 1;
  for (int d = 0; d < nd - 1; ++d) O *= m.shape[d];
  if (tile) {
    const int64_t Rr = m.shape[nd - 2], rs = m.ss[nd - 2], rd = m.ds[nd - 2];
    int64_t O2 = O / Rr;
    const int od = nd - 2;
    parallelFor(O2, std::max<int64_t>(1, 16384 / (L * Rr)), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        int64_t rem = o, so = 0, dof = 0;
        for (int d = od - 1; d >= 0; --d) {
          const int64_t i = rem % m.shape[d];
          rem /= m.shape[d];
          so += i * m.ss[d];
          dof += i * m.ds[d];
        }
        constexpr int64_t B = 32;
        for (int64_t r0 = 0; r0 < Rr; r0 += B)
          for (int64_t c0 = 0; c0 < L; c0 += B) {
            const int64_t r1 = std::min(Rr, r0 + B), c1 = std::min(L, c0 + B);
            for (int64_t r = r0; r < r1; ++r)
              for (int64_t c = c0; c < c1; ++c) dst[dof + r * rd + c] = src[so + r * rs + c * sl];
          }
      }
    });
    return;
  }
  parallelFor(O, std::max<int64_t>(1, 32768 / L), [&](int64_t o0, int64_t o1) {
    std::vector<int64_t> idx(nd > 1 ? nd - 1 : 1, 0);
    int64_t so = 0, dof = 0, rem = o0;
    for (int d = nd - 2; d >= 0; --d) {
      idx[d] = rem % m.shape[d];
      rem /= m.shape[d];
      so += idx[d] * m.ss[d];
      dof += idx[d] * m.ds[d];
    }
    for (int64_t o = o0; o < o1; ++o) {
      if (sl == 1 && dl == 1) {
        std::memcpy(dst + dof, src + so, sizeof(T) * L);
      } else {
        for (int64_t i = 0; i < L; ++i) dst[dof + i * dl] = src[so + i * sl];
      }
      for (int d = nd - 2; d >= 0; --d) {
        so += m.ss[d];
        dof += m.ds[d];
        if (++idx[d] < m.shape[d]) break;
        so -= m.ss[d] * m.shape[d];
        dof -= m.ds[d] * m.shape[d];
        idx[d] = 0;
      }
    }
  });
}

// stridedCopy(src, dst, shape[], srcStrides[], dstStrides[], srcOff, dstOff) — strides/offsets in elements;
// element size from the typed array (1, 2, 4 or 8 bytes)
Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  napi_typedarray_type type;
  size_t len, off;
  void* sdata;
  napi_value ab;
  napi_get_typedarray_info(info.Env(), info[0], &type, &len, &sdata, &ab, &off);
  void* ddata = dataOf(info, 1);
  auto shape = ints(info, 2);
  for (int64_t s : shape)
    if (s == 0) return info.Env().Undefined();
  const Dims m = merge(shape, ints(info, 3), ints(info, 4));
  const int64_t so = num(info, 5), dof = num(info, 6);
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      copyStrided(static_cast<const uint8_t*>(sdata) + so, static_cast<uint8_t*>(ddata) + dof, m);
      break;
    case napi_int16_array:
    case napi_uint16_array:
      copyStrided(static_cast<const uint16_t*>(sdata) + so, static_cast<uint16_t*>(ddata) + dof, m);
      break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      copyStrided(static_cast<const uint32_t*>(sdata) + so, static_cast<uint32_t*>(ddata) + dof, m);
      break;
    default:
      copyStrided(static_cast<const uint64_t*>(sdata) + so, static_cast<uint64_t*>(ddata) + dof, m);
  }
  return info.Env().Undefined();
}

template <typename S, typename D>
void convert(const S* src, D* dst, int64_t n) {
  // conversions are memory-bound: split only when each thread gets a few hundred kB
  parallelFor(n, 65536, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) dst[i] = static_cast<D>(src[i]);
  });
}

// convertCopy(src, dst, n, srcOff, dstOff): dst[dstOff + i] = src[srcOff + i] for i < n, between a Float32Array and
// a Float64Array (either way; float64 -> float32 rounds to nearest even, as a JavaScript Float32Array store does).
// The Hessian operator crosses this boundary twice per product: V8's own conversion took 170 ms for ResNet-50.
Napi::Value ConvertCopy(const Napi::CallbackInfo& info) {
  napi_typedarray_type st, dt;
  size_t sl, dl, so, dof;
  void* sdata;
  void* ddata;
  napi_value ab;
  napi_get_typedarray_info(info.Env(), info[0], &st, &sl, &sdata, &ab, &so);
  napi_get_typedarray_info(info.Env(), info[1], &dt, &dl, &ddata, &ab, &dof);
  const int64_t n = num(info, 2), s0 = num(info, 3), d0 = num(info, 4);
  if (n < 0 || s0 < 0 || d0 < 0 || s0 + n > static_cast<int64_t>(sl) || d0 + n > static_cast<int64_t>(dl)) {
    Napi::RangeError::New(info.Env(), "convertCopy: range outside the arrays").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  if (st == napi_float32_array && dt == napi_float64_array) {
    convert(static_cast<const float*>(sdata) + s0, static_cast<double*>(ddata) + d0, n);
  } else if (st == napi_float64_array && dt == napi_float32_array) {
    convert(static_cast<const double*>(sdata) + s0, static_cast<float*>(ddata) + d0, n);
  } else {
    Napi::TypeError::New(info.Env(), "convertCopy: expected a Float32Array and a Float64Array").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

}  // namespace

void registerCopy(Napi::Env env, Napi::Object exports) {
  exports.Set("stridedCopy", Napi::Function::New(env, StridedCopy, "stridedCopy"));
  exports.Set("convertCopy", Napi::Function::New(env, ConvertCopy, "convertCopy"));
}

}  // namespace vs
