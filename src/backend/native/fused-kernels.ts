// Fused LayerNorm, GELU, SiLU, BatchNorm (also with ReLU) and channel-affine kernels ('VitscopeLayerNorm', 'VitscopeGelu', ... and their
// first-order backward kernels): names, JavaScript implementations for the cpu backend, and gradients.
// Their gradients (src/backend/gradients/fused-grad-kernels.ts, registered by src/backend/fused-ops.ts) run the
// fused backward kernels, which have twice-differentiable gradients of their own, so Hessian-vector products stay exact.
// Importing this file needs no addon; the native implementations live in ./kernels/.
import { tf } from '../tf.ts';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { SOFTMAX_GRAD, SOFTMAX_GRAD_GRAD, softmaxGradLayout } from '../gradients/softmax.ts';

export { SOFTMAX_GRAD, SOFTMAX_GRAD_GRAD };

export const LAYER_NORM = 'VitscopeLayerNorm';
export const LAYER_NORM_GRAD = 'VitscopeLayerNormGrad';
/**
 * LayerNormGrad's input adjoints given the adjoints of its outputs: inputs {x, gamma, dy, a (of dx), ag? (of dgamma),
 * ab? (of dbeta); absent: zero}, attribute {epsilon}, outputs [gx, ggamma ([C]), gdy]. Not differentiable (runs
 * only off the tape; see src/backend/gradients/fused-grad-kernels.ts).
 */
export const LAYER_NORM_GRAD_GRAD = 'VitscopeLayerNormGradGrad';
export const GELU = 'VitscopeGelu';
export const GELU_GRAD = 'VitscopeGeluGrad';
/**
 * GeluGrad's input adjoints given a (its output's): inputs {x, dy, a} of one shape, outputs [gx, gdy] =
 * [a dy gelu''(x), a gelu'(x)] in one pass, gdy equal to GeluGrad(x, a). Not differentiable (runs only off the tape).
 */
export const GELU_GRAD_GRAD = 'VitscopeGeluGradGrad';
/** x * sigmoid(x) (torch.nn.SiLU): input {x}. */
export const SILU = 'VitscopeSilu';
/** dy * silu'(x): inputs {x, dy}; differentiable again (src/backend/gradients/fused-grad-kernels.ts). */
export const SILU_GRAD = 'VitscopeSiluGrad';
/** SiluGrad's input adjoints given a: inputs {x, dy, a}, outputs [a dy silu''(x), a silu'(x)] (as GELU_GRAD_GRAD). */
export const SILU_GRAD_GRAD = 'VitscopeSiluGradGrad';
export const BATCH_NORM = 'VitscopeBatchNorm';
export const BATCH_NORM_GRAD = 'VitscopeBatchNormGrad';
/** relu(VitscopeBatchNorm(x, gamma, beta)) in one pass: inputs {x, gamma, beta}, outputs [y, mean, variance]. */
export const BATCH_NORM_RELU = 'VitscopeBatchNormRelu';
/**
 * VitscopeBatchNormGrad of dy * step(y), y being VitscopeBatchNormRelu's output: inputs {x, gamma, y, dy, mean,
 * variance}, outputs [dx, dgamma, dbeta]. First order only (no gradient of its own; see fused-grad-kernels.ts).
 */
export const BATCH_NORM_RELU_GRAD = 'VitscopeBatchNormReluGrad';
export const ADAMW = 'VitscopeAdamW';
/** y = x * scale + shift per channel (last axis): evaluation-mode BatchNorm. Inputs {x, scale, shift?}. */
export const CHANNEL_AFFINE = 'VitscopeChannelAffine';
/** [sum dy * x, sum dy] per channel (sums over every axis but the last): ChannelAffine's scale and shift gradients. */
export const CHANNEL_AFFINE_GRAD = 'VitscopeChannelAffineGrad';

/** Attributes of the fused AdamW update (see adamwUpdate in src/backend/fused-ops.ts). */
export interface AdamWAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  bc2Sqrt: number;
  /** lr * weightDecay, or 0 */
  decay: number;
}

// ---- reference (cpu) implementations, same formulas as native/src/norm.cc ----

/** erf by Abramowitz & Stegun 7.1.26, as tfjs's cpu Erf. */
export function erfApprox(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x < 0 ? -y : y;
}

function rowStats(x: Float32Array, o: number, n: number, eps: number): [number, number] {
  let s = 0;
  for (let i = 0; i < n; ++i) s += x[o + i];
  const mean = Math.fround(s / n);
  let v = 0;
  for (let i = 0; i < n; ++i) v += (x[o + i] - mean) ** 2;
  return [mean, 1 / Math.sqrt(v / n + eps)];
}

export function layerNormCpu(x: Float32Array, g: Float32Array, b: Float32Array, cols: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += cols) {
    const [mean, rstd] = rowStats(x, o, cols, eps);
    for (let i = 0; i < cols; ++i) y[o + i] = (x[o + i] - mean) * rstd * g[i] + b[i];
  }
  return y;
}

export function layerNormGradCpu(x: Float32Array, g: Float32Array, dy: Float32Array, cols: number, eps: number): [Float32Array, Float32Array, Float32Array] {
  const dx = new Float32Array(x.length), dg = new Float32Array(cols), db = new Float32Array(cols);
  const xhat = new Float64Array(cols);
  for (let o = 0; o < x.length; o += cols) {
    const [mean, rstd] = rowStats(x, o, cols, eps);
    let m1 = 0, m2 = 0;
    for (let i = 0; i < cols; ++i) {
      xhat[i] = (x[o + i] - mean) * rstd;
      const gi = dy[o + i] * g[i];
      m1 += gi;
      m2 += gi * xhat[i];
      dg[i] += dy[o + i] * xhat[i];
      db[i] += dy[o + i];
    }
    m1 /= cols;
    m2 /= cols;
    for (let i = 0; i < cols; ++i) dx[o + i] = rstd * (dy[o + i] * g[i] - m1 - xhat[i] * m2);
  }
  return [dx, dg, db];
}

/**
 * LayerNormGradGrad's outputs [gx, ggamma, gdy] (formulas in src/backend/gradients/fused-grad-kernels.ts): per row
 * the statistics as rowStats, the row sums in double, then one pass writing; ag / ab null: zero adjoints.
 */
export function layerNormGradGradCpu(x: Float32Array, g: Float32Array, dy: Float32Array, a: Float32Array, ag: Float32Array | null,
  ab: Float32Array | null, cols: number, eps: number): [Float32Array, Float32Array, Float32Array] {
  const gx = new Float32Array(x.length), gdy = new Float32Array(x.length), gg = new Float64Array(cols);
  const xhat = new Float64Array(cols);
  for (let o = 0; o < x.length; o += cols) {
    const [mean, r] = rowStats(x, o, cols, eps);
    let sG = 0, sGx = 0, sA = 0, sAx = 0, sAg = 0, sH = 0, sHx = 0;
    for (let i = 0; i < cols; ++i) {
      const xh = (xhat[i] = (x[o + i] - mean) * r), gi = dy[o + i] * g[i], ai = a[o + i];
      sG += gi;
      sGx += gi * xh;
      sA += ai;
      sAx += ai * xh;
      sAg += ai * gi;
      if (ag) {
        sH += dy[o + i] * ag[i];
        sHx += dy[o + i] * ag[i] * xh;
      }
    }
    const m1 = sG / cols, m2 = sGx / cols, a1 = sA / cols, pA = sAx / cols, q1 = sH / cols, q2 = sHx / cols;
    const aDx = r * (sAg - sG * a1 - m2 * sAx);
    for (let i = 0; i < cols; ++i) {
      const xh = xhat[i], gi = dy[o + i] * g[i];
      const rPA = r * (a[o + i] - a1 - xh * pA);
      const dx = r * (gi - m1 - xh * m2);
      let vx = -r * m2 * rPA - r * pA * dx - (r * aDx / cols) * xh;
      let vdy = g[i] * rPA;
      if (ag) {
        vx += r * (dy[o + i] * ag[i] - q1 - xh * q2);
        vdy += ag[i] * xh;
      }
      if (ab) vdy += ab[i];
      gx[o + i] = vx;
      gdy[o + i] = vdy;
      gg[i] += dy[o + i] * rPA;
    }
  }
  return [gx, Float32Array.from(gg), gdy];
}

export function geluCpu(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; ++i) y[i] = x[i] * 0.5 * (erfApprox(x[i] * Math.SQRT1_2) + 1);
  return y;
}

/** gelu'(v) = Phi(v) + v phi(v) in double, phi(v) = 0.3989 e (e = exp(-v^2 / 2), passed where the caller needs it too). */
function geluDerivative(v: number, e = Math.exp(-0.5 * v * v)): number {
  return 0.5 * (erfApprox(v * Math.SQRT1_2) + 1) + v * 0.3989422804014327 * e;
}

export function geluGradCpu(x: Float32Array, dy: Float32Array): Float32Array {
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; ++i) dx[i] = dy[i] * geluDerivative(x[i]);
  return dx;
}

/**
 * [a dy gelu''(x), a gelu'(x)], gelu''(x) = phi(x) (2 - x^2); the second through geluGradCpu's geluDerivative,
 * so it equals geluGradCpu(x, a) exactly.
 */
export function geluGradGradCpu(x: Float32Array, dy: Float32Array, a: Float32Array): [Float32Array, Float32Array] {
  const gx = new Float32Array(x.length), gdy = new Float32Array(x.length);
  for (let i = 0; i < x.length; ++i) {
    const v = x[i];
    const e = Math.exp(-0.5 * v * v);
    gdy[i] = a[i] * geluDerivative(v, e);
    gx[i] = a[i] * dy[i] * (0.3989422804014327 * e * (2 - v * v));
  }
  return [gx, gdy];
}

/** x * sigmoid(x) with the cpu backend's Sigmoid (1 / (1 + exp(-x)), rounded to float32) and Multiply: equal to the composite. */
export function siluCpu(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; ++i) y[i] = x[i] * Math.fround(1 / (1 + Math.exp(-x[i])));
  return y;
}

/** dy * s (1 + x (1 - s)), s = sigmoid(x), in double, rounded once. */
export function siluGradCpu(x: Float32Array, dy: Float32Array): Float32Array {
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; ++i) {
    const s = 1 / (1 + Math.exp(-x[i]));
    dx[i] = dy[i] * s * (1 + x[i] * (1 - s));
  }
  return dx;
}

/** [a dy silu''(x), a silu'(x)], silu''(x) = s (1 - s) (2 + x (1 - 2 s)); the second as siluGradCpu(x, a), exactly. */
export function siluGradGradCpu(x: Float32Array, dy: Float32Array, a: Float32Array): [Float32Array, Float32Array] {
  const gx = new Float32Array(x.length), gdy = new Float32Array(x.length);
  for (let i = 0; i < x.length; ++i) {
    const v = x[i];
    const s = 1 / (1 + Math.exp(-v));
    gdy[i] = a[i] * s * (1 + v * (1 - s));
    gx[i] = a[i] * dy[i] * (s * (1 - s) * (2 + v * (1 - 2 * s)));
  }
  return [gx, gdy];
}

/** Training-mode batch norm over all rows of a [rows, C] layout (channels last): y, batch mean, batch variance. */
export function batchNormCpu(x: Float32Array, g: Float32Array, b: Float32Array, C: number, eps: number): [Float32Array, Float32Array, Float32Array] {
  const rows = C > 0 ? x.length / C : 0;
  const sum = new Float64Array(C), sq = new Float64Array(C);
  for (let o = 0; o < x.length; o += C) for (let c = 0; c < C; ++c) sum[c] += x[o + c];
  const mean = new Float32Array(C), variance = new Float32Array(C);
  for (let c = 0; c < C; ++c) mean[c] = sum[c] / rows;
  for (let o = 0; o < x.length; o += C) for (let c = 0; c < C; ++c) sq[c] += (x[o + c] - mean[c]) ** 2;
  for (let c = 0; c < C; ++c) variance[c] = sq[c] / rows;
  const y = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += C) {
    for (let c = 0; c < C; ++c) y[o + c] = ((x[o + c] - mean[c]) * g[c]) / Math.sqrt(variance[c] + eps) + b[c];
  }
  return [y, mean, variance];
}

export function batchNormGradCpu(x: Float32Array, g: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, C: number, eps: number): [Float32Array, Float32Array, Float32Array] {
  const rows = C > 0 ? x.length / C : 0;
  const rstd = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const sdy = new Float64Array(C), sdx = new Float64Array(C);
  for (let o = 0; o < x.length; o += C) {
    for (let c = 0; c < C; ++c) {
      sdy[c] += dy[o + c];
      sdx[c] += dy[o + c] * (x[o + c] - mean[c]) * rstd[c];
    }
  }
  const dx = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += C) {
    for (let c = 0; c < C; ++c) {
      const xhat = (x[o + c] - mean[c]) * rstd[c];
      dx[o + c] = g[c] * rstd[c] * (dy[o + c] - sdy[c] / rows - (xhat * sdx[c]) / rows);
    }
  }
  return [dx, Float32Array.from(sdx), Float32Array.from(sdy)];
}

/** relu(batchNormCpu(...)) as the cpu backend's Relu (Math.max(0, v)): y, batch mean, batch variance. */
export function batchNormReluCpu(x: Float32Array, g: Float32Array, b: Float32Array, C: number, eps: number): [Float32Array, Float32Array, Float32Array] {
  const [y, mean, variance] = batchNormCpu(x, g, b, C, eps);
  for (let i = 0; i < y.length; ++i) y[i] = Math.max(0, y[i]);
  return [y, mean, variance];
}

/** batchNormGradCpu of dy * step(y) (step as the cpu backend's: NaN stays NaN), y the forward's relu'd output. */
export function batchNormReluGradCpu(x: Float32Array, g: Float32Array, y: Float32Array, dy: Float32Array, mean: Float32Array,
  variance: Float32Array, C: number, eps: number): [Float32Array, Float32Array, Float32Array] {
  const masked = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; ++i) masked[i] = dy[i] * (Number.isNaN(y[i]) ? NaN : y[i] > 0 ? 1 : 0);
  return batchNormGradCpu(x, g, masked, mean, variance, C, eps);
}

/** y = x * scale + shift over the last axis (C entries); no shift: y = x * scale. */
export function channelAffineCpu(x: Float32Array, scale: Float32Array, shift: Float32Array | null, C: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += C) {
    if (shift) for (let c = 0; c < C; ++c) y[o + c] = x[o + c] * scale[c] + shift[c];
    else for (let c = 0; c < C; ++c) y[o + c] = x[o + c] * scale[c];
  }
  return y;
}

/** [sum dy * x, sum dy] per channel (last axis, C entries) over every row. */
export function channelAffineGradCpu(dy: Float32Array, x: Float32Array, C: number): [Float32Array, Float32Array] {
  const sdx = new Float64Array(C), sdy = new Float64Array(C);
  for (let o = 0; o < x.length; o += C) {
    for (let c = 0; c < C; ++c) {
      sdx[c] += dy[o + c] * x[o + c];
      sdy[c] += dy[o + c];
    }
  }
  return [Float32Array.from(sdx), Float32Array.from(sdy)];
}

/** dx = y (dy - s), s = sum(dy y) per row of cols entries (s summed in double, then rounded to float32 as the composite's Sum). */
export function softmaxGradCpu(y: Float32Array, dy: Float32Array, cols: number): Float32Array {
  const dx = new Float32Array(y.length);
  for (let o = 0; o < y.length; o += cols) {
    let s = 0;
    for (let i = 0; i < cols; ++i) s += dy[o + i] * y[o + i];
    s = Math.fround(s);
    for (let i = 0; i < cols; ++i) dx[o + i] = y[o + i] * (dy[o + i] - s);
  }
  return dx;
}

/** [gy, gdy] = [a (dy - s) - r dy, y (a - r)], s = sum(dy y), r = sum(a y) per row: SoftmaxGrad's input adjoints. */
export function softmaxGradGradCpu(y: Float32Array, dy: Float32Array, a: Float32Array, cols: number): [Float32Array, Float32Array] {
  const gy = new Float32Array(y.length), gdy = new Float32Array(y.length);
  for (let o = 0; o < y.length; o += cols) {
    let s = 0, r = 0;
    for (let i = 0; i < cols; ++i) {
      s += dy[o + i] * y[o + i];
      r += a[o + i] * y[o + i];
    }
    s = Math.fround(s);
    r = Math.fround(r);
    for (let i = 0; i < cols; ++i) {
      gdy[o + i] = y[o + i] * (a[o + i] - r);
      gy[o + i] = a[o + i] * (dy[o + i] - s) - r * dy[o + i];
    }
  }
  return [gy, gdy];
}

const shapeText = (t: tf.TensorInfo) => `[${t.shape.join(',')}]`;

/**
 * Checks the inputs of ChannelAffine ({x, scale, shift?}: float32, scale and shift of shape [C], C the last axis
 * of x, rank >= 1) or ChannelAffineGrad ({dy, x}: float32, one shape); throws naming the kernel, the input, what
 * was found and what was expected.
 */
export function checkChannelAffineInputs(kernel: string, inputs: Record<string, tf.TensorInfo | undefined>): void {
  const x = inputs.x;
  if (!x) throw new Error(`${kernel}: input 'x' is missing`);
  if (x.shape.length < 1) throw new Error(`${kernel}: input 'x' has shape [] (a scalar), expected rank >= 1 with channels on the last axis`);
  const C = x.shape[x.shape.length - 1]!;
  for (const [name, t] of Object.entries(inputs)) {
    if (t === undefined) continue;
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' has dtype ${t.dtype}, expected float32`);
    if ((name === 'scale' || name === 'shift') && (t.shape.length !== 1 || t.shape[0] !== C))
      throw new Error(`${kernel}: input '${name}' has shape ${shapeText(t)}, expected [${C}] (the last axis of x ${shapeText(x)})`);
    if (name === 'dy' && t.shape.join() !== x.shape.join())
      throw new Error(`${kernel}: input 'dy' has shape ${shapeText(t)}, expected the shape of x ${shapeText(x)}`);
  }
  if (kernel === CHANNEL_AFFINE && !inputs.scale) throw new Error(`${kernel}: input 'scale' is missing`);
  if (kernel === CHANNEL_AFFINE_GRAD && !inputs.dy) throw new Error(`${kernel}: input 'dy' is missing`);
}

/**
 * Checks the inputs of LayerNormGradGrad: x, gamma, dy, a present and float32 (ag, ab optional), x of rank >= 1,
 * dy and a of x's shape, gamma, ag and ab of C entries (C the last axis of x); throws naming the input.
 */
export function checkLayerNormGradGradInputs(inputs: Record<string, tf.TensorInfo | undefined>): void {
  const kernel = LAYER_NORM_GRAD_GRAD;
  for (const name of ['x', 'gamma', 'dy', 'a']) if (!inputs[name]) throw new Error(`${kernel}: input '${name}' is missing`);
  const x = inputs.x!;
  if (x.shape.length < 1) throw new Error(`${kernel}: input 'x' has shape [] (a scalar), expected rank >= 1`);
  const C = x.shape[x.shape.length - 1]!;
  for (const [name, t] of Object.entries(inputs)) {
    if (t === undefined) continue;
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' has dtype ${t.dtype}, expected float32`);
    if ((name === 'dy' || name === 'a') && t.shape.join() !== x.shape.join())
      throw new Error(`${kernel}: input '${name}' has shape ${shapeText(t)}, expected the shape of x ${shapeText(x)}`);
    if ((name === 'gamma' || name === 'ag' || name === 'ab') && tf.util.sizeFromShape(t.shape) !== C)
      throw new Error(`${kernel}: input '${name}' has shape ${shapeText(t)}, expected ${C} entries (the last axis of x ${shapeText(x)})`);
  }
}

/**
 * Checks the inputs of BatchNormRelu ({x, gamma, beta}) or BatchNormReluGrad ({x, gamma, y, dy, mean, variance}):
 * all float32, x of rank >= 2 with C > 0 channels on the last axis, gamma, beta, mean and variance of shape [C], y and
 * dy of x's shape; throws naming the kernel, the input, what was found and what was expected.
 */
export function checkBatchNormReluInputs(kernel: string, inputs: Record<string, tf.TensorInfo | undefined>): void {
  const names = kernel === BATCH_NORM_RELU ? ['x', 'gamma', 'beta'] : ['x', 'gamma', 'y', 'dy', 'mean', 'variance'];
  for (const name of names) if (!inputs[name]) throw new Error(`${kernel}: input '${name}' is missing`);
  const x = inputs.x!;
  if (x.shape.length < 2)
    throw new Error(`${kernel}: input 'x' has shape ${shapeText(x)}, expected rank >= 2 (rows of channels, channels on the last axis)`);
  const C = x.shape[x.shape.length - 1]!;
  if (C < 1) throw new Error(`${kernel}: input 'x' has shape ${shapeText(x)}, expected at least one channel on the last axis`);
  for (const name of names) {
    const t = inputs[name]!;
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' has dtype ${t.dtype}, expected float32`);
    if ((name === 'y' || name === 'dy') && t.shape.join() !== x.shape.join())
      throw new Error(`${kernel}: input '${name}' has shape ${shapeText(t)}, expected the shape of x ${shapeText(x)}`);
    if (name !== 'x' && name !== 'y' && name !== 'dy' && (t.shape.length !== 1 || t.shape[0] !== C))
      throw new Error(`${kernel}: input '${name}' has shape ${shapeText(t)}, expected [${C}] (the last axis of x ${shapeText(x)})`);
  }
}

/** One AdamW step in float32, operation for operation as the composite in src/train/adamw.ts. */
export function adamwCpu(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, a: AdamWAttrs): [Float32Array, Float32Array, Float32Array] {
  const n = p.length, po = new Float32Array(n), mo = new Float32Array(n), vo = new Float32Array(n);
  const f = Math.fround;
  const b1 = f(a.beta1), b2 = f(a.beta2), c1 = f(1 - a.beta1), c2 = f(1 - a.beta2), eps = f(a.eps), ss = f(a.stepSize), bc2 = f(a.bc2Sqrt), keep = f(1 - a.decay);
  for (let i = 0; i < n; ++i) {
    const mi = f(f(m[i] * b1) + f(g[i] * c1));
    const vi = f(f(v[i] * b2) + f(f(g[i] * g[i]) * c2));
    const denom = f(f(f(Math.sqrt(vi)) / bc2) + eps);
    const base = a.decay > 0 ? f(p[i] * keep) : p[i];
    po[i] = base - f(f(mi / denom) * ss);
    mo[i] = mi;
    vo[i] = vi;
  }
  return [po, mo, vo];
}

// ---- kernel configs for the cpu backend ----

type Cpu = MathBackendCPU;
const f32 = (b: Cpu, t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
const last = (t: tf.TensorInfo) => t.shape[t.shape.length - 1];

function cpuConfigs(): tf.KernelConfig[] {
  return [
    {
      kernelName: LAYER_NORM, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const y = layerNormCpu(f32(b, x), f32(b, gamma), f32(b, beta), last(x), (attrs as { epsilon: number }).epsilon);
        return b.makeTensorInfo(x.shape, 'float32', y);
      },
    },
    {
      kernelName: LAYER_NORM_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, gamma, dy } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const [dx, dg, db] = layerNormGradCpu(f32(b, x), f32(b, gamma), f32(b, dy), last(x), (attrs as { epsilon: number }).epsilon);
        return [b.makeTensorInfo(x.shape, 'float32', dx), b.makeTensorInfo([last(x)], 'float32', dg), b.makeTensorInfo([last(x)], 'float32', db)];
      },
    },
    {
      kernelName: LAYER_NORM_GRAD_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const ins = inputs as Record<string, tf.TensorInfo | undefined>;
        checkLayerNormGradGradInputs(ins);
        const b = backend as Cpu;
        const x = ins.x!;
        const opt = (t: tf.TensorInfo | undefined) => (t ? f32(b, t) : null);
        const [gx, gg, gdy] = layerNormGradGradCpu(f32(b, x), f32(b, ins.gamma!), f32(b, ins.dy!), f32(b, ins.a!), opt(ins.ag), opt(ins.ab),
          last(x), (attrs as { epsilon: number }).epsilon);
        return [b.makeTensorInfo(x.shape, 'float32', gx), b.makeTensorInfo([last(x)], 'float32', gg), b.makeTensorInfo(x.shape, 'float32', gdy)];
      },
    },
    {
      kernelName: BATCH_NORM, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const C = last(x);
        const [y, m, v] = batchNormCpu(f32(b, x), f32(b, gamma), f32(b, beta), C, (attrs as { epsilon: number }).epsilon);
        return [b.makeTensorInfo(x.shape, 'float32', y), b.makeTensorInfo([C], 'float32', m), b.makeTensorInfo([C], 'float32', v)];
      },
    },
    {
      kernelName: BATCH_NORM_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, gamma, dy, mean, variance } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const C = last(x);
        const [dx, dg, db] = batchNormGradCpu(f32(b, x), f32(b, gamma), f32(b, dy), f32(b, mean), f32(b, variance), C, (attrs as { epsilon: number }).epsilon);
        return [b.makeTensorInfo(x.shape, 'float32', dx), b.makeTensorInfo([C], 'float32', dg), b.makeTensorInfo([C], 'float32', db)];
      },
    },
    {
      kernelName: BATCH_NORM_RELU, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        checkBatchNormReluInputs(BATCH_NORM_RELU, inputs as Record<string, tf.TensorInfo | undefined>);
        const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const C = last(x);
        const [y, m, v] = batchNormReluCpu(f32(b, x), f32(b, gamma), f32(b, beta), C, (attrs as { epsilon: number }).epsilon);
        return [b.makeTensorInfo(x.shape, 'float32', y), b.makeTensorInfo([C], 'float32', m), b.makeTensorInfo([C], 'float32', v)];
      },
    },
    {
      kernelName: BATCH_NORM_RELU_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        checkBatchNormReluInputs(BATCH_NORM_RELU_GRAD, inputs as Record<string, tf.TensorInfo | undefined>);
        const { x, gamma, y, dy, mean, variance } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const C = last(x);
        const [dx, dg, db] = batchNormReluGradCpu(f32(b, x), f32(b, gamma), f32(b, y), f32(b, dy), f32(b, mean), f32(b, variance), C,
          (attrs as { epsilon: number }).epsilon);
        return [b.makeTensorInfo(x.shape, 'float32', dx), b.makeTensorInfo([C], 'float32', dg), b.makeTensorInfo([C], 'float32', db)];
      },
    },
    {
      kernelName: ADAMW, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { p, g, m, v } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const outs = adamwCpu(f32(b, p), f32(b, g), f32(b, m), f32(b, v), attrs as unknown as AdamWAttrs);
        return outs.map((o) => b.makeTensorInfo(p.shape, 'float32', o));
      },
    },
    {
      kernelName: CHANNEL_AFFINE, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const ins = inputs as Record<string, tf.TensorInfo | undefined>;
        checkChannelAffineInputs(CHANNEL_AFFINE, ins);
        const b = backend as Cpu;
        const x = ins.x!;
        const y = channelAffineCpu(f32(b, x), f32(b, ins.scale!), ins.shift ? f32(b, ins.shift) : null, last(x));
        return b.makeTensorInfo(x.shape, 'float32', y);
      },
    },
    {
      kernelName: CHANNEL_AFFINE_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const ins = inputs as Record<string, tf.TensorInfo | undefined>;
        checkChannelAffineInputs(CHANNEL_AFFINE_GRAD, ins);
        const b = backend as Cpu;
        const x = ins.x!;
        const C = last(x);
        const [ds, dt] = channelAffineGradCpu(f32(b, ins.dy!), f32(b, x), C);
        return [b.makeTensorInfo([C], 'float32', ds), b.makeTensorInfo([C], 'float32', dt)];
      },
    },
    {
      kernelName: GELU, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const { x } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        return b.makeTensorInfo(x.shape, 'float32', geluCpu(f32(b, x)));
      },
    },
    {
      kernelName: GELU_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const { x, dy } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        return b.makeTensorInfo(x.shape, 'float32', geluGradCpu(f32(b, x), f32(b, dy)));
      },
    },
    {
      kernelName: GELU_GRAD_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const { x, dy, a } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const [gx, gdy] = geluGradGradCpu(f32(b, x), f32(b, dy), f32(b, a));
        return [b.makeTensorInfo(x.shape, 'float32', gx), b.makeTensorInfo(x.shape, 'float32', gdy)];
      },
    },
    {
      kernelName: SOFTMAX_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { y, dy } = inputs as Record<string, tf.TensorInfo>;
        const { cols } = softmaxGradLayout(SOFTMAX_GRAD, [y, dy], attrs);
        const b = backend as Cpu;
        return b.makeTensorInfo(y.shape, 'float32', softmaxGradCpu(f32(b, y), f32(b, dy), cols));
      },
    },
    {
      kernelName: SOFTMAX_GRAD_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { y, dy, a } = inputs as Record<string, tf.TensorInfo>;
        const { cols } = softmaxGradLayout(SOFTMAX_GRAD_GRAD, [y, dy, a], attrs);
        const b = backend as Cpu;
        const [gy, gdy] = softmaxGradGradCpu(f32(b, y), f32(b, dy), f32(b, a), cols);
        return [b.makeTensorInfo(y.shape, 'float32', gy), b.makeTensorInfo(y.shape, 'float32', gdy)];
      },
    },
    {
      kernelName: SILU, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const { x } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        return b.makeTensorInfo(x.shape, 'float32', siluCpu(f32(b, x)));
      },
    },
    {
      kernelName: SILU_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const { x, dy } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        return b.makeTensorInfo(x.shape, 'float32', siluGradCpu(f32(b, x), f32(b, dy)));
      },
    },
    {
      kernelName: SILU_GRAD_GRAD, backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const { x, dy, a } = inputs as Record<string, tf.TensorInfo>;
        const b = backend as Cpu;
        const [gx, gdy] = siluGradGradCpu(f32(b, x), f32(b, dy), f32(b, a));
        return [b.makeTensorInfo(x.shape, 'float32', gx), b.makeTensorInfo(x.shape, 'float32', gdy)];
      },
    },
  ];
}

// ---- first derivatives as differentiable ops (used by the gradients in ../gradients/fused-grad-kernels.ts) ----

/** d layerNorm as differentiable tf ops (the exact derivative of the composite in src/backend/fused-ops.ts). */
export function layerNormGradOps(x: tf.Tensor, gamma: tf.Tensor, dy: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const axis = x.rank - 1;
  const { mean, variance } = tf.moments(x, axis, true);
  const rstd = tf.rsqrt(tf.add(variance, eps));
  const xhat = tf.mul(tf.sub(x, mean), rstd);
  const g = tf.mul(dy, gamma);
  const dx = tf.mul(rstd, tf.sub(tf.sub(g, tf.mean(g, axis, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), axis, true))));
  const lead = [...Array(axis).keys()];
  return [dx, tf.sum(tf.mul(dy, xhat), lead), tf.sum(dy, lead)];
}

/** d batchNorm(training) / d(x, gamma, beta) applied to dy, as differentiable tf ops (statistics recomputed from x). */
export function batchNormGradOps(x: tf.Tensor, gamma: tf.Tensor, dy: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes, true);
  const rstd = tf.rsqrt(tf.add(variance, eps));
  const xhat = tf.mul(tf.sub(x, mean), rstd);
  const g = tf.mul(dy, gamma);
  const dx = tf.mul(rstd, tf.sub(tf.sub(g, tf.mean(g, axes, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), axes, true))));
  return [dx, tf.sum(tf.mul(dy, xhat), axes), tf.sum(dy, axes)];
}

/** ChannelAffine's [d scale, d shift] (sums of dy * x and dy over every axis but the last) as differentiable tf ops. */
export function channelAffineGradOps(dy: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const axes = [...Array(x.rank - 1).keys()];
  return [tf.sum(tf.mul(dy, x), axes), tf.sum(dy, axes)];
}

/** d gelu / dx as differentiable tf ops. */
export function geluDerivOps(x: tf.Tensor): tf.Tensor {
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 0.3989422804014327);
  return tf.add(cdf, tf.mul(x, pdf));
}

/** d silu / dx = s (1 + x (1 - s)), s = sigmoid(x), as differentiable tf ops. */
export function siluDerivOps(x: tf.Tensor): tf.Tensor {
  const s = tf.sigmoid(x);
  return tf.mul(s, tf.add(tf.mul(x, tf.sub(1, s)), 1));
}

let registered = false;

/** Registers the cpu kernels (idempotent). Their gradients live in ../gradients/fused-grad-kernels.ts. */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  for (const k of cpuConfigs()) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
}
