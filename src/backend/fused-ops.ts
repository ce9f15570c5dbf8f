// Composite ops that models call by name so that a backend can replace them with one fused kernel
// (see src/backend/native). Whatever runs underneath, each must stay twice differentiable.
// The fused kernels ('VitscopeLayerNorm', 'VitscopeGelu', 'VitscopeSilu', 'VitscopeBatchNorm', 'VitscopeBatchNormRelu', 'VitscopeChannelAffine', registered for
// the cpu and native backends) compute the same formulas. Their gradients run the fused backward kernels, under double backprop too:
// the backward kernels have gradients of their own (src/backend/gradients/fused-grad-kernels.ts), so only the
// second backward pass of a Hessian-vector product is composite. Other backends run the composites below.
import { tf } from './tf.ts';
import { ADAMW, BATCH_NORM, BATCH_NORM_RELU, CHANNEL_AFFINE, GELU, LAYER_NORM, SILU, registerFusedKernels, type AdamWAttrs } from './native/fused-kernels.ts';
import { registerFusedGradients } from './gradients/fused-grad-kernels.ts';

/** The switch for LayerNormGrad's fused gradient kernel (VitscopeLayerNormGradGrad; cpu and native). */
export { setFusedLayerNormGradGradEnabled } from './gradients/fused-grad-kernels.ts';

/** The switch for Softmax's fused gradient kernels (VitscopeSoftmaxGrad, VitscopeSoftmaxGradGrad; cpu and native). */
export { setFusedSoftmaxGradEnabled } from './gradients/softmax.ts';
/** The switch for GELU's and SiLU's fused second-derivative kernels (VitscopeGeluGradGrad, VitscopeSiluGradGrad). */
export { setFusedActivationGradGradEnabled } from './gradients/fused-grad-kernels.ts';

registerFusedKernels();
registerFusedGradients();

let fusionEnabled = true;

/** Turns the fused kernels off (true) or back on; returns the previous setting. For tests and profiling. */
export function setFusedKernelsEnabled(enabled: boolean): boolean {
  const prev = fusionEnabled;
  fusionEnabled = enabled;
  return prev;
}

function fusedAvailable(kernel: string): boolean {
  return fusionEnabled && tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/** Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  const C = x.shape[x.rank - 1];
  if (
    x.rank > 0 && x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32' &&
    gamma.size === C && beta.size === C && gamma.shape[gamma.rank - 1] === C && beta.shape[beta.rank - 1] === C &&
    gamma.rank <= x.rank && beta.rank <= x.rank && fusedAvailable(LAYER_NORM)
  ) {
    return tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return layerNormComposite(x, gamma, beta, epsilon);
}

/** The composite definition of layerNorm (the reference the fused kernel must match). */
export function layerNormComposite(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const { mean, variance } = tf.moments(x, axis, true);
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normed, gamma), beta);
  });
}

/** GELU, exact form 0.5 x (1 + erf(x / sqrt 2)) as in timm's ViT. */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && fusedAvailable(GELU)) return tf.engine().runKernel(GELU, { x }, {}) as tf.Tensor;
  return geluComposite(x);
}

/** The composite definition of gelu. */
export function geluComposite(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** SiLU (swish) x * sigmoid(x), as torch.nn.SiLU (MobileViT's activation). */
export function silu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && fusedAvailable(SILU)) return tf.engine().runKernel(SILU, { x }, {}) as tf.Tensor;
  return siluComposite(x);
}

/** The composite definition of silu. */
export function siluComposite(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/**
 * Training-mode batch normalisation of channels-last x (NHWC, or any rank with channels on the last axis): batch
 * statistics over every axis but the last, y = (x - mean) * rsqrt(variance + eps) * gamma + beta, variance as
 * tf.moments (biased). Returns the statistics too (for running averages); all three are differentiable.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon = 1e-5,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const C = x.shape[x.rank - 1];
  if (
    x.rank > 1 && x.size > 0 && x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32' &&
    gamma.size === C && beta.size === C && fusedAvailable(BATCH_NORM)
  ) {
    return runBatchNormKernel(BATCH_NORM, x, gamma, beta, epsilon);
  }
  return batchNormTrainingComposite(x, gamma, beta, epsilon);
}

/** A training BatchNorm kernel ({x, gamma, beta} -> [y, mean, variance]) with gamma and beta as [C]. */
function runBatchNormKernel(kernel: string, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const C = x.shape[x.rank - 1]!;
  // parameters are stored as [C]: no Reshape kernels (and none in the backward pass) when they already are
  const asC = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [C]));
  const [y, mean, variance] = tf.engine().runKernel(kernel, { x, gamma: asC(gamma), beta: asC(beta) },
    { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { y: y!, mean: mean!, variance: variance! };
}

/** The composite definition of batchNormTraining. */
export function batchNormTrainingComposite(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon = 1e-5,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.tidy(() => tf.add(tf.mul(tf.sub(x, mean), tf.mul(tf.rsqrt(tf.add(variance, epsilon)), gamma)), beta));
  return { y, mean, variance };
}

/**
 * relu(batchNormTraining(x, gamma, beta, eps).y) with the batch statistics: one fused pass where the backend has
 * 'VitscopeBatchNormRelu' (and one fused backward pass in an ordinary gradient), the composite otherwise; equal to
 * float32 rounding either way, twice differentiable. x: rank >= 2, channels (C) on the last axis; gamma and beta:
 * C entries ([C] or [1, ..., 1, C]). Throws naming the argument when a shape does not fit.
 */
export function batchNormReluTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon = 1e-5,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  if (x.rank < 2) throw new Error(`batchNormReluTraining: x has shape [${x.shape.join(',')}], expected rank >= 2 with channels on the last axis`);
  const C = x.shape[x.rank - 1]!;
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    const fits = t.size === C && t.rank >= 1 && t.rank <= x.rank && t.shape[t.rank - 1] === C;
    if (!fits) throw new Error(`batchNormReluTraining: ${name} has shape [${t.shape.join(',')}], expected [${C}] (the last axis of x [${x.shape.join(',')}])`);
  }
  if (x.size > 0 && x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32' && fusedAvailable(BATCH_NORM_RELU)) {
    return runBatchNormKernel(BATCH_NORM_RELU, x, gamma, beta, epsilon);
  }
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, epsilon);
  const out = { y: tf.relu(y), mean, variance };
  y.dispose();
  return out;
}

/**
 * y = x * scale + shift per channel: x of any rank >= 1 with channels on the last axis (C), scale and shift of C
 * entries ([C], or [1, ..., 1, C] of rank <= x's). Evaluation-mode BatchNorm with scale = gamma * rsqrt(var + eps),
 * shift = beta - mean * scale. Fused (one pass, and its derivatives of every order fused too) where the backend has
 * the kernel; throws naming the argument when a shape does not fit.
 */
export function channelAffine(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  if (x.rank < 1) throw new Error(`channelAffine: x has shape [] (a scalar), expected rank >= 1 with channels on the last axis`);
  const C = x.shape[x.rank - 1]!;
  for (const [name, t] of [['scale', scale], ['shift', shift]] as const) {
    const fits = t.size === C && t.rank >= 1 && t.rank <= x.rank && t.shape[t.rank - 1] === C;
    if (!fits) throw new Error(`channelAffine: ${name} has shape [${t.shape.join(',')}], expected [${C}] (the last axis of x [${x.shape.join(',')}])`);
  }
  if (x.dtype === 'float32' && scale.dtype === 'float32' && shift.dtype === 'float32' && fusedAvailable(CHANNEL_AFFINE)) {
    const flat = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [C]));
    return tf.tidy(() => tf.engine().runKernel(CHANNEL_AFFINE, { x, scale: flat(scale), shift: flat(shift) }, {}) as tf.Tensor);
  }
  return channelAffineComposite(x, scale, shift);
}

/** The composite definition of channelAffine (broadcasting multiply and add). */
export function channelAffineComposite(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(x, scale), shift));
}

/**
 * One AdamW step for one parameter as a single kernel (torch.optim.AdamW's rule, the same float32 operations as
 * src/train/adamw.ts): returns [p', m', v']; the caller assigns them. Not differentiable (an optimiser step).
 * stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t), decay = lr * weightDecay or 0.
 */
export function adamwUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamWAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const same = [g, m, v].every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, p.shape));
  if (p.dtype === 'float32' && same && fusedAvailable(ADAMW)) {
    const [pn, mn, vn] = tf.engine().runKernel(ADAMW, { p, g, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return [pn, mn, vn];
  }
  return adamwUpdateComposite(p, g, m, v, attrs);
}

/** The composite definition of adamwUpdate. */
export function adamwUpdateComposite(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, a: AdamWAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const mNew = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
    const vNew = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
    const denom = tf.add(tf.div(tf.sqrt(vNew), a.bc2Sqrt), a.eps);
    const base = a.decay > 0 ? tf.mul(p, 1 - a.decay) : p;
    return [tf.sub(base, tf.mul(tf.div(mNew, denom), a.stepSize)), mNew, vNew] as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
}
