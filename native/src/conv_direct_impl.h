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

/**
 * Where the receptive fields of output pixels r0, r0 + 1, ... start: the image's offset and the top-left tap
 * (negative inside the padding). Entries from `rows` up to `n` repeat the last pixel, so a fixed-size register
 * block can run over a short final block harmlessly.
 */
inline void pixelOrigins(const ConvGeom& g, int64_t r0, int64_t rows, int64_t n, int64_t* base, int64_t* iy0, int64_t* ix0) {
  PixelIter p(g, r0);
  for (int64_t i = 0; i < n; ++i) {
    if (i < rows) {
      base[i] = p.n * g.H * g.W * g.C;
      iy0[i] = p.oy * g.sH - g.padT;
      ix0[i] = p.ox * g.sW - g.padL;
      p.next();
    } else {
      base[i] = base[i - 1], iy0[i] = iy0[i - 1], ix0[i] = ix0[i - 1];
    }
  }
}

using VT = Vec::T;

/** VITSCOPE_CONV_PAIR=0 turns off the channel-pair kernel for C_out = 16 (to compare it with the plain one). */
bool pairKernelEnabled() {
  static const bool v = [] {
    const char* e = std::getenv("VITSCOPE_CONV_PAIR");
    return !(e && e[0] == '0');
  }();
  return v;
}

template <int MR, int NV>
void fwdBlock(const ConvGeom& g, const float* x, const float* w, const float* zeros, int64_t r0, int rows, float* out) {
  int64_t base[MR], iy0[MR], ix0[MR];
  pixelOrigins(g, r0, rows, MR, base, iy0, ix0);
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
        fmaRowTile<MR, NV>(acc, ptr, 1, w + (ky * g.fw + kx) * C * Co + co0, Co, C);
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

#ifdef VS_SIMD_AVX512
// C_out = 16 (ResNet-20's first stage): one 16-wide vector of outputs per pixel leaves one broadcast per FMA, which
// bounds the plain kernel at half the FMA rate. Here each broadcast carries a channel pair (x_c, x_c+1) repeated, the
// filter is interleaved to match (lane 2k + j: w[c + j][k], outputs 0-7 in one vector and 8-15 in another), so one
// broadcast feeds two FMAs; adjacent lanes are summed once per tile at the end.

/** w[taps][C][16] -> [taps][C/2][2 halves][8 outputs x 2 channels interleaved]. */
std::vector<float> interleavePairs16(const ConvGeom& g, const float* w) {
  const int64_t taps = g.fh * g.fw, C = g.C;
  std::vector<float> wp(static_cast<size_t>(taps * C * 16));
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t cp = 0; cp < C / 2; ++cp)
      for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 8; ++k)
          for (int j = 0; j < 2; ++j)
            wp[((t * (C / 2) + cp) * 2 + h) * 16 + 2 * k + j] = w[(t * C + 2 * cp + j) * 16 + h * 8 + k];
  return wp;
}

template <int MR>
void fwdBlockPair16(const ConvGeom& g, const float* x, const float* wp, const float* zeros, int64_t r0, int rows,
                    float* out) {
  int64_t base[MR], iy0[MR], ix0[MR];
  pixelOrigins(g, r0, rows, MR, base, iy0, ix0);
  const int64_t C = g.C;
  __m512 acc[MR][2];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t ky = 0; ky < g.fh; ++ky) {
    for (int64_t kx = 0; kx < g.fw; ++kx) {
      const float* ptr[MR];
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i) {
        const int64_t iy = iy0[i] + ky * g.dH, ix = ix0[i] + kx * g.dW;
        ptr[i] = (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) ? x + base[i] + (iy * g.W + ix) * C : zeros;
      }
      const float* wt = wp + (ky * g.fw + kx) * C * 16;
      for (int64_t c = 0; c < C; c += 2, wt += 32) {
        const __m512 b0 = _mm512_loadu_ps(wt), b1 = _mm512_loadu_ps(wt + 16);
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i) {
          double pair;
          std::memcpy(&pair, ptr[i] + c, sizeof(pair));
          const __m512 a = _mm512_castpd_ps(_mm512_set1_pd(pair));
          acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
        }
      }
    }
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    if (i >= rows) break;
    const __m512 s0 = _mm512_add_ps(acc[i][0], _mm512_permute_ps(acc[i][0], 0xB1));
    const __m512 s1 = _mm512_add_ps(acc[i][1], _mm512_permute_ps(acc[i][1], 0xB1));
    _mm512_storeu_ps(out + (r0 + i) * 16, _mm512_permutex2var_ps(s0, even, s1));
  }
}

template <int MR>
void fwdDirectPair16(const ConvGeom& g, const float* x, const float* w, float* out, const float* bias,
                     int64_t biasSize, int act, float alpha) {
  const std::vector<float> wp = interleavePairs16(g, w);
  const int64_t R = g.rows();
  const int64_t nBlocks = (R + MR - 1) / MR;
  const bool post = bias != nullptr || act != ACT_LINEAR;
  parallelFor(nBlocks, 8, [&](int64_t b0, int64_t b1) {
    const float* zeros = zerosFor(g.C);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * MR;
      const int rows = static_cast<int>(std::min<int64_t>(MR, R - r0));
      fwdBlockPair16<MR>(g, x, wp.data(), zeros, r0, rows, out);
      if (post) applyBiasActivation(out + r0 * 16, rows, 16, 16, bias, biasSize, act, alpha);
    }
  });
}
#endif

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

#ifdef VS_SIMD_AVX512
/**
 * filtTile for C_out = 16 and 16 channels from c0, two FMAs per broadcast (see fwdBlockPair16): each broadcast carries
 * the channel pair (x_c, x_c+1), dy is duplicated lane-wise ([dy_0, dy_0, dy_1, dy_1, ...], outputs 0-7 and 8-15), and
 * the pair is split back into two rows of dw at the end.
 */
void filtTilePair16(const float* x, const int64_t* off, int64_t rows, const float* dyRows, int64_t c0, float* dwRow) {
  const __m512i dupLo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i dupHi = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
  __m512 acc[8][2];
#pragma GCC unroll 8
  for (int p = 0; p < 8; ++p) acc[p][0] = acc[p][1] = _mm512_setzero_ps();
  for (int64_t r = 0; r < rows; ++r) {
    if (off[r] < 0) continue;
    const float* xp = x + off[r] + c0;
    const __m512 d = _mm512_loadu_ps(dyRows + r * 16);
    const __m512 d0 = _mm512_permutexvar_ps(dupLo, d), d1 = _mm512_permutexvar_ps(dupHi, d);
#pragma GCC unroll 8
    for (int p = 0; p < 8; ++p) {
      double pair;
      std::memcpy(&pair, xp + 2 * p, sizeof(pair));
      const __m512 a = _mm512_castpd_ps(_mm512_set1_pd(pair));
      acc[p][0] = _mm512_fmadd_ps(a, d0, acc[p][0]);
      acc[p][1] = _mm512_fmadd_ps(a, d1, acc[p][1]);
    }
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
#pragma GCC unroll 8
  for (int p = 0; p < 8; ++p) {
    float* row0 = dwRow + (2 * p) * 16;
    float* row1 = row0 + 16;
    _mm512_storeu_ps(row0, _mm512_add_ps(_mm512_loadu_ps(row0), _mm512_permutex2var_ps(acc[p][0], even, acc[p][1])));
    _mm512_storeu_ps(row1, _mm512_add_ps(_mm512_loadu_ps(row1), _mm512_permutex2var_ps(acc[p][0], odd, acc[p][1])));
  }
}
#endif

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
#ifdef VS_SIMD_AVX512
  if (g.Cout == 16 && g.C % 2 == 0 && pairKernelEnabled()) {
    fwdDirectPair16<12>(g, x, w, out, bias, biasSize, act, alpha);
    return true;
  }
#endif
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
      pixelOrigins(g, r0, rows, rows, base, iy0, ix0);
      const float* dyRows = dy + r0 * Co;
      for (int64_t ky = 0; ky < g.fh; ++ky)
        for (int64_t kx = 0; kx < g.fw; ++kx) {
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t iy = iy0[r] + ky * g.dH, ix = ix0[r] + kx * g.dW;
            off[r] = (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) ? base[r] + (iy * g.W + ix) * C : -1;
          }
          float* tapDw = acc + (ky * g.fw + kx) * C * Co;
#ifdef VS_SIMD_AVX512
          if (Co == 16 && C % 16 == 0 && pairKernelEnabled()) {
            for (int64_t c0 = 0; c0 < C; c0 += 16) filtTilePair16(x, off, rows, dyRows, c0, tapDw + c0 * 16);
            continue;
          }
#endif
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
