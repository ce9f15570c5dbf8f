// Batched matrix multiplication on sgemm with broadcast batch indices, transposes, bias and activation.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "blas.h"
#include "common.h"
#include "thread_pool.h"

namespace vs {

void applyBiasActivation(float* out, int64_t rows, int64_t cols, int64_t ldc, const float* bias, int64_t biasSize,
                         int act, float alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out + r * ldc;
    if (bias) {
      if (biasSize == 1) {
        const float b = bias[0];
        for (int64_t c = 0; c < cols; ++c) o[c] += b;
      } else {
        for (int64_t c = 0; c < cols; ++c) o[c] += bias[c];
      }
    }
    switch (act) {
      case ACT_RELU:
        for (int64_t c = 0; c < cols; ++c) o[c] = o[c] < 0.f ? 0.f : o[c];
        break;
      case ACT_RELU6:
        for (int64_t c = 0; c < cols; ++c) o[c] = std::min(6.f, std::max(0.f, o[c]));
        break;
      case ACT_ELU:
        for (int64_t c = 0; c < cols; ++c) o[c] = o[c] >= 0.f ? o[c] : std::expm1(o[c]);
        break;
      case ACT_LEAKYRELU:
        for (int64_t c = 0; c < cols; ++c) o[c] = o[c] < 0.f ? alpha * o[c] : o[c];
        break;
      case ACT_SIGMOID:
        for (int64_t c = 0; c < cols; ++c) o[c] = 1.f / (1.f + std::exp(-o[c]));
        break;
      default:
        break;
    }
  }
}

namespace {

// matmul(a, b, out, M, N, K, transA, transB, aIdx: Int32Array, bIdx: Int32Array, bias|null, biasSize, act, alpha)
// a batches are [M,K] (or [K,M] if transA), b batches [K,N] (or [N,K]); out has aIdx.length batches of [M,N].
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  const float* a = arr<float>(info, 0);
  const float* b = arr<float>(info, 1);
  float* out = arr<float>(info, 2);
  const int64_t M = num(info, 3), N = num(info, 4), K = num(info, 5);
  const bool tA = info[6].ToBoolean(), tB = info[7].ToBoolean();
  const int32_t* aIdx = arr<int32_t>(info, 8);
  const int32_t* bIdx = arr<int32_t>(info, 9);
  const int64_t batch = info[8].As<Napi::TypedArray>().ElementLength();
  const float* bias = arr<float>(info, 10);
  const int64_t biasSize = num(info, 11);
  const int act = static_cast<int>(num(info, 12));
  const float alpha = static_cast<float>(dbl(info, 13));
  if (M == 0 || N == 0 || batch == 0) return info.Env().Undefined();
  if (K == 0) {
    std::memset(out, 0, sizeof(float) * batch * M * N);
    for (int64_t i = 0; i < batch; ++i) applyBiasActivation(out + i * M * N, M, N, N, bias, biasSize, act, alpha);
    return info.Env().Undefined();
  }
  const int lda = static_cast<int>(tA ? M : K), ldb = static_cast<int>(tB ? K : N);
  const double flops = 2.0 * batch * M * N * K;
  const int threads = poolThreads();

  auto gemm = [&](int64_t bi, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const float* A = a + static_cast<int64_t>(aIdx[bi]) * M * K + (tA ? m0 : m0 * K);
    const float* B = b + static_cast<int64_t>(bIdx[bi]) * K * N + (tB ? n0 * K : n0);
    float* C = out + bi * M * N + m0 * N + n0;
    vsSgemm(tA, tB, static_cast<int>(m1 - m0), static_cast<int>(n1 - n0), static_cast<int>(K), 1.f, A, lda, B, ldb, 0.f,
            C, static_cast<int>(N));
    if (bias || act != ACT_LINEAR)
      applyBiasActivation(C, m1 - m0, n1 - n0, N, bias ? bias + (biasSize == 1 ? 0 : n0) : nullptr, biasSize, act, alpha);
  };

  if (threads < 2 || flops < 2e5) {
    for (int64_t i = 0; i < batch; ++i) gemm(i, 0, M, 0, N);
  } else if (batch >= 2 * threads || (batch >= threads && batch % threads == 0)) {
    parallelFor(batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1; ++i) gemm(i, 0, M, 0, N);
    });
  } else if (M >= N) {
    // split rows of every batch across threads (blocks of 16 rows keep sgemm kernels aligned)
    const int64_t blocks = (M + 15) / 16;
    for (int64_t i = 0; i < batch; ++i)
      parallelFor(blocks, 1, [&](int64_t k0, int64_t k1) { gemm(i, k0 * 16, std::min(M, k1 * 16), 0, N); });
  } else {
    const int64_t blocks = (N + 15) / 16;
    for (int64_t i = 0; i < batch; ++i)
      parallelFor(blocks, 1, [&](int64_t k0, int64_t k1) { gemm(i, 0, M, k0 * 16, std::min(N, k1 * 16)); });
  }
  return info.Env().Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  setPoolThreads(static_cast<int>(num(info, 0)));
  return Napi::Number::New(info.Env(), poolThreads());
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), poolThreads()); }

}  // namespace

void registerMatmul(Napi::Env env, Napi::Object exports) {
  vsBlasSingleThread();  // we split work across our own pool; OpenBLAS's threads would oversubscribe
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("threads", Napi::Function::New(env, GetThreads, "threads"));
}

}  // namespace vs
