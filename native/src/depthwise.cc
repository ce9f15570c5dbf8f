// NHWC depthwise 2-D convolution (filter [fh, fw, C, M], output channel c * M + m) and its two gradients as direct
// loops over the channels, threaded over output rows (forward, input gradient) or filter taps (filter gradient).
// Each output element is summed in the order tfjs-cpu's kernels use, with the same rounding, so the results are
// bit-identical to the 'cpu' backend's: the forward pass adds each tap's product (exact in double) to a float
// accumulator, rounding once per tap; the two gradients sum in double and round once at the end.
#include <algorithm>
#include <cstring>
#include <vector>

#include "common.h"
#include "conv_geom.h"
#include "thread_pool.h"

namespace vs {
namespace {

/** The 15-integer NHWC geometry of conv_impl.ts; Cout = C * M (tfjs's outChannels of a depthwise conv). */
ConvGeom geom(const Napi::CallbackInfo& info, size_t i) {
  auto p = ints(info, i);
  if (p.size() != 15) throw Napi::Error::New(info.Env(), "depthwise geometry: expected 15 integers");
  ConvGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  if (g.C <= 0 || g.Cout % g.C != 0) throw Napi::Error::New(info.Env(), "depthwise geometry: output channels must be a multiple of input channels");
  return g;
}

thread_local std::vector<double> accScratch;
double* accFor(int64_t n) {
  if (static_cast<int64_t>(accScratch.size()) < n) accScratch.resize(n);
  return accScratch.data();
}

// depthwiseConv2d(x, w, out, geom[15]): out[n, oy, ox, c*M + m] = sum over taps (ky outer, kx inner) inside the
// image of x[n, oy*sH - padT + ky*dH, ox*sW - padL + kx*dW, c] * w[ky, kx, c, m]
Napi::Value DepthwiseConv2d(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* w = arr<float>(info, 1);
  float* out = arr<float>(info, 2);
  const ConvGeom g = geom(info, 3);
  const int64_t M = g.Cout / g.C, CM = g.Cout, rows = g.N * g.oH;
  if (rows * g.oW * CM == 0) return info.Env().Undefined();
  parallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.oH, oy = r % g.oH;
      float* orow = out + r * g.oW * CM;
      std::memset(orow, 0, sizeof(float) * g.oW * CM);
      for (int64_t ky = 0; ky < g.fh; ++ky) {
        const int64_t iy = oy * g.sH - g.padT + ky * g.dH;
        if (iy < 0 || iy >= g.H) continue;
        const float* xrow = x + (n * g.H + iy) * g.W * g.C;
        for (int64_t ox = 0; ox < g.oW; ++ox) {
          float* __restrict o = orow + ox * CM;
          for (int64_t kx = 0; kx < g.fw; ++kx) {
            const int64_t ix = ox * g.sW - g.padL + kx * g.dW;
            if (ix < 0 || ix >= g.W) continue;
            const float* __restrict xv = xrow + ix * g.C;
            const float* __restrict wv = w + (ky * g.fw + kx) * CM;
            // the product of two floats is exact in double: one rounding per tap, as tfjs-cpu's Float32Array +=
            if (M == 1) {
              for (int64_t c = 0; c < g.C; ++c) o[c] = static_cast<float>(double(o[c]) + double(xv[c]) * double(wv[c]));
            } else {
              for (int64_t c = 0; c < g.C; ++c)
                for (int64_t m = 0; m < M; ++m)
                  o[c * M + m] = static_cast<float>(double(o[c * M + m]) + double(xv[c]) * double(wv[c * M + m]));
            }
          }
        }
      }
    }
  });
  return info.Env().Undefined();
}

// depthwiseBackpropInput(dy, w, dx, geom[15]) — geom describes the forward conv (x = dx's shape), dilation 1:
// dx[n, iy, ix, c] = sum over (oy, ox, m) with ky = iy + padT - oy*sH in [0, fh), kx likewise, of
// dy[n, oy, ox, c*M + m] * w[ky, kx, c, m], summed in double in that order (oy outer, m inner)
Napi::Value DepthwiseBackpropInput(const Napi::CallbackInfo& info) {
  const float* dy = arr<float>(info, 0);
  const float* w = arr<float>(info, 1);
  float* dx = arr<float>(info, 2);
  const ConvGeom g = geom(info, 3);
  const int64_t M = g.Cout / g.C, CM = g.Cout, rows = g.N * g.H;
  if (rows * g.W * g.C == 0) return info.Env().Undefined();
  parallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
    double* acc = accFor(g.C);
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / g.H, iy = r % g.H;
      // output rows oy with 0 <= iy + padT - oy*sH < fh
      const int64_t top = iy + g.padT;
      const int64_t oyMin = std::max<int64_t>(0, top - g.fh + 1 <= 0 ? 0 : (top - g.fh + 1 + g.sH - 1) / g.sH);
      const int64_t oyMax = std::min<int64_t>(g.oH - 1, top >= 0 ? top / g.sH : -1);
      for (int64_t ix = 0; ix < g.W; ++ix) {
        const int64_t left = ix + g.padL;
        const int64_t oxMin = std::max<int64_t>(0, left - g.fw + 1 <= 0 ? 0 : (left - g.fw + 1 + g.sW - 1) / g.sW);
        const int64_t oxMax = std::min<int64_t>(g.oW - 1, left >= 0 ? left / g.sW : -1);
        std::fill(acc, acc + g.C, 0.0);
        for (int64_t oy = oyMin; oy <= oyMax; ++oy) {
          const int64_t ky = top - oy * g.sH;
          for (int64_t ox = oxMin; ox <= oxMax; ++ox) {
            const int64_t kx = left - ox * g.sW;
            const float* __restrict d = dy + ((n * g.oH + oy) * g.oW + ox) * CM;
            const float* __restrict wv = w + (ky * g.fw + kx) * CM;
            if (M == 1) {
              for (int64_t c = 0; c < g.C; ++c) acc[c] += double(d[c]) * double(wv[c]);
            } else {
              for (int64_t c = 0; c < g.C; ++c)
                for (int64_t m = 0; m < M; ++m) acc[c] += double(d[c * M + m]) * double(wv[c * M + m]);
            }
          }
        }
        float* __restrict o = dx + (r * g.W + ix) * g.C;
        for (int64_t c = 0; c < g.C; ++c) o[c] = static_cast<float>(acc[c]);
      }
    }
  });
  return info.Env().Undefined();
}

// depthwiseBackpropFilter(x, dy, dw, geom[15]), dilation 1: dw[ky, kx, c, m] = sum over (n, oy, ox) of
// x[n, oy*sH - padT + ky, ox*sW - padL + kx, c] * dy[n, oy, ox, c*M + m], summed in double in that order
Napi::Value DepthwiseBackpropFilter(const Napi::CallbackInfo& info) {
  const float* x = arr<float>(info, 0);
  const float* dy = arr<float>(info, 1);
  float* dw = arr<float>(info, 2);
  const ConvGeom g = geom(info, 3);
  const int64_t M = g.Cout / g.C, CM = g.Cout, taps = g.fh * g.fw;
  if (taps * CM == 0) return info.Env().Undefined();
  // tasks: (tap, block of channels); a task owns its outputs, so each sum runs whole on one thread, in order
  constexpr int64_t BLOCK = 64;
  const int64_t blocks = (g.C + BLOCK - 1) / BLOCK;
  parallelFor(taps * blocks, 1, [&](int64_t t0, int64_t t1) {
    double* acc = accFor(BLOCK * M);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t tap = t / blocks, c0 = (t % blocks) * BLOCK, c1 = std::min(g.C, c0 + BLOCK), nc = c1 - c0;
      const int64_t ky = tap / g.fw, kx = tap % g.fw;
      std::fill(acc, acc + nc * M, 0.0);
      // output positions whose tap (ky, kx) lies inside the image
      const int64_t oyMin = std::max<int64_t>(0, (g.padT - ky + g.sH - 1) / g.sH);
      const int64_t oxMin = std::max<int64_t>(0, (g.padL - kx + g.sW - 1) / g.sW);
      for (int64_t n = 0; n < g.N; ++n) {
        for (int64_t oy = oyMin; oy < g.oH; ++oy) {
          const int64_t iy = oy * g.sH - g.padT + ky;
          if (iy >= g.H) break;
          for (int64_t ox = oxMin; ox < g.oW; ++ox) {
            const int64_t ix = ox * g.sW - g.padL + kx;
            if (ix >= g.W) break;
            const float* __restrict xv = x + ((n * g.H + iy) * g.W + ix) * g.C + c0;
            const float* __restrict d = dy + ((n * g.oH + oy) * g.oW + ox) * CM + c0 * M;
            if (M == 1) {
              for (int64_t c = 0; c < nc; ++c) acc[c] += double(xv[c]) * double(d[c]);
            } else {
              for (int64_t c = 0; c < nc; ++c)
                for (int64_t m = 0; m < M; ++m) acc[c * M + m] += double(xv[c]) * double(d[c * M + m]);
            }
          }
        }
      }
      float* __restrict o = dw + tap * CM + c0 * M;
      for (int64_t i = 0; i < nc * M; ++i) o[i] = static_cast<float>(acc[i]);
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void registerDepthwise(Napi::Env env, Napi::Object exports) {
  exports.Set("depthwiseConv2d", Napi::Function::New(env, DepthwiseConv2d, "depthwiseConv2d"));
  exports.Set("depthwiseBackpropInput", Napi::Function::New(env, DepthwiseBackpropInput, "depthwiseBackpropInput"));
  exports.Set("depthwiseBackpropFilter", Napi::Function::New(env, DepthwiseBackpropFilter, "depthwiseBackpropFilter"));
}

}  // namespace vs
