// vsSgemm: the project's sgemm where it is chosen, the system BLAS otherwise; VITSCOPE_GEMM=own|blas|auto and
// setGemm() from JS choose. "auto" uses the own kernels on AVX-512 (OpenBLAS is held to its Haswell kernels on these
// machines by OPENBLAS_CORETYPE, and the bench measures the own kernels faster there) and the BLAS elsewhere.
#include "gemm.h"

#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>

#include "blas.h"
#include "common.h"
#include "cpu.h"

namespace vs {
namespace {

bool parseGemm(const std::string& s, GemmChoice* out) {
  if (s == "auto") *out = GEMM_AUTO;
  else if (s == "blas") *out = GEMM_BLAS;
  else if (s == "own") *out = GEMM_OWN;
  else return false;
  return true;
}

const char* gemmName(GemmChoice c) { return c == GEMM_OWN ? "own" : c == GEMM_BLAS ? "blas" : "auto"; }

std::atomic<int> choice{-1};

}  // namespace

GemmChoice gemmChoice() {
  int v = choice.load(std::memory_order_relaxed);
  if (v < 0) {
    const char* e = std::getenv("VITSCOPE_GEMM");
    GemmChoice c = GEMM_AUTO;
    if (e && *e) parseGemm(e, &c);  // an unknown value is reported by the JS loader
    v = c;
    choice.store(v, std::memory_order_relaxed);
  }
  return static_cast<GemmChoice>(v);
}

void setGemmChoice(GemmChoice c) { choice.store(c, std::memory_order_relaxed); }

bool ownGemmActive() {
  const CpuLevel level = cpuLevel();
  if (level == CPU_GENERIC) return false;
  switch (gemmChoice()) {
    case GEMM_OWN: return true;
    case GEMM_BLAS: return false;
    default: return level == CPU_AVX512;
  }
}

}  // namespace vs

void vsSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
             float beta, float* C, int ldc) {
  // Where chosen, the own kernels take every shape, tiny and narrow ones included (since the one-vector tile and A
  // read in place): Swin's window attention, batches of 16 x 16 x 32 products, runs 7x faster on them than on the
  // BLAS, mobilevit's (N = 16) 1.7x (`npm run bench`'s sgemm records); products of a few hundred FLOPs cost the
  // call either way
  if (alpha == 1.f && (beta == 0.f || beta == 1.f) && vs::ownGemmActive()) {
    const int64_t ars = transA ? 1 : lda, acs = transA ? lda : 1;
    const int64_t brs = transB ? 1 : ldb, bcs = transB ? ldb : 1;
    if (vs::cpuLevel() == vs::CPU_AVX512) vs::avx512::gemm(M, N, K, A, ars, acs, B, brs, bcs, C, ldc, beta == 1.f);
    else vs::avx2::gemm(M, N, K, A, ars, acs, B, brs, bcs, C, ldc, beta == 1.f);
    return;
  }
  vsBlasSgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

namespace vs {
namespace {

// gemm() -> { choice, active: "own" | "blas" }
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("choice", gemmName(gemmChoice()));
  o.Set("active", ownGemmActive() ? "own" : "blas");
  return o;
}

// setGemm("auto" | "blas" | "own") -> the sgemm now active
Napi::Value SetGemm(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  GemmChoice c;
  if (!parseGemm(name, &c))
    throw Napi::Error::New(info.Env(), "setGemm: expected 'auto', 'blas' or 'own', found '" + name + "'");
  setGemmChoice(c);
  return Napi::String::New(info.Env(), ownGemmActive() ? "own" : "blas");
}

// measureClockHz() -> the core clock, timed over chains of dependent integer adds (one per cycle). Many short
// windows, best kept: on a shared machine most windows are interrupted, the fastest one is not.
Napi::Value MeasureClockHz(const Napi::CallbackInfo& info) {
  double best = 0;
#if defined(__x86_64__)
  for (int rep = 0; rep < 400; ++rep) {
    const int64_t n = 50'000;  // x 10 adds: ~0.1 ms
    uint64_t x = 1;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < n; ++i)
      asm volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                   "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                   : "+r"(x));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 10.0 * n / s);
  }
#endif
  return Napi::Number::New(info.Env(), best);  // 0: not measurable on this architecture
}

// measureFmaRate() -> vector FMA instructions per second on one thread at the current level (0 at 'generic'),
// from independent accumulator chains; divided by the clock it gives the FMA units per core.
Napi::Value MeasureFmaRate(const Napi::CallbackInfo& info) {
  double best = 0;
  for (int rep = 0; rep < 400; ++rep) {
    const int64_t n = 5'000;
    const auto t0 = std::chrono::steady_clock::now();
    int64_t fmas = 0;
    switch (cpuLevel()) {
      case CPU_AVX512: fmas = avx512::fmaLoop(n); break;
      case CPU_AVX2: fmas = avx2::fmaLoop(n); break;
      default: break;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (fmas > 0) best = std::max(best, fmas / s);
  }
  return Napi::Number::New(info.Env(), best);
}

}  // namespace

void registerGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("setGemm", Napi::Function::New(env, SetGemm, "setGemm"));
  exports.Set("measureClockHz", Napi::Function::New(env, MeasureClockHz, "measureClockHz"));
  exports.Set("measureFmaRate", Napi::Function::New(env, MeasureFmaRate, "measureFmaRate"));
}

}  // namespace vs
