// NHWC 2-D convolution and its two gradients as im2col / col2im + sgemm, chunked and threaded.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "blas.h"
#include "common.h"
#include "conv_geom.h"
#include "cpu.h"
#include "thread_pool.h"

namespace vs {
namespace {

ConvGeom geom(const Napi::CallbackInfo& info, size_t i) {
  auto p = ints(info, i);
  if (p.size() != 15) throw Napi::Error::New(info.Env(), "conv geometry: expected 15 integers");
  return {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
}

/** Writes rows [r0, r1) of the im2col matrix (rows x kdim) into col. */
void im2col(const ConvGeom& g, const float* x, int64_t r0, int64_t r1, float* col) {
  const int64_t K = g.kdim(), rowLen = g.fw * g.C;
  PixelIter p(g, r0);
  for (int64_t r = r0; r < r1; ++r, p.next()) {
    float* dst = col + (r - r0) * K;
    const int64_t ix0 = p.ox * g.sW - g.padL;
    // all taps of a filter row inside the image and adjacent: one contiguous copy per filter row
    const bool contiguous = g.dW == 1 && ix0 >= 0 && ix0 + g.fw <= g.W;
    for (int64_t ky = 0; ky < g.fh; ++ky, dst += rowLen) {
      const int64_t iy = p.oy * g.sH - g.padT + ky * g.dH;
      if (iy < 0 || iy >= g.H) {
        std::memset(dst, 0, sizeof(float) * rowLen);
        continue;
      }
      const float* rowp = x + ((p.n * g.H + iy) * g.W) * g.C;
      if (contiguous) {
        std::memcpy(dst, rowp + ix0 * g.C, sizeof(float) * rowLen);
        continue;
      }
      for (int64_t kx = 0; kx < g.fw; ++kx) {
        const int64_t ix = ix0 + kx * g.dW;
        if (ix < 0 || ix >= g.W)
          std::memset(dst + kx * g.C, 0, sizeof(float) * g.C);
        else
          std::memcpy(dst + kx * g.C, rowp + ix * g.C, sizeof(float) * g.C);
      }
    }
  }
}

/** Adds rows [r0, r1) of a column matrix back into the image x (x must be zeroed by the caller). */
void col2im(const ConvGeom& g, const float* col, int64_t r0, int64_t r1, float* x) {
  const int64_t K = g.kdim(), rowLen = g.fw * g.C;
  PixelIter p(g, r0);
  for (int64_t r = r0; r < r1; ++r, p.next()) {
    const float* src = col + (r - r0) * K;
    const int64_t ix0 = p.ox * g.sW - g.padL;
    const bool contiguous = g.dW == 1 && ix0 >= 0 && ix0 + g.fw <= g.W;
    for (int64_t ky = 0; ky < g.fh; ++ky, src += rowLen) {
      const int64_t iy = p.oy * g.sH - g.padT + ky * g.dH;
      if (iy < 0 || iy >= g.H) continue;
      float* rowp = x + ((p.n * g.H + iy) * g.W) * g.C;
      if (contiguous) {
        float* __restrict d = rowp + ix0 * g.C;
        const float* __restrict s = src;
        for (int64_t i = 0; i < rowLen; ++i) d[i] += s[i];
        continue;
      }
      for (int64_t kx = 0; kx < g.fw; ++kx) {
        const int64_t ix = ix0 + kx * g.dW;
        if (ix < 0 || ix >= g.W) continue;
        float* __restrict d = rowp + ix * g.C;
        const float* __restrict s = src + kx * g.C;
        for (int64_t c = 0; c < g.C; ++c) d[c] += s[c];
      }
    }
  }
}

/** Rows per im2col chunk: about 1 MiB of column buffer, at least 32 rows. */
int64_t chunkFloats() {
  static const int64_t v = [] {
    const char* e = std::getenv("VITSCOPE_CONV_CHUNK");
    return e ? std::atoll(e) : int64_t(128 * 1024);  // floats per im2col chunk (measured: 128K best, flat)
  }();
  return v;
}
int64_t chunkRows(const ConvGeom& g) { return std::max<int64_t>(32, chunkFloats() / std::max<int64_t>(1, g.kdim())); }

thread_local std::vector<float> scratch;
float* scratchFor(int64_t n) {
  if (static_cast<int64_t>(scratch.size()) < n) scratch.resize(n);
  return scratch.data();
}

/** Rows r0..r1 of im2col(x) as a [rows, K] matrix: x itself for 1x1 stride-1 convs, else this thread's scratch. */
const float* im2colRows(const ConvGeom& g, const float* x, int64_t r0, int64_t r1, int64_t K) {
  if (g.pointwise()) return x + r0 * K;
  float* col = scratchFor((r1 - r0) * K);
  im2col(g, x, r0, r1, col);
  return col;
}


// Direct kernels (conv_direct_impl.h) for the instruction set cpuLevel() names; VITSCOPE_CONV_DIRECT=0 turns them off.
bool directEnabled() {
  static const bool v = [] {
    const char* e = std::getenv("VITSCOPE_CONV_DIRECT");
    return !(e && e[0] == '0');
  }();
  return v;
}

bool convForwardDirect(const ConvGeom& g, const float* x, const float* w, float* out, const float* bias,
                       int64_t biasSize, int act, float alpha) {
  if (!directEnabled()) return false;
  switch (cpuLevel()) {
    case CPU_AVX512: return avx512::convForwardDirect(g, x, w, out, bias, biasSize, act, alpha);
    case CPU_AVX2: return avx2::convForwardDirect(g, x, w, out, bias, biasSize, act, alpha);
    default: return false;
  }
}

bool convFilterDirect(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  if (!directEnabled()) return false;
  switch (cpuLevel()) {
    case CPU_AVX512: return avx512::convFilterDirect(g, x, dy, dw);
    case CPU_AVX2: return avx2::convFilterDirect(g, x, dy, dw);
    default: return false;
  }
}

/** out[R, Cout] = im2col(x) * w (+ bias, activation), chunked over output rows and threaded. */
void convForward(const ConvGeom& g, const float* x, const float* w, float* out, const float* bias, int64_t biasSize,
                 int act, float alpha) {
  const int64_t R = g.rows(), K = g.kdim(), Co = g.Cout;
  if (R == 0 || Co == 0) return;
  const bool post = bias != nullptr || act != ACT_LINEAR;
  if (K == 0) {
    std::memset(out, 0, sizeof(float) * R * Co);
    if (post) applyBiasActivation(out, R, Co, Co, bias, biasSize, act, alpha);
    return;
  }
  if (!g.pointwise() && convForwardDirect(g, x, w, out, bias, biasSize, act, alpha)) return;
  const int64_t chunk = g.pointwise() ? 256 : chunkRows(g);
  const int64_t nChunks = (R + chunk - 1) / chunk;
  parallelFor(nChunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t r0 = c * chunk, r1 = std::min(R, r0 + chunk), rows = r1 - r0;
      const float* A = im2colRows(g, x, r0, r1, K);
      vsSgemm(false, false, static_cast<int>(rows), static_cast<int>(Co), static_cast<int>(K), 1.f, A,
              static_cast<int>(K), w, static_cast<int>(Co), 0.f, out + r0 * Co, static_cast<int>(Co));
      if (post) applyBiasActivation(out + r0 * Co, rows, Co, Co, bias, biasSize, act, alpha);
    }
  });
}

// conv2d(x, w, out, geom[15], bias|null, biasSize, act, alpha)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  convForward(geom(info, 3), arr<float>(info, 0), arr<float>(info, 1), arr<float>(info, 2), arr<float>(info, 4),
              num(info, 5), static_cast<int>(num(info, 6)), static_cast<float>(dbl(info, 7)));
  return info.Env().Undefined();
}

// conv2dBackpropInput(dy, w, dx, geom[15]) — geom describes the forward conv (x = dx's shape).
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  const float* dy = arr<float>(info, 0);
  const float* w = arr<float>(info, 1);
  float* dx = arr<float>(info, 2);
  const ConvGeom g = geom(info, 3);
  const int64_t K = g.kdim(), Co = g.Cout, imgRows = g.oH * g.oW, imgSize = g.H * g.W * g.C;
  if (g.N * imgSize == 0) return info.Env().Undefined();
  if (Co == 0 || imgRows == 0) {
    std::memset(dx, 0, sizeof(float) * g.N * imgSize);
    return info.Env().Undefined();
  }
  if (g.pointwise()) {
    // dx[R, C] = dy[R, Co] * w[C, Co]^T
    const int64_t R = g.rows(), chunk = 256, nChunks = (R + chunk - 1) / chunk;
    parallelFor(nChunks, 1, [&](int64_t c0, int64_t c1) {
      const int64_t r0 = c0 * chunk, r1 = std::min(R, c1 * chunk);
      vsSgemm(false, true, static_cast<int>(r1 - r0), static_cast<int>(g.C), static_cast<int>(Co), 1.f, dy + r0 * Co,
              static_cast<int>(Co), w, static_cast<int>(Co), 0.f, dx + r0 * g.C, static_cast<int>(g.C));
    });
    return info.Env().Undefined();
  }
  if (g.sH == 1 && g.sW == 1 && g.dH == 1 && g.dW == 1 && g.padT <= g.fh - 1 && g.padL <= g.fw - 1) {
    // stride 1: dx is the forward convolution of dy with the spatially flipped, in/out-swapped filter, padded by
    // (f - 1 - pad): im2col + sgemm as the forward pass, no scatter-add
    // per tap, the [C, Co] block transposed into the flipped tap's [Co, C] block, in 8 x 8 tiles: element by element
    // every write missed the cache (ResNet-50's [3,3,512,512] filter: ~20 ms of a 28 ms backward pass), and with
    // 32 x 32 tiles the 2 KB stride between rows still thrashed L1's sets (3.6 ms against 1.8 ms)
    // kept between calls: a fresh 9 MB vector each call cost more in page faults than the transpose itself
    static thread_local std::vector<float> wf;
    if (wf.size() < static_cast<size_t>(K * Co)) wf.resize(static_cast<size_t>(K * Co));
    float* const flipped = wf.data();  // the calling thread's buffer: the workers' thread_local would be their own
    const int64_t taps = g.fh * g.fw, C = g.C;
    parallelFor(taps, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t tap = t0; tap < t1; ++tap) {
        const float* src = w + tap * C * Co;
        float* dst = flipped + (taps - 1 - tap) * Co * C;
        constexpr int64_t B = 8;
        for (int64_t c0 = 0; c0 < C; c0 += B)
          for (int64_t o0 = 0; o0 < Co; o0 += B) {
            const int64_t c1 = std::min(C, c0 + B), o1 = std::min(Co, o0 + B);
            for (int64_t ci = c0; ci < c1; ++ci)
              for (int64_t co = o0; co < o1; ++co) dst[co * C + ci] = src[ci * Co + co];
          }
      }
    });
    const ConvGeom t{g.N, g.oH, g.oW, Co, g.fh, g.fw, g.C, g.H, g.W, 1, 1, 1, 1, g.fh - 1 - g.padT, g.fw - 1 - g.padL};
    convForward(t, dy, flipped, dx, nullptr, 0, ACT_LINEAR, 0.f);
    return info.Env().Undefined();
  }
  // Each chunk of output rows lies within one image, so images can be processed by different threads.
  const int64_t chunk = std::min(imgRows, chunkRows(g));
  const int64_t chunksPerImg = (imgRows + chunk - 1) / chunk;
  parallelFor(g.N, 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      std::memset(dx + n * imgSize, 0, sizeof(float) * imgSize);
      for (int64_t c = 0; c < chunksPerImg; ++c) {
        const int64_t r0 = n * imgRows + c * chunk, r1 = std::min((n + 1) * imgRows, r0 + chunk), rows = r1 - r0;
        float* col = scratchFor(rows * K);
        // col[rows, K] = dy[rows, Co] * w[K, Co]^T
        vsSgemm(false, true, static_cast<int>(rows), static_cast<int>(K), static_cast<int>(Co), 1.f, dy + r0 * Co,
                static_cast<int>(Co), w, static_cast<int>(Co), 0.f, col, static_cast<int>(K));
        col2im(g, col, r0, r1, dx);
      }
    }
  });
  return info.Env().Undefined();
}

// conv2dBackpropFilter(x, dy, dw, geom[15]): dw[K, Co] = im2col(x)^T dy
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  float* dw = arr<float>(info, 2);
  const ConvGeom g = geom(info, 3);
  const int64_t K = g.kdim(), Co = g.Cout, R = g.rows();
  if (K * Co == 0) return info.Env().Undefined();
  std::memset(dw, 0, sizeof(float) * K * Co);
  if (R == 0) return info.Env().Undefined();
  if (!g.pointwise() && convFilterDirect(g, x, dy, dw)) return info.Env().Undefined();
  const int threads = poolThreads();
  std::vector<std::vector<float>> partial(threads);
  const int64_t chunk = g.pointwise() ? 1024 : chunkRows(g);
  const int64_t grain = std::max<int64_t>(chunk, 4096);
  parallelForChunks(R, grain, [&](int t, int64_t rb, int64_t re) {
    float* acc = dw;
    if (t != 0) {
      partial[t].assign(K * Co, 0.f);
      acc = partial[t].data();
    }
    for (int64_t r0 = rb; r0 < re; r0 += chunk) {
      const int64_t r1 = std::min(re, r0 + chunk), rows = r1 - r0;
      const float* A = im2colRows(g, x, r0, r1, K);
      vsSgemm(true, false, static_cast<int>(K), static_cast<int>(Co), static_cast<int>(rows), 1.f, A,
              static_cast<int>(K), dy + r0 * Co, static_cast<int>(Co), 1.f, acc, static_cast<int>(Co));
    }
  });
  for (int t = 1; t < threads; ++t)
    if (!partial[t].empty())
      for (int64_t i = 0; i < K * Co; ++i) dw[i] += partial[t][i];
  return info.Env().Undefined();
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2d, "conv2d"));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2dBackpropInput, "conv2dBackpropInput"));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2dBackpropFilter, "conv2dBackpropFilter"));
}

}  // namespace vs
