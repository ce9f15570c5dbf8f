// Vectorisable float math: exp (Cephes polynomial, ~1 ulp over the float range) and erf
// (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7, the same formula as tfjs's cpu Erf).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace vs {

inline float vexp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447505531f;
  const bool over = x > hi, under = x < lo;
  x = x > hi ? hi : (x < lo ? lo : x);
  float n = std::nearbyint(x * 1.44269504088896341f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  int32_t e = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &e, sizeof(scale));
  float y = p * scale;
  y = over ? INFINITY : y;
  y = under ? (x != x ? x : 0.f) : y;
  return y;
}

inline float verf(float x) {
  const float a1 = 0.254829592f, a2 = -0.284496736f, a3 = 1.421413741f, a4 = -1.453152027f, a5 = 1.061405429f,
              p = 0.3275911f;
  const float ax = std::fabs(x);
  const float t = 1.f / (1.f + p * ax);
  const float y = 1.f - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * vexp(-ax * ax);
  return x < 0.f ? -y : y;
}

inline float vsigmoid(float x) { return 1.f / (1.f + vexp(-x)); }

}  // namespace vs
