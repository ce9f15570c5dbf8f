// NHWC convolution geometry shared by the im2col path (conv.cc) and the direct SIMD kernels (conv_direct_*.cc).
#pragma once
#include <cstdint>

namespace vs {

struct ConvGeom {
  int64_t N, H, W, C, fh, fw, Cout, oH, oW, sH, sW, dH, dW, padT, padL;
  int64_t kdim() const { return fh * fw * C; }
  int64_t rows() const { return N * oH * oW; }
  bool pointwise() const { return fh == 1 && fw == 1 && sH == 1 && sW == 1 && padT == 0 && padL == 0 && oH == H && oW == W; }
};

/** Walks output pixels r0, r0 + 1, ... as (n, oy, ox) without divisions in the loop. */
struct PixelIter {
  int64_t n, oy, ox;
  const ConvGeom& g;
  PixelIter(const ConvGeom& geom, int64_t r) : g(geom) {
    n = r / (g.oH * g.oW);
    const int64_t rem = r % (g.oH * g.oW);
    oy = rem / g.oW;
    ox = rem % g.oW;
  }
  void next() {
    if (++ox == g.oW) {
      ox = 0;
      if (++oy == g.oH) {
        oy = 0;
        ++n;
      }
    }
  }
};

// Direct ("indirect-GEMM") convolution kernels, one set per instruction set, each compiled in its own translation
// unit for that set; conv.cc picks one by cpuLevel(). They return false for shapes they do not handle.
#define VS_DIRECT_CONV_DECLS                                                                                      \
  bool convForwardDirect(const ConvGeom& g, const float* x, const float* w, float* out, const float* bias,      \
                         int64_t biasSize, int act, float alpha);                                                \
  bool convFilterDirect(const ConvGeom& g, const float* x, const float* dy, float* dw);
namespace avx512 { VS_DIRECT_CONV_DECLS }
namespace avx2 { VS_DIRECT_CONV_DECLS }
#undef VS_DIRECT_CONV_DECLS

}  // namespace vs
