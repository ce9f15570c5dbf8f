// CPUID detection and the VITSCOPE_CPU override; see cpu.h.
#include "cpu.h"

#include <napi.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "common.h"

namespace vs {
namespace {

CpuLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // the AVX-512 kernels use F (arithmetic), DQ/BW/VL (masked and narrow forms the compiler may pick)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl"))
    return CPU_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CPU_AVX2;
#endif
  return CPU_GENERIC;
}

CpuLevel initial() {
  const CpuLevel hw = detect();
  const char* e = std::getenv("VITSCOPE_CPU");
  CpuLevel wanted;
  if (!e || !*e || !parseCpuLevel(e, &wanted)) return hw;  // an unknown value is reported by the JS loader
  return wanted < hw ? wanted : hw;
}

std::atomic<int> current{-1};

}  // namespace

CpuLevel cpuDetected() {
  static const CpuLevel hw = detect();
  return hw;
}

CpuLevel cpuLevel() {
  int v = current.load(std::memory_order_relaxed);
  if (v < 0) {
    v = initial();
    current.store(v, std::memory_order_relaxed);
  }
  return static_cast<CpuLevel>(v);
}

const char* cpuLevelName(CpuLevel level) {
  switch (level) {
    case CPU_AVX512: return "avx512";
    case CPU_AVX2: return "avx2";
    default: return "generic";
  }
}

bool parseCpuLevel(const std::string& name, CpuLevel* out) {
  if (name == "avx512") *out = CPU_AVX512;
  else if (name == "avx2") *out = CPU_AVX2;
  else if (name == "generic") *out = CPU_GENERIC;
  else return false;
  return true;
}

void setCpuLevel(CpuLevel level) {
  if (level > cpuDetected())
    throw std::runtime_error(std::string("setCpu: this CPU supports up to ") + cpuLevelName(cpuDetected()) + ", not " +
                             cpuLevelName(level));
  current.store(level, std::memory_order_relaxed);
}

namespace {

// cpu() -> { level, detected }
Napi::Value Cpu(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("level", cpuLevelName(cpuLevel()));
  o.Set("detected", cpuLevelName(cpuDetected()));
  return o;
}

// setCpu(name) -> the level now in use
Napi::Value SetCpu(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  CpuLevel level;
  if (!parseCpuLevel(name, &level))
    throw Napi::Error::New(info.Env(), "setCpu: expected 'avx512', 'avx2' or 'generic', found '" + name + "'");
  try {
    setCpuLevel(level);
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return Napi::String::New(info.Env(), cpuLevelName(cpuLevel()));
}

}  // namespace

void registerCpu(Napi::Env env, Napi::Object exports) {
  exports.Set("cpu", Napi::Function::New(env, Cpu, "cpu"));
  exports.Set("setCpu", Napi::Function::New(env, SetCpu, "setCpu"));
}

}  // namespace vs
