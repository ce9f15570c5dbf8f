// Layer primitives shared by the model families, written on tfjs-core ops whose gradients are
// themselves differentiable, so that nested tf.grads (exact Hessian-vector products) work through
// every model:
// - dense layers and 1x1 convolutions are matMuls; patch embeddings are reshape + matMul;
// - stride-2 subsampling is reshape + slice (StridedSlice has no registered gradient);
// - relative-position-bias lookups are matMuls with a constant one-hot matrix (the gradient of
//   Gather is UnsortedSegmentSum, whose own gradient would be needed a second time);
// - cyclic shifts (Swin) are slice + concat;
// - 3x3 convolutions use tf.conv2d; the gradient of Conv2DBackpropFilter that a second
//   differentiation needs is registered by src/backend/gradients (imported by src/backend/tf.ts).
import { tf } from '../backend/tf.ts';
import { batchNormReluTraining, batchNormTraining, channelAffine, gelu, layerNorm, silu } from '../backend/fused-ops.ts';
import { movingAverages } from '../backend/moving-averages.ts';
import { Rng } from '../util/random.ts';

export { gelu, layerNorm, silu };


/** Resolves parameter tensors (overrides first) and carries the mode of one forward pass. */
export interface Ctx {
  training: boolean;
  /** Training mode only: BatchNorm moves its running buffers (ForwardOptions.updateStats). */
  updateStats: boolean;
  /** The tensor of a named parameter: the override from ForwardOptions.params, else the variable. */
  p(name: string): tf.Tensor;
  /** BatchNorm running statistics (only used and updated by batchNorm). */
  buffer(name: string): tf.Variable;
  /** Per-sample keep decisions for drop path, drawn in call order from the forward seed. */
  rng: Rng;
}

/** x [..., in] times kernel [in, out] (+ bias [out]). */
export function linear(x: tf.Tensor, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1]!;
  const outDim = kernel.shape[1]!;
  const flat = tf.reshape(x, [-1, inDim]);
  let y: tf.Tensor = tf.matMul(flat, kernel as tf.Tensor2D);
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/** Named dense layer: `${prefix}.kernel` and, if present in the model, `${prefix}.bias`. */
export function dense(ctx: Ctx, prefix: string, x: tf.Tensor, withBias: boolean): tf.Tensor {
  return linear(x, ctx.p(`${prefix}.kernel`), withBias ? ctx.p(`${prefix}.bias`) : undefined);
}

/** Keeps every second row and column, starting at 0 (what a stride-2 1x1 convolution samples). */
export function subsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`subsample2: spatial size ${h}x${w} must be even`);
  const r = tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]);
  const s = tf.slice(r, [0, 0, 0, 0, 0, 0], [b, h / 2, 1, w / 2, 1, c]);
  return tf.reshape(s, [b, h / 2, w / 2, c]);
}

/** 1x1 convolution without bias (kernel [1, 1, in, out]), optional stride 2. */
export function conv1x1(x: tf.Tensor4D, kernel: tf.Tensor, stride: number): tf.Tensor4D {
  const xs = stride === 2 ? subsample2(x) : x;
  if (stride !== 1 && stride !== 2) throw new Error(`conv1x1: stride ${stride} not supported`);
  const [cin, cout] = [kernel.shape[2]!, kernel.shape[3]!];
  return linear(xs, tf.reshape(kernel, [cin, cout])) as tf.Tensor4D;
}

export type ConvImplementation = 'auto' | 'conv2d' | 'im2col';
let convImpl: ConvImplementation = 'auto';

/**
 * How k x k convolutions run: 'conv2d' (tf.conv2d and its gradient kernels; 'auto', the default) or
 * 'im2col' (shifted slices concatenated, then one matMul; the same numbers up to summation order).
 * On the 'cpu' backend im2col makes a ResNet-20 training step ~4x faster (tfjs-cpu's
 * Conv2DBackpropFilter is very slow) but the forward pass ~3x slower (its Slice is slow), so it is
 * an opt-in for CPU training. Returns the previous setting.
 */
export function setConvImplementation(impl: ConvImplementation): ConvImplementation {
  const prev = convImpl;
  convImpl = impl;
  return prev;
}

/** k x k convolution, zero padding (k-1)/2 on every side as PyTorch does, no bias; stride 1 or 2. */
export function convKxK(x: tf.Tensor4D, kernel: tf.Tensor, stride: number): tf.Tensor4D {
  const k = kernel.shape[0]!;
  if (k === 1) return conv1x1(x, kernel, stride);
  const p = (k - 1) / 2;
  const useIm2col = convImpl === 'im2col';
  if (!useIm2col) return tf.conv2d(x, kernel as tf.Tensor4D, stride, [[0, 0], [p, p], [p, p], [0, 0]]);
  if (stride !== 1 && stride !== 2) throw new Error(`convKxK: stride ${stride} not supported`);
  const [b, h, w, c] = x.shape;
  const xp = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
  const cols: tf.Tensor4D[] = [];
  for (let dy = 0; dy < k; dy++) {
    for (let dx = 0; dx < k; dx++) {
      // rows dy + stride * i of the padded input feed output row i through kernel row dy
      const s = tf.slice(xp, [0, dy, dx, 0], [b, h, w, c]) as tf.Tensor4D;
      cols.push(stride === 2 ? subsample2(s) : s);
    }
  }
  const patches = tf.concat(cols, 3); // (dy, dx, c) order = the kernel's [kh, kw, cin] order
  return linear(patches, tf.reshape(kernel, [k * k * c, kernel.shape[3]!])) as tf.Tensor4D;
}

/**
 * Depthwise (grouped, groups = C) k x k convolution of NHWC x with filter [k, k, C, M] (M output channels per input
 * channel; output channel c * M + m, PyTorch's order for Conv2d(C, C * M, groups=C), whose weight [C * M, 1, k, k]
 * is this filter transposed), zero padding `padding` on every side (default (k-1)/2, floored, as PyTorch's
 * `padding=k//2`), stride 1 or more, no bias. Twice differentiable: the gradients of the depthwise backprop kernels
 * are registered by src/backend/gradients.
 */
export function depthwiseConv(x: tf.Tensor4D, filter: tf.Tensor, stride: number, padding?: number): tf.Tensor4D {
  if (filter.rank !== 4 || filter.shape[2] !== x.shape[3]) {
    throw new Error(`depthwiseConv: filter has shape [${filter.shape.join(',')}], expected [k, k, ${x.shape[3]}, M] for input [${x.shape.join(',')}]`);
  }
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`depthwiseConv: stride is ${stride}, expected a positive integer`);
  const k = filter.shape[0]!;
  const p = padding ?? Math.floor((k - 1) / 2);
  return tf.depthwiseConv2d(x, filter as tf.Tensor4D, stride, [[0, 0], [p, p], [p, p], [0, 0]]);
}

/** Non-overlapping patches [B, H/p, W/p, p*p*C] in (row, column, channel) order, then matMul. */
export function patchEmbed(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor | undefined, patch: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (h % patch !== 0 || w % patch !== 0) throw new Error(`patch embedding: image ${h}x${w} is not divisible by patch ${patch}`);
  const gh = h / patch;
  const gw = w / patch;
  let patches: tf.Tensor = x;
  if (patch > 1) {
    patches = tf.reshape(x, [b, gh, patch, gw, patch, c]);
    patches = tf.transpose(patches, [0, 1, 3, 2, 4, 5]);
  }
  patches = tf.reshape(patches, [b, gh, gw, patch * patch * c]);
  const cout = kernel.shape[3]!;
  return linear(patches, tf.reshape(kernel, [patch * patch * c, cout]), bias) as tf.Tensor4D;
}

/**
 * BatchNorm over N, H, W of NHWC input. Training: batch statistics, and, when ctx.updateStats, the
 * running buffers `${prefix}.running_mean/var` move by momentum 0.1 towards the batch mean and unbiased
 * variance (PyTorch's rule). Evaluation: running statistics.
 */
export function batchNorm(ctx: Ctx, prefix: string, x: tf.Tensor4D, eps = 1e-5, momentum = 0.1): tf.Tensor4D {
  const gamma = ctx.p(`${prefix}.gamma`);
  const beta = ctx.p(`${prefix}.beta`);
  const rm = ctx.buffer(`${prefix}.running_mean`);
  const rv = ctx.buffer(`${prefix}.running_var`);
  if (ctx.training) {
    // fused on backends that provide it (src/backend/fused-ops.ts), composite otherwise
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, eps);
    updateRunningStats(ctx, prefix, x, mean, variance, momentum);
    return y as tf.Tensor4D;
  }
  // (x - rm) * scale + beta as one per-channel affine pass (fused with its derivatives where the backend has it);
  // only the C-sized scale and shift are composite. beta + (-rm) * scale equals beta - rm * scale exactly, and its
  // gradients need no Neg (rm is a buffer: its Neg is never differentiated)
  return tf.tidy(() => {
    const scale = tf.mul(tf.rsqrt(tf.add(rv, eps)), gamma);
    const shift = tf.add(beta, tf.mul(tf.neg(rm), scale));
    return channelAffine(x, scale, shift) as tf.Tensor4D;
  });
}

/**
 * relu(batchNorm(ctx, prefix, x)). Training: the normalisation and the ReLU as one fused pass (and one fused
 * backward pass) where the backend has it, the same running-statistics update as batchNorm. Evaluation: as batchNorm.
 */
export function batchNormRelu(ctx: Ctx, prefix: string, x: tf.Tensor4D, eps = 1e-5, momentum = 0.1): tf.Tensor4D {
  if (!ctx.training) return tf.relu(batchNorm(ctx, prefix, x, eps, momentum));
  const { y, mean, variance } = batchNormReluTraining(x, ctx.p(`${prefix}.gamma`), ctx.p(`${prefix}.beta`), eps);
  updateRunningStats(ctx, prefix, x, mean, variance, momentum);
  return y as tf.Tensor4D;
}

/**
 * When ctx.updateStats, moves `${prefix}.running_mean/var` by momentum towards the batch mean and unbiased variance
 * (PyTorch's rule).
 */
function updateRunningStats(ctx: Ctx, prefix: string, x: tf.Tensor4D, mean: tf.Tensor, variance: tf.Tensor, momentum: number): void {
  if (!ctx.updateStats) return;
  const rm = ctx.buffer(`${prefix}.running_mean`);
  const rv = ctx.buffer(`${prefix}.running_var`);
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  const unbias = n > 1 ? n / (n - 1) : 1;
  tf.tidy(() => {
    // one kernel for both statistics where the backend has it (src/backend/moving-averages.ts)
    const [m, v] = movingAverages(rm, rv, mean, variance, momentum, unbias);
    rm.assign(m as tf.Tensor1D);
    rv.assign(v as tf.Tensor1D);
  });
}

/** Named LayerNorm over the last axis. */
export function norm(ctx: Ctx, prefix: string, x: tf.Tensor, eps: number): tf.Tensor {
  return layerNorm(x, ctx.p(`${prefix}.gamma`), ctx.p(`${prefix}.beta`), eps);
}

/**
 * Drop path (stochastic depth): in training mode each sample's branch is zeroed with probability
 * `rate` and scaled by 1 / (1 - rate) otherwise. Decisions come from ctx.rng (seeded).
 */
export function dropPath(ctx: Ctx, x: tf.Tensor, rate: number): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  const b = x.shape[0]!;
  const keep = new Float32Array(b);
  for (let i = 0; i < b; i++) keep[i] = ctx.rng.uniform() >= rate ? 1 / (1 - rate) : 0;
  const shape = [b, ...new Array(x.rank - 1).fill(1)];
  return tf.mul(x, tf.tensor(keep, shape));
}

/** Element-wise dropout in training mode, mask seeded from ctx.rng. */
export function dropout(ctx: Ctx, x: tf.Tensor, rate: number): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  const seed = ctx.rng.nextUint32();
  const u = tf.randomUniform(x.shape, 0, 1, 'float32', seed);
  const mask = tf.div(tf.cast(tf.greaterEqual(u, rate), 'float32'), 1 - rate);
  return tf.mul(x, mask);
}

/** Cyclic shift of a NHWC map by (-shift, -shift) (torch.roll(x, (-s, -s), (1, 2))), or back when shift < 0. */
export function roll2d(x: tf.Tensor4D, shift: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const sh = ((shift % h) + h) % h;
  const sw = ((shift % w) + w) % w;
  let y = x;
  if (sh !== 0) y = tf.concat([tf.slice(y, [0, sh, 0, 0], [b, h - sh, w, c]), tf.slice(y, [0, 0, 0, 0], [b, sh, w, c])], 1);
  if (sw !== 0) y = tf.concat([tf.slice(y, [0, 0, sw, 0], [b, h, w - sw, c]), tf.slice(y, [0, 0, 0, 0], [b, h, sw, c])], 2);
  return y;
}

/** [B, H, W, C] -> [B * nW, ws*ws, C], windows in row-major order. */
export function windowPartition(x: tf.Tensor4D, ws: number): tf.Tensor3D {
  const [b, h, w, c] = x.shape;
  if (h % ws !== 0 || w % ws !== 0) throw new Error(`window partition: ${h}x${w} map is not divisible by window ${ws}`);
  const r = tf.reshape(x, [b, h / ws, ws, w / ws, ws, c]);
  return tf.reshape(tf.transpose(r, [0, 1, 3, 2, 4, 5]), [-1, ws * ws, c]);
}

/** Inverse of windowPartition. */
export function windowReverse(x: tf.Tensor3D, ws: number, b: number, h: number, w: number): tf.Tensor4D {
  const c = x.shape[2];
  const r = tf.reshape(x, [b, h / ws, w / ws, ws, ws, c]);
  return tf.reshape(tf.transpose(r, [0, 1, 3, 2, 4, 5]), [b, h, w, c]);
}

/**
 * Index into a (2ws-1)^2 relative-position table for every (query, key) pair of a window,
 * as Swin computes it: rows are (dy + ws - 1) * (2ws - 1) + (dx + ws - 1).
 */
export function relativePositionIndex(ws: number): Int32Array {
  const n = ws * ws;
  const idx = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    const yi = Math.floor(i / ws);
    const xi = i % ws;
    for (let j = 0; j < n; j++) {
      const yj = Math.floor(j / ws);
      const xj = j % ws;
      idx[i * n + j] = (yi - yj + ws - 1) * (2 * ws - 1) + (xi - xj + ws - 1);
    }
  }
  return idx;
}

const oneHotCache = new Map<number, Float32Array>();
/** Constant one-hot [N*N, (2ws-1)^2] selecting each pair's table row. */
function relativePositionOneHot(ws: number): tf.Tensor2D {
  let data = oneHotCache.get(ws);
  const t = (2 * ws - 1) ** 2;
  if (!data) {
    const idx = relativePositionIndex(ws);
    data = new Float32Array(idx.length * t);
    for (let i = 0; i < idx.length; i++) data[i * t + idx[i]!] = 1;
    oneHotCache.set(ws, data);
  }
  return tf.tensor2d(data, [ws ** 4, t]);
}

/** Relative position bias [heads, N, N] from a table [(2ws-1)^2, heads] (heads may be 1, shared). */
export function relativePositionBias(table: tf.Tensor, ws: number): tf.Tensor3D {
  const heads = table.shape[1]!;
  const n = ws * ws;
  const b = tf.matMul(relativePositionOneHot(ws), table as tf.Tensor2D);
  return tf.transpose(tf.reshape(b, [n, n, heads]), [2, 0, 1]);
}

/**
 * The attention mask of shifted-window attention: [nW, N, N] with 0 where query and key lie in the
 * same region of the cyclically shifted map and -100 (as Swin) where they come from different
 * regions, i.e. were not neighbours before the shift.
 */
export function shiftedWindowMask(h: number, w: number, ws: number, shift: number): Float32Array {
  const region = new Int32Array(h * w);
  const bands = (size: number) => [
    [0, size - ws],
    [size - ws, size - shift],
    [size - shift, size],
  ];
  let id = 0;
  for (const [y0, y1] of bands(h)) {
    for (const [x0, x1] of bands(w)) {
      for (let y = y0!; y < y1!; y++) for (let x = x0!; x < x1!; x++) region[y * w + x] = id;
      id++;
    }
  }
  const nWh = h / ws;
  const nWw = w / ws;
  const n = ws * ws;
  const mask = new Float32Array(nWh * nWw * n * n);
  for (let wy = 0; wy < nWh; wy++) {
    for (let wx = 0; wx < nWw; wx++) {
      const win = wy * nWw + wx;
      const ids = new Int32Array(n);
      for (let i = 0; i < n; i++) ids[i] = region[(wy * ws + Math.floor(i / ws)) * w + wx * ws + (i % ws)]!;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mask[(win * n + i) * n + j] = ids[i] === ids[j] ? 0 : -100;
    }
  }
  return mask;
}

/**
 * Multi-head self-attention on token groups x [G, N, C] given q, k, v projections [G, N, heads*dh]:
 * softmax(q k^T * scale + bias (+ mask)) v, heads concatenated back to [G, N, heads*dh].
 * bias: [heads or 1, N, N]; mask: [nW, N, N] applied to groups in window-major order (G = B * nW).
 */
export function multiHeadAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  bias?: tf.Tensor3D,
  mask?: tf.Tensor3D,
): tf.Tensor3D {
  const [g, n, inner] = q.shape;
  const dh = inner / heads;
  const split = (t: tf.Tensor3D) => tf.transpose(tf.reshape(t, [g, n, heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
  const qh = tf.mul(split(q), 1 / Math.sqrt(dh)) as tf.Tensor4D;
  let scores: tf.Tensor = tf.matMul(qh, split(k), false, true); // [G, heads, N, N]
  if (bias) scores = tf.add(scores, tf.expandDims(bias, 0));
  if (mask) {
    const nW = mask.shape[0];
    scores = tf.reshape(scores, [g / nW, nW, heads, n, n]);
    scores = tf.add(scores, tf.reshape(mask, [1, nW, 1, n, n]));
    scores = tf.reshape(scores, [g, heads, n, n]);
  }
  const attn = tf.softmax(scores, -1) as tf.Tensor4D;
  const out = tf.matMul(attn, split(v)); // [G, heads, N, dh]
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [g, n, inner]);
}

/** qkv [G, N, 3*inner] -> q, k, v each [G, N, inner] (timm's layout: q | k | v along channels). */
export function splitQkv(qkv: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const parts = tf.split(qkv, 3, 2) as tf.Tensor3D[];
  return [parts[0]!, parts[1]!, parts[2]!];
}

/** Global average pooling over H and W of NHWC. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}
