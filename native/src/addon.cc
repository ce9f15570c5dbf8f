// Registry of the vitscope native addon: each source file registers its own functions.
#include "common.h"
#include "thread_pool.h"

namespace vs {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  registerMatmul(env, exports);
  registerConv(env, exports);
  registerDepthwise(env, exports);
  registerElementwise(env, exports);
  registerReduce(env, exports);
  registerSoftmax(env, exports);
  registerCopy(env, exports);
  registerOrtho(env, exports);
  registerGather(env, exports);
  registerNorm(env, exports);
  registerOptimizer(env, exports);
  registerCpu(env, exports);
  registerGemm(env, exports);
  exports.Set("version", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace vs

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return vs::Init(env, exports); }

NODE_API_MODULE(vitscope_native, InitAll)
