// BLAS entry points: OpenBLAS (Linux) or Accelerate (macOS).
#pragma once
#ifdef VITSCOPE_ACCELERATE
#include <Accelerate/Accelerate.h>
inline void vsBlasSingleThread() {}
#else
#include <cblas.h>
inline void vsBlasSingleThread() { openblas_set_num_threads(1); }
#endif

/** Row-major C[M,N] = alpha * op(A) op(B) + beta * C with explicit leading dimensions, on the system BLAS. */
inline void vsBlasSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                    int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
              lda, B, ldb, beta, C, ldc);
}

/** vsBlasSgemm's contract, on the project's own kernels where they are chosen (gemm.cc), else on the system BLAS. */
void vsSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
             float beta, float* C, int ldc);
