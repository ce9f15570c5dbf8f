// Single-precision GEMM over `Vec` (simd.h), Goto/BLIS style: B is packed into KC x NR column panels, A into
// MR x KC row panels, and an MR x NR register tile of C is accumulated by broadcasting A against NR/W vectors of B.
// Single-threaded: matmul.cc and conv.cc split the work over the pool. Included by gemm_avx512.cc and gemm_avx2.cc
// inside their target regions and namespaces, which set GEMM_MR and GEMM_NV (accumulators: MR x NV registers).

namespace {

constexpr int W = Vec::W;
constexpr int MR = GEMM_MR, NV = GEMM_NV, NR = NV * W;
// KC x NR of B (32 KiB at NR 32) stays in L1 across a panel of A; MC x KC of A (~170 KiB) in L2.
constexpr int64_t KC = 256, MC = MR * 12, NC = 1536;
using VT = Vec::T;

/** A 64-byte-aligned per-thread buffer that only grows. */
struct Buffer {
  float* p = nullptr;
  int64_t n = 0;
  float* get(int64_t want) {
    if (want > n) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, ((want * sizeof(float) + 63) / 64) * 64));
      if (!p) throw std::bad_alloc();
      n = want;
    }
    return p;
  }
  ~Buffer() { std::free(p); }
};
thread_local Buffer packedA, packedB;

/**
 * B(p0..p0+kc, j0..j0+nc) as ceil(nc / Cols) panels of kc x Cols (zero-padded), B(p, j) = B[p * rs + j * cs]:
 * Cols = NR for the MR x NV tile, W for the one-vector tile.
 */
template <int Cols = NR>
void packB(const float* B, int64_t rs, int64_t cs, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t j = 0; j < nc; j += Cols) {
    const int64_t nr = std::min<int64_t>(Cols, nc - j);
    for (int64_t p = 0; p < kc; ++p, dst += Cols) {
      const float* src = B + (p0 + p) * rs + (j0 + j) * cs;
      if (cs == 1 && nr == Cols) {
        std::memcpy(dst, src, sizeof(float) * Cols);
      } else {
        int64_t q = 0;
        for (; q < nr; ++q) dst[q] = src[q * cs];
        for (; q < Cols; ++q) dst[q] = 0.f;
      }
    }
  }
}

/** A(i0..i0+mc, p0..p0+kc) as ceil(mc / MR) panels of kc x MR (zero-padded), A(i, p) = A[i * rs + p * cs]. */
void packA(const float* A, int64_t rs, int64_t cs, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t i = 0; i < mc; i += MR) {
    const int64_t mr = std::min<int64_t>(MR, mc - i);
    const float* src = A + (i0 + i) * rs + p0 * cs;
    if (cs == 1) {
      // rows contiguous along k: transpose MR rows into k-major order
      for (int64_t p = 0; p < kc; ++p) {
        int64_t q = 0;
        for (; q < mr; ++q) dst[p * MR + q] = src[q * rs + p];
        for (; q < MR; ++q) dst[p * MR + q] = 0.f;
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const float* s = src + p * cs;
        int64_t q = 0;
        for (; q < mr; ++q) dst[p * MR + q] = s[q * rs];
        for (; q < MR; ++q) dst[p * MR + q] = 0.f;
      }
    }
    dst += kc * MR;
  }
}

/** Writes (or adds) an R x (V * W) accumulator tile to C; a partial edge tile goes through a buffer. */
template <int R, int V>
__attribute__((always_inline)) inline void storeTile(const VT (&acc)[R][V], float* c, int64_t ldc, int mr, int nr,
                                                     bool accumulate) {
  constexpr int cols = V * W;
  if (mr == R && nr == cols) {
#pragma GCC unroll 32
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < V; ++j) {
        float* cp = c + i * ldc + j * W;
        Vec::store(cp, accumulate ? Vec::add(Vec::load(cp), acc[i][j]) : acc[i][j]);
      }
    return;
  }
  alignas(64) float tile[R * cols];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < V; ++j) Vec::store(tile + i * cols + j * W, acc[i][j]);
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * cols + j] : tile[i * cols + j];
}

/** C(mr x nr tile) (+)= packed A panel x packed B panel over kc. */
void microKernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, int mr, int nr,
                 bool accumulate) {
  VT acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = Vec::zero();
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p, a += MR, b += NR) {
    VT bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) bv[j] = Vec::load(b + j * W);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const VT av = Vec::set1(a[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = Vec::fma(av, bv[j], acc[i][j]);
    }
  }
  storeTile<MR, NV>(acc, c, ldc, mr, nr, accumulate);
}

/**
 * An R x (V * W) tile of C (+)= A B over kc, A read in place instead of from a packed panel: A(i, p) =
 * a[i * ars + p * acs], rows at and beyond mr clamped to the last valid row (their sums are computed and dropped),
 * B from a packed panel of V * W columns. Where each element of A meets few panels of B (N <= 4 NR), or the
 * product is small (one k-block, one row block), packing A cost more than reading it in place.
 */
template <int R, int V>
void microKernelDirectA(int64_t kc, const float* __restrict a, int64_t ars, int64_t acs, const float* __restrict b,
                        float* c, int64_t ldc, int mr, int nr, bool accumulate) {
  constexpr int cols = V * W;
  const float* rows[R];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) rows[i] = a + static_cast<int64_t>(i < mr ? i : mr - 1) * ars;
  VT acc[R][V];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < V; ++j) acc[i][j] = Vec::zero();
  if (ars == 1 && mr == R) {
    // A transposed: a full tile's R values of one k are contiguous, read at fixed offsets from one pointer
    // (R row pointers do not fit the general registers)
    for (int64_t p = 0; p < kc; ++p, a += acs, b += cols) {
      VT bv[V];
#pragma GCC unroll 4
      for (int j = 0; j < V; ++j) bv[j] = Vec::load(b + j * W);
#pragma GCC unroll 32
      for (int i = 0; i < R; ++i) {
        const VT av = Vec::set1(a[i]);
#pragma GCC unroll 4
        for (int j = 0; j < V; ++j) acc[i][j] = Vec::fma(av, bv[j], acc[i][j]);
      }
    }
  } else {
    fmaRowTile<R, V>(acc, rows, acs, b, cols, kc);
  }
  storeTile<R, V>(acc, c, ldc, mr, nr, accumulate);
}

/**
 * The rows block [0, rows) of C (+)= A B on tiles that read A in place (A and C at the block's first row, B one
 * packed panel of V * W columns): tiles of R rows, and of RS where at most RS rows are left or the block has at
 * most 2 RS rows. A full tile computes R rows whatever is left, so a Swin window's 16 tokens took a 14-row tile and a
 * 2-row one (12 rows computed and dropped); two 8-row tiles compute none.
 */
template <int R, int RS, int V>
void directRowTiles(int64_t rows, int64_t kc, const float* A, int64_t ars, int64_t acs, const float* bp, float* C,
                    int64_t ldc, int nr, bool accumulate) {
  const bool allSmall = rows <= 2 * RS;
  for (int64_t i = 0; i < rows;) {
    const int64_t left = rows - i;
    if (allSmall || left <= RS) {
      microKernelDirectA<RS, V>(kc, A + i * ars, ars, acs, bp, C + i * ldc, ldc, static_cast<int>(std::min<int64_t>(RS, left)), nr, accumulate);
      i += RS;
    } else {
      microKernelDirectA<R, V>(kc, A + i * ars, ars, acs, bp, C + i * ldc, ldc, static_cast<int>(std::min<int64_t>(R, left)), nr, accumulate);
      i += R;
    }
  }
}

/** The smaller tile's rows: 8 beside AVX-512's 14, 4 beside AVX2's 6. */
constexpr int MRS = MR >= 14 ? 8 : 4;

/**
 * C (+)= A B for N <= W (one vector of columns: mobilevit's attention, head width 16): a tile of 2 MR rows x one
 * vector, so that as many accumulators are live as in the MR x NV tile; B packed per k-block as kc x W, A in place.
 * Each element of C is summed in the same order (k-blocks of KC, p ascending within one) as by gemm's other paths.
 */
void gemmNarrow(int64_t M, int64_t N, int64_t K, const float* A, int64_t ars, int64_t acs, const float* B, int64_t brs,
                int64_t bcs, float* C, int64_t ldc, bool accumulate, float* pb) {
  for (int64_t p0 = 0; p0 < K; p0 += KC) {
    const int64_t kc = std::min<int64_t>(KC, K - p0);
    packB<W>(B, brs, bcs, p0, kc, 0, N, pb);
    directRowTiles<2 * MR, 2 * MRS, 1>(M, kc, A + p0 * acs, ars, acs, pb, C, ldc, static_cast<int>(N), accumulate || p0 > 0);
  }
}

}  // namespace

void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t ars, int64_t acs, const float* B, int64_t brs,
          int64_t bcs, float* C, int64_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::memset(C + i * ldc, 0, sizeof(float) * N);
    return;
  }
  if (N <= W) return gemmNarrow(M, N, K, A, ars, acs, B, brs, bcs, C, ldc, accumulate, packedB.get(KC * W));
  const int64_t ncMax = std::min<int64_t>(NC, (N + NR - 1) / NR * NR);
  const int64_t mcMax = std::min<int64_t>(MC, (M + MR - 1) / MR * MR);
  // A read in place where each element of A is used by at most 4 column panels (or, with one k-block and one row
  // block, by ceil(N / NR) tiles only): packing it cost more than it saved there. With N <= 4 NR the products of
  // attention (head widths 32-64) and of narrow layers ran at 1.2-1.4x their packed rate (N = 64: 280 -> 380
  // GFLOP/s, N = 128: 350 -> 425 on 2 AVX-512 cores)
  const bool directA = N <= 4 * NR || (K <= KC && M <= MC);
  float* pb = packedB.get(KC * ncMax);
  float* pa = directA ? nullptr : packedA.get(KC * mcMax);
  for (int64_t j0 = 0; j0 < N; j0 += NC) {
    const int64_t nc = std::min<int64_t>(NC, N - j0);
    for (int64_t p0 = 0; p0 < K; p0 += KC) {
      const int64_t kc = std::min<int64_t>(KC, K - p0);
      const bool acc = accumulate || p0 > 0;
      packB(B, brs, bcs, p0, kc, j0, nc, pb);
      for (int64_t i0 = 0; i0 < M; i0 += MC) {
        const int64_t mc = std::min<int64_t>(MC, M - i0);
        if (!directA) packA(A, ars, acs, i0, mc, p0, kc, pa);
        for (int64_t j = 0; j < nc; j += NR) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, nc - j));
          const float* bp = pb + (j / NR) * kc * NR;
          if (directA) {
            directRowTiles<MR, MRS, NV>(mc, kc, A + i0 * ars + p0 * acs, ars, acs, bp, C + i0 * ldc + j0 + j, ldc, nr, acc);
          } else {
            for (int64_t i = 0; i < mc; i += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, mc - i));
              microKernel(kc, pa + (i / MR) * kc * MR, bp, C + (i0 + i) * ldc + j0 + j, ldc, mr, nr, acc);
            }
          }
        }
      }
    }
  }
}

int64_t fmaLoop(int64_t n) {
  // 12 independent chains hide the FMA latency (4 cycles) on 2 units and more
  constexpr int chains = 12;
  VT acc[chains];
  const VT m = Vec::set1(0.999f), a = Vec::set1(1e-3f);
  for (int i = 0; i < chains; ++i) acc[i] = Vec::set1(static_cast<float>(i));
  for (int64_t r = 0; r < n; ++r)
#pragma GCC unroll 12
    for (int i = 0; i < chains; ++i) acc[i] = Vec::fma(acc[i], m, a);
  alignas(64) float sink[W];
  VT s = acc[0];
  for (int i = 1; i < chains; ++i) s = Vec::add(s, acc[i]);
  Vec::store(sink, s);
  volatile float keep = sink[0];
  (void)keep;
  return n * chains;
}
