// Gradients of the fused first-order backward kernels ('VitscopeLayerNormGrad', 'VitscopeGeluGrad', 'VitscopeSiluGrad',
// 'VitscopeBatchNormGrad', 'VitscopeChannelAffineGrad'), and gradients of the fused forward kernels that always run those backward kernels
// ('VitscopeBatchNormRelu' runs its own first-order kernel when the tape is off, the BatchNorm and ReLU ones otherwise).
//
// Without these, a gradient that is itself differentiated (double backprop: exact Hessian-vector products)
// recorded the first backward pass of every layer norm / GELU / batch norm as a dozen composite tf ops, and the
// second backward pass differentiated each of them. Now the first backward pass stays one fused kernel and only
// the second one is composite: hand-derived formulas below, themselves built from differentiable ops (and the
// fused kernels, whose gradients are these), so a third differentiation still works. GELU's and SiLU's second
// backward pass is one fused kernel too when it is not itself recorded (VitscopeGeluGradGrad, VitscopeSiluGradGrad).
//
// Registered by src/backend/fused-ops.ts (after registerFusedKernels, replacing the gradients of
// src/backend/native/fused-kernels.ts). Not imported by ./index.ts: the kernel names and the composite fallbacks
// live in ../native/fused-kernels.ts, which imports ../tf.ts, which imports ./index.ts.
import { tf, recordingTape, runKernel, hostKernelTakes } from './tf-core.ts';
import { reluGrad } from './relu.ts';
import {
  BATCH_NORM,
  BATCH_NORM_GRAD,
  BATCH_NORM_RELU,
  BATCH_NORM_RELU_GRAD,
  CHANNEL_AFFINE,
  CHANNEL_AFFINE_GRAD,
  GELU,
  GELU_GRAD,
  GELU_GRAD_GRAD,
  LAYER_NORM,
  LAYER_NORM_GRAD,
  LAYER_NORM_GRAD_GRAD,
  SILU,
  SILU_GRAD,
  SILU_GRAD_GRAD,
  batchNormGradOps,
  channelAffineGradOps,
  geluDerivOps,
  layerNormGradOps,
  siluDerivOps,
} from '../native/fused-kernels.ts';
import { HOST_BACKENDS } from '../host-backends.ts';

const SQRT_2PI_INV = 0.3989422804014327;

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

let gradGradEnabled = true;

/**
 * Turns the fused second-derivative kernels of GELU and SiLU (VitscopeGeluGradGrad, VitscopeSiluGradGrad) off (false:
 * the composites, as before) or back on; returns the previous setting. For tests and profiling.
 */
export function setFusedActivationGradGradEnabled(enabled: boolean): boolean {
  const prev = gradGradEnabled;
  gradGradEnabled = enabled;
  return prev;
}

/**
 * [gx, gdy] from the one-pass kernel (GELU_GRAD_GRAD or SILU_GRAD_GRAD) where it applies: the tape off (the kernel
 * has no gradient; a recorded second derivative, for a third, stays composite), a host backend, float32. Else null.
 */
function fusedGradGrad(kernel: string, x: tf.Tensor, dy: tf.Tensor, a: tf.Tensor): [tf.Tensor, tf.Tensor] | null {
  if (!gradGradEnabled || recordingTape() || !hostKernelTakes(kernel, [x, dy, a])) return null;
  return runKernel<tf.Tensor>(kernel, { x, dy, a }, {}) as unknown as [tf.Tensor, tf.Tensor];
}

let fusedLayerNormGradGrad = true;

/**
 * Turns the fused LayerNormGrad gradient (VitscopeLayerNormGradGrad) off (false: the composite, as before) or back
 * on; returns the previous setting. For tests and profiling: setFusedKernelsEnabled switches the forward kernels, so
 * it cannot compare the two second derivatives of one and the same first backward pass.
 */
export function setFusedLayerNormGradGradEnabled(enabled: boolean): boolean {
  const prev = fusedLayerNormGradGrad;
  fusedLayerNormGradGrad = enabled;
  return prev;
}

function epsOf(attrs: tf.NamedAttrMap): number {
  return (attrs as unknown as { epsilon: number }).epsilon;
}

/** t reshaped to like's shape; t itself when the shapes already agree (a Reshape kernel less, on the tape too). */
function shapedLike(t: tf.Tensor, like: tf.Tensor): tf.Tensor {
  return tf.util.arraysEqual(t.shape, like.shape) ? t : tf.reshape(t, like.shape);
}

function addOpt(a: tf.Tensor | null, b: tf.Tensor): tf.Tensor {
  return a === null ? b : tf.add(a, b);
}


/**
 * Whether a small adjoint is exactly zero. The engine hands a multi-output kernel's gradient zeros (not null) for
 * outputs the loss does not use, e.g. the batch statistics of a training step that leaves the running averages
 * alone; their terms would cost four full-size passes per BatchNorm for nothing. Read only on host backends, and
 * only when the tape is off: a recorded adjoint that is zero here may still have a derivative.
 */
function knownZero(t: tf.Tensor | null): boolean {
  if (t === null) return true;
  if (t.size > 4096 || recordingTape() || !HOST_BACKENDS.has(tf.getBackend())) return false;
  const v = t.dataSync();
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

// ---- forward kernels: the fused backward kernel whether or not the tape records ----

const layerNormGrad: tf.GradConfig = {
  kernelName: LAYER_NORM,
  inputsToSave: ['x', 'gamma', 'beta'],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma, beta] = saved;
    const eps = epsOf(attrs);
    const d = dy as tf.Tensor;
    const [dx, dg, db] = hasKernel(LAYER_NORM_GRAD)
      ? runKernel<tf.Tensor>(LAYER_NORM_GRAD, { x, gamma, dy: d }, { epsilon: eps }) as unknown as tf.Tensor[]
      : layerNormGradOps(x, gamma, d, eps);
    return { x: () => dx, gamma: () => shapedLike(dg, gamma), beta: () => shapedLike(db, beta) };
  },
};

const geluGrad: tf.GradConfig = {
  kernelName: GELU,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const d = dy as tf.Tensor;
    if (hasKernel(GELU_GRAD)) return { x: () => runKernel<tf.Tensor>(GELU_GRAD, { x, dy: d }, {}) };
    return { x: () => tf.mul(d, geluDerivOps(x)) };
  },
};

const siluGrad: tf.GradConfig = {
  kernelName: SILU,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const d = dy as tf.Tensor;
    if (hasKernel(SILU_GRAD)) return { x: () => runKernel<tf.Tensor>(SILU_GRAD, { x, dy: d }, {}) };
    return { x: () => tf.mul(d, siluDerivOps(x)) };
  },
};

// ---- the backward kernels ----

/**
 * LayerNormGrad(x, gamma, dy) = [dx, dgamma, dbeta] over the last axis (n entries per row), with
 * r = 1/sqrt(var + eps), xh = (x - mean) r, g = dy gamma, P u = u - mean(u) - xh mean(u xh) (symmetric):
 *   dx = r P g,   dgamma = sum_rows dy xh,   dbeta = sum_rows dy.
 * Adjoints A (of dx), Ag (of dgamma), Ab (of dbeta); the products below are what they multiply:
 *   d/d dy    = gamma r P A + Ag xh + Ab
 *   d/d gamma = sum_rows dy r P A
 *   d/d x     = r P G - (r/n) (A . dx) xh, per row, where G = Ag dy - r (A m2 + g (A . xh) / n), m2 = mean(g xh),
 *               is the adjoint of xh at fixed r, and the last term carries the dependence of r on x.
 * r P u is LayerNormGrad(x, 1, u)[0] and r P (dy Ag) is LayerNormGrad(x, Ag, dy)[0]; with r P g = dx,
 *   d/d x     = LayerNormGrad(x, Ag, dy)[0] - r m2 rPA - (r (A . xh) / n) dx - (r (A . dx) / n) xh,   rPA = r P A.
 * Off the tape (a Hessian-vector product's second backward pass) all three come from the one fused
 * LayerNormGradGrad kernel, run here (not in a thunk, whose tidy would dispose the other outputs): the statistics
 * and the row sums (mean(g), m2, mean(A), A . xh, A . g and, with Ag, mean(dy Ag), mean(dy Ag xh); A . dx follows
 * from them) in two passes per row and the outputs in one more, instead of ~20 composite ops. It recomputes dx
 * rather than reading the saved output. Recorded (third order), on other backends or with A null: the composite.
 */
const layerNormGradGrad: tf.GradConfig = {
  kernelName: LAYER_NORM_GRAD,
  inputsToSave: ['x', 'gamma', 'dy'],
  outputsToSave: [true, false, false],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, dy, savedDx] = saved;
    const eps = epsOf(attrs);
    const [A, Ag, Ab] = dys as (tf.Tensor | null)[];
    if (A && fusedLayerNormGradGrad && !recordingTape() && hasKernel(LAYER_NORM_GRAD_GRAD) &&
      [x, gamma, dy, A, Ag, Ab].every((t) => t === null || t === undefined || t.dtype === 'float32')) {
      // the engine hands zeros for unused outputs, so Ag and Ab are rarely null; null ones are left out (zero)
      const inputs: tf.NamedTensorMap = { x, gamma, dy, a: A };
      if (Ag) inputs.ag = Ag;
      if (Ab) inputs.ab = Ab;
      const [gx, gg, gdy] = runKernel<tf.Tensor>(LAYER_NORM_GRAD_GRAD, inputs, { epsilon: eps }) as unknown as tf.Tensor[];
      return { x: () => gx!, gamma: () => shapedLike(gg!, gamma), dy: () => gdy! };
    }
    const axis = x.rank - 1;
    const n = x.shape[axis]!;
    const lead = [...Array(axis).keys()];
    const gam = tf.reshape(gamma, [n]);
    const lnGrad = (g: tf.Tensor, u: tf.Tensor): tf.Tensor =>
      (runKernel<tf.Tensor>(LAYER_NORM_GRAD, { x, gamma: g, dy: u }, { epsilon: eps }) as unknown as tf.Tensor[])[0]!;
    const { mean, variance } = tf.moments(x, axis, true);
    const r = tf.rsqrt(tf.add(variance, eps));
    const xh = tf.mul(tf.sub(x, mean), r);
    let dDy: tf.Tensor | null = null;
    let dGamma: tf.Tensor | null = null;
    let dX: tf.Tensor | null = null;
    if (Ag) {
      const ag = tf.reshape(Ag, [n]);
      dDy = tf.mul(xh, ag);
      dX = lnGrad(ag, dy);
    }
    if (A) {
      const rPA = lnGrad(tf.onesLike(gam), A);
      dDy = addOpt(dDy, tf.mul(rPA, gam));
      dGamma = tf.sum(tf.mul(rPA, dy), lead);
      const m2 = tf.mean(tf.mul(tf.mul(dy, gam), xh), axis, true);
      const p = tf.sum(tf.mul(A, xh), axis, true);
      // the first output, recomputed when this gradient is itself recorded (a saved output is a constant there)
      const dx = recordingTape() ? lnGrad(gamma, dy) : savedDx!;
      const aDx = tf.sum(tf.mul(A, dx), axis, true);
      const rn = tf.div(r, n);
      const terms = tf.add(tf.add(tf.mul(rPA, tf.mul(r, m2)), tf.mul(dx, tf.mul(rn, p))), tf.mul(xh, tf.mul(rn, aDx)));
      dX = dX === null ? tf.neg(terms) : tf.sub(dX, terms);
    }
    if (Ab) dDy = addOpt(dDy, tf.reshape(Ab, [n]));
    return {
      x: () => dX ?? tf.zerosLike(x),
      gamma: () => (dGamma === null ? tf.zerosLike(gamma) : shapedLike(dGamma, gamma)),
      dy: () => (dDy === null ? tf.zerosLike(dy) : tf.broadcastTo(dDy, dy.shape)),
    };
  },
};

/**
 * GeluGrad(x, dy) = dy gelu'(x), gelu'(x) = Phi(x) + x phi(x) (phi the standard normal density, as the erf
 * gradient of tfjs-core and geluDerivOps use). Adjoint A: d/d dy = A gelu'(x) = GeluGrad(x, A),
 * d/dx = A dy gelu''(x), gelu''(x) = phi(x) (2 - x^2). Off the tape both come from one fused pass (run here:
 * a thunk's tidy would dispose the other output); recorded, they stay differentiable ops.
 */
const geluGradGrad: tf.GradConfig = {
  kernelName: GELU_GRAD,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddx, saved) => {
    const [x, dy] = saved;
    const A = ddx as tf.Tensor;
    const fused = fusedGradGrad(GELU_GRAD_GRAD, x, dy, A);
    if (fused) return { x: () => fused[0], dy: () => fused[1] };
    return {
      dy: () => runKernel<tf.Tensor>(GELU_GRAD, { x, dy: A }, {}),
      x: () => {
        const x2 = tf.square(x);
        const pdf = tf.exp(tf.mul(x2, -0.5));
        const second = tf.mul(pdf, tf.sub(2, x2));
        return tf.mul(tf.mul(A, dy), tf.mul(second, SQRT_2PI_INV));
      },
    };
  },
};

/**
 * SiluGrad(x, dy) = dy silu'(x), silu'(x) = s (1 + x (1 - s)), s = sigmoid(x). Adjoint A: d/d dy = SiluGrad(x, A),
 * d/dx = A dy silu''(x), silu''(x) = s (1 - s) (2 + x (1 - 2 s)). One fused pass off the tape, as geluGradGrad.
 */
const siluGradGrad: tf.GradConfig = {
  kernelName: SILU_GRAD,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddx, saved) => {
    const [x, dy] = saved;
    const A = ddx as tf.Tensor;
    const fused = fusedGradGrad(SILU_GRAD_GRAD, x, dy, A);
    if (fused) return { x: () => fused[0], dy: () => fused[1] };
    return {
      dy: () => runKernel<tf.Tensor>(SILU_GRAD, { x, dy: A }, {}),
      x: () => {
        const s = tf.sigmoid(x);
        const second = tf.mul(tf.mul(s, tf.sub(1, s)), tf.add(tf.mul(x, tf.sub(1, tf.mul(s, 2))), 2));
        return tf.mul(tf.mul(A, dy), second);
      },
    };
  },
};

/**
 * BatchNormGrad(x, gamma, dy, mean, variance) = [dx, dgamma, dbeta]: layerNormGrad's formulas with the
 * statistics over every axis but the last (per channel) instead of over the last axis. The mean and variance
 * inputs are always the batch statistics of x (the forward kernel's outputs, which the tape saved as clones
 * unconnected to x), so their dependence on x is differentiated through x here and they get zero gradients.
 * Differentiated as the composite batchNormGradOps (statistics recomputed from x).
 */
const batchNormGradGrad: tf.GradConfig = {
  kernelName: BATCH_NORM_GRAD,
  inputsToSave: ['x', 'gamma', 'dy', 'mean', 'variance'],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, dy, mean, variance] = saved;
    const eps = epsOf(attrs);
    const [A, Ag, Ab] = dys as (tf.Tensor | null)[];
    const C = x.shape[x.rank - 1]!;
    const axes = [...Array(x.rank - 1).keys()];
    const rows = x.size / Math.max(1, C);
    const gam = tf.reshape(gamma, [C]);
    const mu = tf.mean(x, axes, true);
    const v = tf.mean(tf.square(tf.sub(x, mu)), axes, true);
    const r = tf.rsqrt(tf.add(v, eps));
    const xh = tf.mul(tf.sub(x, mu), r);
    // r P u over the rows of each channel
    const rP = (u: tf.Tensor): tf.Tensor => tf.mul(r, tf.sub(tf.sub(u, tf.mean(u, axes, true)), tf.mul(xh, tf.mean(tf.mul(u, xh), axes, true))));
    let dDy: tf.Tensor | null = null;
    let dGamma: tf.Tensor | null = null;
    let G: tf.Tensor | null = null;
    let corr: tf.Tensor | null = null;
    if (A) {
      const rPA = rP(A);
      dDy = tf.mul(rPA, gam);
      dGamma = tf.sum(tf.mul(rPA, dy), axes);
      const g = tf.mul(dy, gam);
      const m2 = tf.mean(tf.mul(g, xh), axes, true);
      const p = tf.sum(tf.mul(A, xh), axes, true);
      G = tf.neg(tf.mul(tf.add(tf.mul(A, m2), tf.mul(g, tf.div(p, rows))), r));
      const dx = rP(g);
      const aDx = tf.sum(tf.mul(A, dx), axes, true);
      corr = tf.mul(xh, tf.mul(aDx, tf.div(r, rows)));
    }
    if (Ag) {
      const ag = tf.reshape(Ag, [C]);
      dDy = addOpt(dDy, tf.mul(xh, ag));
      G = addOpt(G, tf.mul(dy, ag));
    }
    if (Ab) dDy = addOpt(dDy, tf.reshape(Ab, [C]));
    let dX: tf.Tensor | null = G === null ? null : rP(G);
    if (corr) dX = dX === null ? tf.neg(corr) : tf.sub(dX, corr);
    return {
      x: () => dX ?? tf.zerosLike(x),
      gamma: () => (dGamma === null ? tf.zerosLike(gamma) : shapedLike(dGamma, gamma)),
      dy: () => (dDy === null ? tf.zerosLike(dy) : tf.broadcastTo(dDy, dy.shape)),
      mean: () => tf.zerosLike(mean),
      variance: () => tf.zerosLike(variance),
    };
  },
};

/** The forward batch norm's gradient, always through the fused backward kernel where the backend has it. */
const batchNormGrad: tf.GradConfig = {
  kernelName: BATCH_NORM,
  inputsToSave: ['x', 'gamma', 'beta'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, beta, mean, variance] = saved;
    const eps = epsOf(attrs);
    const [dy, dMean, dVar] = dys as tf.Tensor[];
    const parts = hasKernel(BATCH_NORM_GRAD)
      ? (runKernel<tf.Tensor>(BATCH_NORM_GRAD, { x, gamma, dy, mean, variance }, { epsilon: eps }) as unknown as tf.Tensor[])
      : batchNormGradOps(x, gamma, dy, eps);
    const dx = withStatisticsAdjoints(parts[0]!, x, mean, dMean, dVar);
    return { x: () => dx, gamma: () => shapedLike(parts[1]!, gamma), beta: () => shapedLike(parts[2]!, beta) };
  },
};

/**
 * dx plus what the batch statistics (outputs of the training forward kernels too) contribute through their adjoints:
 * d mean/dx = 1/n, d var/dx = 2 (x - mean) / n (differentiable ops); an adjoint known to be zero adds nothing.
 */
function withStatisticsAdjoints(dx: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, dMean: tf.Tensor, dVar: tf.Tensor): tf.Tensor {
  const axes = [...Array(x.rank - 1).keys()];
  const n = x.size / Math.max(1, x.shape[x.rank - 1]!);
  let out = dx;
  if (!knownZero(dMean)) out = tf.add(out, tf.div(dMean, n));
  if (!knownZero(dVar)) {
    const m = recordingTape() ? tf.mean(x, axes) : mean;
    out = tf.add(out, tf.mul(tf.sub(x, m), tf.mul(dVar, 2 / n)));
  }
  return out;
}

/**
 * relu(batchNorm(x)) with outputs [y, mean, variance]. Tape off (an ordinary training step): the one fused
 * BatchNormReluGrad kernel, the mask step(y) applied as it reads dy. Tape on (a gradient to be differentiated
 * again): ReLU's gradient (mask off the tape) then BatchNorm's, each twice differentiable already, so second
 * derivatives are those of the composite with no formulas of their own. step(y) = step(x's pre-activation), y >= 0.
 */
const batchNormReluGrad: tf.GradConfig = {
  kernelName: BATCH_NORM_RELU,
  inputsToSave: ['x', 'gamma', 'beta'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, beta, y, mean, variance] = saved;
    const eps = epsOf(attrs);
    const [dy, dMean, dVar] = dys as tf.Tensor[];
    let parts: tf.Tensor[];
    if (!recordingTape() && hasKernel(BATCH_NORM_RELU_GRAD)) {
      parts = runKernel<tf.Tensor>(BATCH_NORM_RELU_GRAD, { x, gamma, y, dy, mean, variance }, { epsilon: eps }) as unknown as tf.Tensor[];
    } else {
      const masked = reluGrad(dy, y);
      parts = hasKernel(BATCH_NORM_GRAD)
        ? (runKernel<tf.Tensor>(BATCH_NORM_GRAD, { x, gamma, dy: masked, mean, variance }, { epsilon: eps }) as unknown as tf.Tensor[])
        : batchNormGradOps(x, gamma, masked, eps);
    }
    const dx = withStatisticsAdjoints(parts[0]!, x, mean, dMean, dVar);
    return { x: () => dx, gamma: () => shapedLike(parts[1]!, gamma), beta: () => shapedLike(parts[2]!, beta) };
  },
};

// ---- channel affine: y = x * scale + shift per channel; the pair is closed under differentiation ----

/** ChannelAffine(x, scale, shift?) where the backend has it, the composite otherwise (shift null: none). */
function affine(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor | null): tf.Tensor {
  const C = x.shape[x.rank - 1]!;
  // adjoints and saved scales are usually [C] already: no Reshape kernel for them (nor one on the tape)
  const asC = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [C]));
  const s = asC(scale);
  if (hasKernel(CHANNEL_AFFINE)) return runKernel<tf.Tensor>(CHANNEL_AFFINE, shift === null ? { x, scale: s } : { x, scale: s, shift: asC(shift) }, {});
  const y = tf.mul(x, s);
  return shift === null ? y : tf.add(y, asC(shift));
}

/** [sum dy * x, sum dy] per channel: ChannelAffineGrad where the backend has it, the composite otherwise. */
function affineSums(dy: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (hasKernel(CHANNEL_AFFINE_GRAD)) return runKernel<tf.Tensor>(CHANNEL_AFFINE_GRAD, { dy, x }, {}) as unknown as [tf.Tensor, tf.Tensor];
  return channelAffineGradOps(dy, x);
}

/**
 * ChannelAffine(x, scale, shift): dx = ChannelAffine(dy, scale), [dscale, dshift] = ChannelAffineGrad(dy, x).
 * The sums run in the gradient function itself (one kernel gives both; a thunk's tidy would dispose the other).
 */
const channelAffineGrad: tf.GradConfig = {
  kernelName: CHANNEL_AFFINE,
  inputsToSave: ['x', 'scale'],
  gradFunc: (dy, saved) => {
    const [x, scale] = saved;
    const d = dy as tf.Tensor;
    const [dScale, dShift] = affineSums(d, x);
    return { x: () => affine(d, scale, null), scale: () => dScale, shift: () => dShift };
  },
};

/**
 * ChannelAffineGrad(dy, x) = [sum dy x, sum dy] with adjoints a and b (C entries each):
 *   d/d dy = a x + b = ChannelAffine(x, a, b),   d/d x = a dy = ChannelAffine(dy, a).
 * A zero adjoint (knownZero: the engine's zeros for an unused output) drops its term, so no full-size pass
 * multiplies by zeros.
 */
const channelAffineGradGrad: tf.GradConfig = {
  kernelName: CHANNEL_AFFINE_GRAD,
  inputsToSave: ['dy', 'x'],
  gradFunc: (dys, saved) => {
    const [dy, x] = saved;
    const [a, b] = dys as (tf.Tensor | null)[];
    const aZero = knownZero(a), bZero = knownZero(b);
    const C = x.shape[x.rank - 1]!;
    return {
      dy: () => {
        if (!aZero) return affine(x, a!, bZero ? null : b);
        return bZero ? tf.zerosLike(dy) : tf.broadcastTo(tf.reshape(b!, [C]), dy.shape);
      },
      x: () => (aZero ? tf.zerosLike(x) : affine(dy, a!, null)),
    };
  },
};

/** Every gradient this file registers. */
export const FUSED_GRADIENTS: readonly tf.GradConfig[] = [
  layerNormGrad, layerNormGradGrad, geluGrad, geluGradGrad, siluGrad, siluGradGrad, batchNormGrad, batchNormGradGrad, batchNormReluGrad, channelAffineGrad,
  channelAffineGradGrad,
];

/** Registers them, replacing the gradients src/backend/native/fused-kernels.ts registered. Idempotent. */
export function registerFusedGradients(): void {
  for (const config of FUSED_GRADIENTS) if (tf.getGradient(config.kernelName) !== config) tf.registerGradient(config);
}
