// Broadcasting binary ops, unary ops, Select and AddN on float32 (comparisons write bool as uint8).
#include <algorithm>
#include <cmath>
#include <vector>

#include "common.h"
#include "thread_pool.h"
#include "vmath.h"

namespace vs {
namespace {

constexpr int64_t kGrain = 16384;  // elements per thread below which splitting costs more than it saves

// ---- broadcasting iteration -------------------------------------------------------------------

struct Bcast {
  std::vector<int64_t> shape, sa, sb;
};

/** Drops size-1 dimensions and merges dimensions that are contiguous in both operands. */
Bcast mergeDims(const std::vector<int64_t>& shape, const std::vector<int64_t>& sa, const std::vector<int64_t>& sb) {
  Bcast m;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!m.shape.empty() && m.sa.back() == sa[i] * shape[i] && m.sb.back() == sb[i] * shape[i]) {
      m.shape.back() *= shape[i];
      m.sa.back() = sa[i];
      m.sb.back() = sb[i];
    } else {
      m.shape.push_back(shape[i]);
      m.sa.push_back(sa[i]);
      m.sb.push_back(sb[i]);
    }
  }
  return m;
}

template <class Op, class TO>
inline void innerLoop(const float* a, int64_t ia, const float* b, int64_t ib, TO* o, int64_t n) {
  if (ia == 1 && ib == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(a[i], b[i]);
  } else if (ia == 0 && ib == 1) {
    const float x = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(x, b[i]);
  } else if (ia == 1 && ib == 0) {
    const float y = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(a[i], y);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = Op::f(a[i * ia], b[i * ib]);
  }
}

template <class Op, class TO>
void runBinary(const float* a, const float* b, TO* out, const Bcast& m) {
  const int nd = static_cast<int>(m.shape.size());
  if (nd == 0) {
    out[0] = Op::f(a[0], b[0]);
    return;
  }
  const int64_t L = m.shape[nd - 1], ia = m.sa[nd - 1], ib = m.sb[nd - 1];
  int64_t O = 1;
  for (int d = 0; d < nd - 1; ++d) O *= m.shape[d];
  if (O == 1) {
    parallelFor(L, kGrain, [&](int64_t s, int64_t e) { innerLoop<Op, TO>(a + s * ia, ia, b + s * ib, ib, out + s, e - s); });
    return;
  }
  parallelFor(O, std::max<int64_t>(1, kGrain / L), [&](int64_t o0, int64_t o1) {
    std::vector<int64_t> idx(nd - 1);
    int64_t rem = o0, offA = 0, offB = 0;
    for (int d = nd - 2; d >= 0; --d) {
      idx[d] = rem % m.shape[d];
      rem /= m.shape[d];
      offA += idx[d] * m.sa[d];
      offB += idx[d] * m.sb[d];
    }
    for (int64_t o = o0; o < o1; ++o) {
      innerLoop<Op, TO>(a + offA, ia, b + offB, ib, out + o * L, L);
      for (int d = nd - 2; d >= 0; --d) {
        offA += m.sa[d];
        offB += m.sb[d];
        if (++idx[d] < m.shape[d]) break;
        offA -= m.sa[d] * m.shape[d];
        offB -= m.sb[d] * m.shape[d];
        idx[d] = 0;
      }
    }
  });
}

inline bool isnan_(float x) { return x != x; }

struct Add { static float f(float a, float b) { return a + b; } };
struct Sub { static float f(float a, float b) { return a - b; } };
struct Mul { static float f(float a, float b) { return a * b; } };
struct Div { static float f(float a, float b) { return a / b; } };
struct Max { static float f(float a, float b) { return isnan_(a) || isnan_(b) ? NAN : (a > b ? a : b); } };
struct Min { static float f(float a, float b) { return isnan_(a) || isnan_(b) ? NAN : (a < b ? a : b); } };
struct Pow { static float f(float a, float b) { return std::pow(a, b); } };
struct SqDiff { static float f(float a, float b) { return (a - b) * (a - b); } };
struct Eq { static uint8_t f(float a, float b) { return a == b; } };
struct Ne { static uint8_t f(float a, float b) { return a != b; } };
struct Lt { static uint8_t f(float a, float b) { return a < b; } };
struct Le { static uint8_t f(float a, float b) { return a <= b; } };
struct Gt { static uint8_t f(float a, float b) { return a > b; } };
struct Ge { static uint8_t f(float a, float b) { return a >= b; } };
// ReLU's gradient dy * step(x) in one pass, bit for bit as Multiply(dy, Step(x)): a NaN x gives NaN
struct ReluGrad { static float f(float dy, float x) { return dy * (isnan_(x) ? x : (x > 0.f ? 1.f : 0.f)); } };

// binary(op, a, b, out, outShape[], aStrides[], bStrides[]); ops 0-7 and 14 write float32, 8-13 write uint8
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info, 0));
  const float* a = arr<float>(info, 1);
  const float* b = arr<float>(info, 2);
  void* out = dataOf(info, 3);
  const Bcast m = mergeDims(ints(info, 4), ints(info, 5), ints(info, 6));
  for (int64_t s : m.shape)
    if (s == 0) return info.Env().Undefined();
  float* fo = static_cast<float*>(out);
  uint8_t* bo = static_cast<uint8_t*>(out);
  switch (op) {
    case 0: runBinary<Add>(a, b, fo, m); break;
    case 1: runBinary<Sub>(a, b, fo, m); break;
    case 2: runBinary<Mul>(a, b, fo, m); break;
    case 3: runBinary<Div>(a, b, fo, m); break;
    case 4: runBinary<Max>(a, b, fo, m); break;
    case 5: runBinary<Min>(a, b, fo, m); break;
    case 6: runBinary<Pow>(a, b, fo, m); break;
    case 7: runBinary<SqDiff>(a, b, fo, m); break;
    case 8: runBinary<Eq>(a, b, bo, m); break;
    case 9: runBinary<Ne>(a, b, bo, m); break;
    case 10: runBinary<Lt>(a, b, bo, m); break;
    case 11: runBinary<Le>(a, b, bo, m); break;
    case 12: runBinary<Gt>(a, b, bo, m); break;
    case 13: runBinary<Ge>(a, b, bo, m); break;
    case 14: runBinary<ReluGrad>(a, b, fo, m); break;
    default: throw Napi::Error::New(info.Env(), "binary: unknown op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

// ---- unary ------------------------------------------------------------------------------------

template <class F>
void runUnary(const float* x, float* y, int64_t n, F f) {
  parallelFor(n, kGrain, [x, y, f](int64_t s, int64_t e) {
    const F g = f;  // a local copy: captured parameters stay in registers and the loop vectorises
    const float* __restrict xs = x;
    float* __restrict ys = y;
    for (int64_t i = s; i < e; ++i) ys[i] = g(xs[i]);
  });
}

// unary(op, x, out, n, p1, p2)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info, 0));
  const float* x = arr<float>(info, 1);
  float* y = arr<float>(info, 2);
  const int64_t n = num(info, 3);
  const float p1 = static_cast<float>(dbl(info, 4)), p2 = static_cast<float>(dbl(info, 5));
  switch (op) {
    case 0: runUnary(x, y, n, [](float v) { return vexp(v); }); break;
    case 1: runUnary(x, y, n, [](float v) { return std::log(v); }); break;
    case 2: runUnary(x, y, n, [](float v) { return std::sqrt(v); }); break;
    case 3: runUnary(x, y, n, [](float v) { return 1.f / std::sqrt(v); }); break;
    case 4: runUnary(x, y, n, [](float v) { return v * v; }); break;
    case 5: runUnary(x, y, n, [](float v) { return -v; }); break;
    case 6: runUnary(x, y, n, [](float v) { return v < 0.f ? 0.f : v; }); break;
    case 7: runUnary(x, y, n, [](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); }); break;
    case 8: runUnary(x, y, n, [](float v) { return verf(v); }); break;
    case 9: runUnary(x, y, n, [](float v) { return std::tanh(v); }); break;
    case 10: runUnary(x, y, n, [](float v) { return vsigmoid(v); }); break;
    case 11: runUnary(x, y, n, [](float v) { return std::fabs(v); }); break;
    case 12: runUnary(x, y, n, [](float v) { return 1.f / v; }); break;
    case 13: runUnary(x, y, n, [p1](float v) { return v != v ? v : (v > 0.f ? 1.f : p1); }); break;  // Step
    case 14: runUnary(x, y, n, [](float v) { return v >= 0.f ? v : vexp(v) - 1.f; }); break;        // Elu (as tfjs: exp(x) - 1)
    case 15: runUnary(x, y, n, [p1](float v) { return v < 0.f ? p1 * v : v; }); break;               // LeakyRelu
    case 16: runUnary(x, y, n, [](float v) { return std::sin(v); }); break;
    case 17: runUnary(x, y, n, [](float v) { return std::cos(v); }); break;
    case 18: runUnary(x, y, n, [](float v) { return std::floor(v); }); break;
    case 19: runUnary(x, y, n, [](float v) { return std::ceil(v); }); break;
    case 20: runUnary(x, y, n, [](float v) { return v > 0.f ? 1.f : (v < 0.f ? -1.f : (v == 0.f ? 0.f : v)); }); break;
    case 21: runUnary(x, y, n, [](float v) { return std::log1p(v); }); break;
    case 22: runUnary(x, y, n, [](float v) { return std::expm1(v); }); break;
    case 23: runUnary(x, y, n, [p1, p2](float v) { return v != v ? v : (v < p1 ? p1 : (v > p2 ? p2 : v)); }); break;
    case 24: runUnary(x, y, n, [](float v) { return v > 0.f ? v + std::log1p(vexp(-v)) : std::log1p(vexp(v)); }); break;
    default: throw Napi::Error::New(info.Env(), "unary: unknown op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

// select(cond: Uint8Array, a, b, out, n, inner): out[i] = cond[i / inner] ? a[i] : b[i]; works on 4-byte elements
Napi::Value Select(const Napi::CallbackInfo& info) {
  const uint8_t* c = arr<uint8_t>(info, 0);
  const uint32_t* a = arr<uint32_t>(info, 1);
  const uint32_t* b = arr<uint32_t>(info, 2);
  uint32_t* o = arr<uint32_t>(info, 3);
  const int64_t n = num(info, 4), inner = num(info, 5);
  parallelFor(n, kGrain, [&](int64_t s, int64_t e) {
    if (inner == 1) {
      for (int64_t i = s; i < e; ++i) o[i] = c[i] ? a[i] : b[i];
    } else {
      for (int64_t i = s; i < e; ++i) o[i] = c[i / inner] ? a[i] : b[i];
    }
  });
  return info.Env().Undefined();
}

// addN([arrays], out, n)
Napi::Value AddN(const Napi::CallbackInfo& info) {
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<const float*> xs(list.Length());
  for (uint32_t k = 0; k < list.Length(); ++k) {
    napi_typedarray_type type;
    size_t len, off;
    void* data;
    napi_value ab;
    napi_get_typedarray_info(info.Env(), list.Get(k), &type, &len, &data, &ab, &off);
    xs[k] = static_cast<const float*>(data);
  }
  float* o = arr<float>(info, 1);
  const int64_t n = num(info, 2);
  parallelFor(n, kGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) o[i] = xs[0][i];
    for (size_t k = 1; k < xs.size(); ++k) {
      const float* x = xs[k];
      for (int64_t i = s; i < e; ++i) o[i] += x[i];
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("select", Napi::Function::New(env, Select, "select"));
  exports.Set("addN", Napi::Function::New(env, AddN, "addN"));
}

}  // namespace vs
