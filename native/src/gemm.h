// The project's own sgemm, one kernel set per instruction set (gemm_avx512.cc, gemm_avx2.cc), and the choice between
// it and the system BLAS (gemm.cc).
#pragma once
#include <cstdint>

namespace vs {

// C[M, N] (leading dimension ldc) = A B, or += A B when accumulate; A(i, p) = A[i * ars + p * acs] and
// B(p, j) = B[p * brs + j * bcs], so any transposition is a choice of strides. Single-threaded.
#define VS_GEMM_DECL                                                                                               \
  void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t ars, int64_t acs, const float* B, int64_t brs, \
            int64_t bcs, float* C, int64_t ldc, bool accumulate);                                         \
  /* runs n rounds of independent vector FMA chains; returns the FMA instructions executed */                    \
  int64_t fmaLoop(int64_t n);
namespace avx512 { VS_GEMM_DECL }
namespace avx2 { VS_GEMM_DECL }
#undef VS_GEMM_DECL

/** Which sgemm vsSgemm runs: the system BLAS, the project's own, or the measured-faster one for this CPU level. */
enum GemmChoice { GEMM_AUTO = 0, GEMM_BLAS = 1, GEMM_OWN = 2 };
GemmChoice gemmChoice();
void setGemmChoice(GemmChoice c);
/** True when vsSgemm would run the project's own kernels now. */
bool ownGemmActive();

}  // namespace vs
