// NHWC 2-D convolution and its two gradients as im2col / col2im + sgemm, chunked and threaded.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "blas.h"
#include "common.h"
#include "thread_pool.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace vs {
namespace {

struct ConvGeom {
  int64_t N, H, W, C, fh, fw, Cout, oH, oW, sH, sW, dH, dW, padT, padL;
  int64_t kdim() const { return fh * fw * C; }
  int64_t rows() const { return N * oH * oW; }
  bool pointwise() const { return fh == 1 && fw == 1 && sH == 1 && sW == 1 && padT == 0 && padL == 0 && oH == H && oW == W; }
};

ConvGeom geom(const Napi::CallbackInfo& info, size_t i) {
  auto p = ints(info, i);
  if (p.size() != 15) throw Napi::Error::New(info.Env(), "conv geometry: expected 15 integers");
  return {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
}

/** Walks output pixels r0, r0 + 1, ... as (n, oy, ox) without divisions in the loop. */
struct PixelIter {
  int64_t n, oy, ox;
  const ConvGeom& g;
  PixelIter(const ConvGeom& geom, int64_t r) : g(geom) {
    n = r / (g.oH * g.oW);
    const int64_t rem = r % (g.oH * g.oW);
    oy = rem / g.oW;
    ox = rem % g.oW;
  }
  void next() {
    if (++ox == g.oW) {
      ox = 0;
      if (++oy == g.oH) {
        oy = 0;
        ++n;
      }
    }
  }
};

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


#ifdef __AVX512F__
// Direct ("indirect-GEMM") kernels for output channel counts that are multiples of 16: no im2col buffer; each block of
// MR output pixels keeps an MR x (16 NV) tile of the output in registers and walks the filter taps through per-pixel
// input pointers (a zero row stands in for padding). Shapes with few channels (ResNet-20's 16/32/64) run far below
// peak through im2col + sgemm because the N = C_out side of the sgemm is so narrow.
bool directEnabled() {
  static const bool v = [] {
    const char* e = std::getenv("VITSCOPE_CONV_DIRECT");
    return !(e && e[0] == '0');
  }();
  return v;
}

thread_local std::vector<float> zeroRow;
const float* zerosFor(int64_t n) {
  if (static_cast<int64_t>(zeroRow.size()) < n) zeroRow.assign(n, 0.f);
  return zeroRow.data();
}

template <int MR, int NV>
void fwdBlock(const ConvGeom& g, const float* x, const float* w, const float* zeros, int64_t r0, int rows, float* out) {
  int64_t base[MR], iy0[MR], ix0[MR];
  PixelIter p(g, r0);
  for (int i = 0; i < MR; ++i) {
    if (i < rows) {
      base[i] = p.n * g.H * g.W * g.C;
      iy0[i] = p.oy * g.sH - g.padT;
      ix0[i] = p.ox * g.sW - g.padL;
      p.next();
    } else {
      base[i] = base[i - 1], iy0[i] = iy0[i - 1], ix0[i] = ix0[i - 1];
    }
  }
  const int64_t Co = g.Cout, C = g.C;
  for (int64_t co0 = 0; co0 < Co; co0 += 16 * NV) {
    __m512 acc[MR][NV];
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_ps();
    for (int64_t ky = 0; ky < g.fh; ++ky) {
      for (int64_t kx = 0; kx < g.fw; ++kx) {
        const float* ptr[MR];
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i) {
          const int64_t iy = iy0[i] + ky * g.dH, ix = ix0[i] + kx * g.dW;
          ptr[i] = (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) ? x + base[i] + (iy * g.W + ix) * C : zeros;
        }
        const float* wt = w + (ky * g.fw + kx) * C * Co + co0;
        for (int64_t c = 0; c < C; ++c, wt += Co) {
          __m512 b[NV];
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) b[j] = _mm512_loadu_ps(wt + 16 * j);
#pragma GCC unroll 32
          for (int i = 0; i < MR; ++i) {
            const __m512 a = _mm512_set1_ps(ptr[i][c]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
          }
        }
      }
    }
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
      if (i < rows)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) _mm512_storeu_ps(out + (r0 + i) * Co + co0 + 16 * j, acc[i][j]);
  }
}

template <int MR, int NV>
void fwdDirect(const ConvGeom& g, const float* x, const float* w, float* out, const float* bias, int64_t biasSize,
               int act, float alpha) {
  const int64_t R = g.rows(), Co = g.Cout;
  const int64_t nBlocks = (R + MR - 1) / MR;
  const bool post = bias != nullptr || act != ACT_LINEAR;
  parallelFor(nBlocks, 8, [&](int64_t b0, int64_t b1) {
    const float* zeros = zerosFor(g.C);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * MR;
      const int rows = static_cast<int>(std::min<int64_t>(MR, R - r0));
      fwdBlock<MR, NV>(g, x, w, zeros, r0, rows, out);
      if (post) applyBiasActivation(out + r0 * Co, rows, Co, Co, bias, biasSize, act, alpha);
    }
  });
}

bool convForwardDirect(const ConvGeom& g, const float* x, const float* w, float* out, const float* bias,
                       int64_t biasSize, int act, float alpha) {
  if (!directEnabled() || g.Cout % 16 != 0 || g.Cout > 4096) return false;
  if (g.Cout % 64 == 0) fwdDirect<6, 4>(g, x, w, out, bias, biasSize, act, alpha);
  else if (g.Cout % 32 == 0) fwdDirect<12, 2>(g, x, w, out, bias, biasSize, act, alpha);
  else fwdDirect<24, 1>(g, x, w, out, bias, biasSize, act, alpha);
  return true;
}

/** acc[MR channels from c0][16 NV outputs from co0] += sum over rows of x(row, tap)[c0 + i] * dy[row][co0 + ...]. */
template <int MR, int NV>
void filtTile(const ConvGeom& g, const float* x, const float* dy, const int64_t* off, int64_t rows, const float* dyRows,
              int64_t c0, int64_t co0, float* dwRow) {
  const int64_t Co = g.Cout;
  __m512 acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_loadu_ps(dwRow + i * Co + co0 + 16 * j);
  for (int64_t r = 0; r < rows; ++r) {
    if (off[r] < 0) continue;
    const float* xp = x + off[r] + c0;
    const float* d = dyRows + r * Co + co0;
    __m512 b[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) b[j] = _mm512_loadu_ps(d + 16 * j);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(xp[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
    }
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) _mm512_storeu_ps(dwRow + i * Co + co0 + 16 * j, acc[i][j]);
  (void)dy;
}

template <int NV>
void filtTiles(const ConvGeom& g, const float* x, const int64_t* off, int64_t rows, const float* dyRows, float* tapDw) {
  constexpr int MRmax = NV == 1 ? 16 : NV == 2 ? 8 : 4;
  const int64_t C = g.C, Co = g.Cout;
  for (int64_t co0 = 0; co0 < Co; co0 += 16 * NV) {
    int64_t c0 = 0;
    for (; c0 + MRmax <= C; c0 += MRmax) filtTile<MRmax, NV>(g, x, nullptr, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    if (MRmax > 8) for (; c0 + 8 <= C; c0 += 8) filtTile<8, NV>(g, x, nullptr, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    if (MRmax > 4) for (; c0 + 4 <= C; c0 += 4) filtTile<4, NV>(g, x, nullptr, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    for (; c0 + 2 <= C; c0 += 2) filtTile<2, NV>(g, x, nullptr, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    for (; c0 < C; ++c0) filtTile<1, NV>(g, x, nullptr, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
  }
}

/** dw[K, Co] (zeroed) += im2col(x)^T dy without the column matrix; rows split over threads with private partials. */
bool convFilterDirect(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  // few input channels (an RGB stem): the per-row tiles get too thin; im2col + sgemm does better
  if (!directEnabled() || g.Cout % 16 != 0 || g.Cout > 4096 || g.C < 8) return false;
  const int64_t K = g.kdim(), Co = g.Cout, R = g.rows(), C = g.C;
  const int threads = poolThreads();
  std::vector<std::vector<float>> partial(threads);
  constexpr int64_t chunk = 128;
  parallelForChunks(R, 1024, [&](int t, int64_t rb, int64_t re) {
    float* acc = dw;
    if (t != 0) {
      partial[t].assign(K * Co, 0.f);
      acc = partial[t].data();
    }
    int64_t off[chunk], iy0[chunk], ix0[chunk], base[chunk];
    for (int64_t r0 = rb; r0 < re; r0 += chunk) {
      const int64_t rows = std::min(re, r0 + chunk) - r0;
      PixelIter p(g, r0);
      for (int64_t r = 0; r < rows; ++r, p.next()) {
        base[r] = p.n * g.H * g.W * C;
        iy0[r] = p.oy * g.sH - g.padT;
        ix0[r] = p.ox * g.sW - g.padL;
      }
      const float* dyRows = dy + r0 * Co;
      for (int64_t ky = 0; ky < g.fh; ++ky)
        for (int64_t kx = 0; kx < g.fw; ++kx) {
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t iy = iy0[r] + ky * g.dH, ix = ix0[r] + kx * g.dW;
            off[r] = (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) ? base[r] + (iy * g.W + ix) * C : -1;
          }
          float* tapDw = acc + (ky * g.fw + kx) * C * Co;
          if (Co % 32 == 0) filtTiles<2>(g, x, off, rows, dyRows, tapDw);
          else filtTiles<1>(g, x, off, rows, dyRows, tapDw);
        }
    }
  });
  for (int t = 1; t < threads; ++t)
    if (!partial[t].empty())
      for (int64_t i = 0; i < K * Co; ++i) dw[i] += partial[t][i];
  return true;
}
#else
bool convForwardDirect(const ConvGeom&, const float*, const float*, float*, const float*, int64_t, int, float) {
  return false;
}
bool convFilterDirect(const ConvGeom&, const float*, const float*, float*) { return false; }
#endif

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
    std::vector<float> wf(static_cast<size_t>(K) * Co);
    for (int64_t ky = 0; ky < g.fh; ++ky)
      for (int64_t kx = 0; kx < g.fw; ++kx)
        for (int64_t ci = 0; ci < g.C; ++ci)
          for (int64_t co = 0; co < Co; ++co)
            wf[(((g.fh - 1 - ky) * g.fw + (g.fw - 1 - kx)) * Co + co) * g.C + ci] = w[((ky * g.fw + kx) * g.C + ci) * Co + co];
    const ConvGeom t{g.N, g.oH, g.oW, Co, g.fh, g.fw, g.C, g.H, g.W, 1, 1, 1, 1, g.fh - 1 - g.padT, g.fw - 1 - g.padL};
    convForward(t, dy, wf.data(), dx, nullptr, 0, ACT_LINEAR, 0.f);
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
