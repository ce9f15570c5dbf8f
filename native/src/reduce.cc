// Reductions of x viewed as [outer, R, inner] over the middle axis: sum, mean, max, min, prod, argmax, argmin.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common.h"
#include "fixed_dot.h"
#include "thread_pool.h"

namespace vs {
namespace {

enum { SUM = 0, MEAN = 1, MAX = 2, MIN = 3, PROD = 4, ARGMAX = 5, ARGMIN = 6 };

inline float combine(int op, float a, float b) {
  switch (op) {
    case MAX: return (a != a || b != b) ? NAN : (a > b ? a : b);
    case MIN: return (a != a || b != b) ? NAN : (a < b ? a : b);
    case PROD: return a * b;
    default: return a + b;
  }
}

/** Reduces one contiguous row of length n. */
float reduceRow(int op, const float* x, int64_t n) {
  if (op == SUM || op == MEAN) {
    float acc[16] = {0};
    int64_t r = 0;
    for (; r + 16 <= n; r += 16)
      for (int k = 0; k < 16; ++k) acc[k] += x[r + k];
    float s = 0.f;
    for (int k = 0; k < 16; ++k) s += acc[k];
    for (; r < n; ++r) s += x[r];
    return s;
  }
  float v = x[0];
  for (int64_t r = 1; r < n; ++r) v = combine(op, v, x[r]);
  return v;
}

/** dst[i] = reduce over r in [r0, r1) of x[r * inner + i] for i in [i0, i1). */
void reduceCols(int op, const float* x, int64_t r0, int64_t r1, int64_t inner, int64_t i0, int64_t i1, float* dst) {
  const int64_t w = i1 - i0;
  std::memcpy(dst + i0, x + r0 * inner + i0, sizeof(float) * w);
  for (int64_t r = r0 + 1; r < r1; ++r) {
    const float* row = x + r * inner;
    switch (op) {
      case SUM:
      case MEAN:
        for (int64_t i = i0; i < i1; ++i) dst[i] += row[i];
        break;
      case PROD:
        for (int64_t i = i0; i < i1; ++i) dst[i] *= row[i];
        break;
      default:
        for (int64_t i = i0; i < i1; ++i) dst[i] = combine(op, dst[i], row[i]);
    }
  }
}

// reduce(op, x, out, outer, R, inner); out is Float32Array (Int32Array for argmax/argmin), R > 0
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(num(info, 0));
  const float* x = arr<float>(info, 1);
  const int64_t outer = num(info, 3), R = num(info, 4), inner = num(info, 5);
  if (outer * inner == 0) return info.Env().Undefined();
  if (op == ARGMAX || op == ARGMIN) {
    int32_t* out = arr<int32_t>(info, 2);
    parallelFor(outer * inner, std::max<int64_t>(1, 16384 / R), [&](int64_t s, int64_t e) {
      for (int64_t k = s; k < e; ++k) {
        const int64_t o = k / inner, i = k % inner;
        const float* p = x + o * R * inner + i;
        float best = p[0];
        int32_t bi = 0;
        for (int64_t r = 1; r < R; ++r) {
          const float v = p[r * inner];
          if (op == ARGMAX ? v > best : v < best) {
            best = v;
            bi = static_cast<int32_t>(r);
          }
        }
        out[k] = bi;
      }
    });
    return info.Env().Undefined();
  }
  float* out = arr<float>(info, 2);
  const float scale = op == MEAN ? 1.f / static_cast<float>(R) : 1.f;
  const int threads = poolThreads();
  const int64_t total = outer * R * inner;
  if (inner == 1) {
    if (outer >= threads || total < 32768) {
      parallelFor(outer, std::max<int64_t>(1, 16384 / R), [&](int64_t s, int64_t e) {
        for (int64_t o = s; o < e; ++o) out[o] = reduceRow(op, x + o * R, R) * scale;
      });
    } else {
      for (int64_t o = 0; o < outer; ++o) {
        std::vector<float> part(threads, 0.f);
        std::vector<char> used(threads, 0);
        parallelForChunks(R, 8192, [&](int t, int64_t s, int64_t e) {
          part[t] = reduceRow(op, x + o * R + s, e - s);
          used[t] = 1;
        });
        float v = part[0];
        for (int t = 1; t < threads; ++t)
          if (used[t]) v = combine(op, v, part[t]);
        out[o] = v * scale;
      }
    }
  } else if (outer >= threads || total < 32768) {
    parallelFor(outer, std::max<int64_t>(1, 16384 / (R * inner)), [&](int64_t s, int64_t e) {
      for (int64_t o = s; o < e; ++o) reduceCols(op, x + o * R * inner, 0, R, inner, 0, inner, out + o * inner);
    });
  } else {
    // few outer slices: split the reduced axis, then combine per-thread partial rows
    for (int64_t o = 0; o < outer; ++o) {
      const float* xo = x + o * R * inner;
      float* oo = out + o * inner;
      std::vector<std::vector<float>> part(threads);
      parallelForChunks(R, 8, [&](int t, int64_t s, int64_t e) {
        float* dst = oo;
        if (t != 0) {
          part[t].resize(inner);
          dst = part[t].data();
        }
        reduceCols(op, xo, s, e, inner, 0, inner, dst);
      });
      for (int t = 1; t < threads; ++t)
        if (!part[t].empty())
          for (int64_t i = 0; i < inner; ++i) oo[i] = combine(op, oo[i], part[t][i]);
    }
  }
  if (op == MEAN)
    for (int64_t k = 0, n = outer * inner; k < n && inner != 1; ++k) out[k] *= scale;
  return info.Env().Undefined();
}

// sumOfSquares(arrays): Σ x² over every entry of the Float32Arrays, in float64 (the global gradient norm). Each array
// is cut into fixed chunks summed on any thread, and the chunks are added in order: the same bits on any thread count.
Napi::Value SumOfSquares(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "sumOfSquares: expected an array of Float32Arrays");
  Napi::Array list = info[0].As<Napi::Array>();
  constexpr int64_t kChunk = 1 << 16;
  struct Piece { const float* p; int64_t n; };
  std::vector<Piece> pieces;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "sumOfSquares: expected an array of Float32Arrays");
    Napi::Float32Array a = v.As<Napi::Float32Array>();
    const float* p = a.Data();
    const int64_t n = static_cast<int64_t>(a.ElementLength());
    for (int64_t o = 0; o < n; o += kChunk) pieces.push_back({p + o, std::min(kChunk, n - o)});
  }
  std::vector<double> partial(pieces.size(), 0.0);
  parallelFor(static_cast<int64_t>(pieces.size()), 4, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) partial[k] = fixedOrderDot(pieces[k].p, pieces[k].p, 0, pieces[k].n);
  });
  double total = 0;
  for (double x : partial) total += x;
  return Napi::Number::New(env, total);
}

}  // namespace

void registerReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("sumOfSquares", Napi::Function::New(env, SumOfSquares, "sumOfSquares"));
}

}  // namespace vs
