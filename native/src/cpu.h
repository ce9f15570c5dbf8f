// Run-time CPU dispatch: which SIMD kernels (AVX-512, AVX2+FMA or none) this process uses. Detected once by CPUID;
// VITSCOPE_CPU=avx512|avx2|generic (or setCpu from JS) lowers it, never above what the CPU supports.
#pragma once
#include <string>

namespace vs {

enum CpuLevel { CPU_GENERIC = 0, CPU_AVX2 = 1, CPU_AVX512 = 2 };

/** The level the kernels use now. */
CpuLevel cpuLevel();
/** The highest level this CPU supports. */
CpuLevel cpuDetected();
/** "generic", "avx2" or "avx512". */
const char* cpuLevelName(CpuLevel level);
/** Parses a level name; returns false for an unknown name. */
bool parseCpuLevel(const std::string& name, CpuLevel* out);
/** Sets the level; throws std::runtime_error when the CPU lacks it. */
void setCpuLevel(CpuLevel level);

}  // namespace vs

// Marks the start/end of a region whose functions are compiled for an instruction set the baseline build lacks
// (only ever called after cpuLevel() said the CPU has it). Headers must be included before the region.
#if defined(__clang__)
#define VS_TARGET_AVX512_BEGIN \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx512dq,avx512bw,avx512vl,avx2,fma\"))), apply_to = function)")
#define VS_TARGET_AVX2_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define VS_TARGET_END _Pragma("clang attribute pop")
#else
#define VS_TARGET_AVX512_BEGIN \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512dq,avx512bw,avx512vl,avx2,fma\")")
#define VS_TARGET_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define VS_TARGET_END _Pragma("GCC pop_options")
#endif
