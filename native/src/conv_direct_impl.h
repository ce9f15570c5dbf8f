// Direct ("indirect-GEMM") convolution kernels for output channel counts that are multiples of the vector width:
// no im2col buffer; each block of MR output pixels keeps an MR x (W NV) tile of the output in registers and walks the
// filter taps through per-pixel input pointers (a zero row stands in for padding). Shapes with few channels
// (ResNet-20's 16/32/64) run far below peak through im2col + sgemm because the N = C_out side of the sgemm is so
// narrow. Written once over `Vec` (simd.h); included by conv_direct_avx512.cc and conv_direct_avx2.cc inside their
// target regions and namespaces.

namespace {

thread_local std::vector<float> zeroRow;
const float* zerosFor(int64_t n) {
  if (static_cast<int64_t>(zeroRow.size()) < n) zeroRow.assign(n, 0.f);
  return zeroRow.data();
}

constexpr int W = Vec::W;
using VT = Vec::T;

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
  for (int64_t co0 = 0; co0 < Co; co0 += W * NV) {
    VT acc[MR][NV];
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = Vec::zero();
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
          VT b[NV];
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) b[j] = Vec::load(wt + W * j);
#pragma GCC unroll 32
          for (int i = 0; i < MR; ++i) {
            const VT a = Vec::set1(ptr[i][c]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) acc[i][j] = Vec::fma(a, b[j], acc[i][j]);
          }
        }
      }
    }
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
      if (i < rows)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) Vec::store(out + (r0 + i) * Co + co0 + W * j, acc[i][j]);
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

/** acc[MR channels from c0][W NV outputs from co0] += sum over rows of x(row, tap)[c0 + i] * dy[row][co0 + ...]. */
template <int MR, int NV>
void filtTile(const ConvGeom& g, const float* x, const int64_t* off, int64_t rows, const float* dyRows, int64_t c0,
              int64_t co0, float* dwRow) {
  const int64_t Co = g.Cout;
  VT acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = Vec::load(dwRow + i * Co + co0 + W * j);
  for (int64_t r = 0; r < rows; ++r) {
    if (off[r] < 0) continue;
    const float* xp = x + off[r] + c0;
    const float* d = dyRows + r * Co + co0;
    VT b[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) b[j] = Vec::load(d + W * j);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const VT a = Vec::set1(xp[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = Vec::fma(a, b[j], acc[i][j]);
    }
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) Vec::store(dwRow + i * Co + co0 + W * j, acc[i][j]);
}

template <int NV>
void filtTiles(const ConvGeom& g, const float* x, const int64_t* off, int64_t rows, const float* dyRows, float* tapDw) {
  // as many accumulator rows as the register file holds beside NV + 1 operands (32 zmm / 16 ymm registers)
  constexpr int MRmax = W == 16 ? (NV == 1 ? 16 : NV == 2 ? 8 : 4) : (NV == 1 ? 8 : 4);
  const int64_t C = g.C, Co = g.Cout;
  for (int64_t co0 = 0; co0 < Co; co0 += W * NV) {
    int64_t c0 = 0;
    for (; c0 + MRmax <= C; c0 += MRmax) filtTile<MRmax, NV>(g, x, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    if (MRmax > 8) for (; c0 + 8 <= C; c0 += 8) filtTile<8, NV>(g, x, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    if (MRmax > 4) for (; c0 + 4 <= C; c0 += 4) filtTile<4, NV>(g, x, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    for (; c0 + 2 <= C; c0 += 2) filtTile<2, NV>(g, x, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
    for (; c0 < C; ++c0) filtTile<1, NV>(g, x, off, rows, dyRows, c0, co0, tapDw + c0 * Co);
  }
}

}  // namespace

bool convForwardDirect(const ConvGeom& g, const float* x, const float* w, float* out, const float* bias,
                       int64_t biasSize, int act, float alpha) {
  if (g.Cout % 16 != 0 || g.Cout > 4096) return false;
  if (W == 16) {
    if (g.Cout % 64 == 0) fwdDirect<6, 4>(g, x, w, out, bias, biasSize, act, alpha);
    else if (g.Cout % 32 == 0) fwdDirect<12, 2>(g, x, w, out, bias, biasSize, act, alpha);
    else fwdDirect<24, 1>(g, x, w, out, bias, biasSize, act, alpha);
  } else {
    // 16 ymm registers: 6 x 2 accumulators + 2 filter vectors + 1 broadcast
    fwdDirect<6, 2>(g, x, w, out, bias, biasSize, act, alpha);
  }
  return true;
}

/** dw[K, Co] (zeroed) += im2col(x)^T dy without the column matrix; rows split over threads with private partials. */
bool convFilterDirect(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  // few input channels (an RGB stem): the per-row tiles get too thin; im2col + sgemm does better
  if (g.Cout % 16 != 0 || g.Cout > 4096 || g.C < 8) return false;
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
          if (Co % (2 * W) == 0) filtTiles<2>(g, x, off, rows, dyRows, tapDw);
          else filtTiles<1>(g, x, off, rows, dyRows, tapDw);
        }
    }
  });
  for (int t = 1; t < threads; ++t)
    if (!partial[t].empty())
      for (int64_t i = 0; i < K * Co; ++i) dw[i] += partial[t][i];
  return true;
}
