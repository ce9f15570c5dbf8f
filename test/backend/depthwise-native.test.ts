// The native depthwise-convolution kernels (native/src/depthwise.cc) against tfjs-cpu's: bit-identical outputs of
// the forward pass and both backprops (the native loops sum in cpu's order with cpu's rounding) on geometries that
// cover channel multipliers 1-3, strides 1-2 (also unequal), 'same' / 'valid' / explicit asymmetric padding,
// channels beyond one 64-channel block, an empty batch, and a large threaded case; the addon must actually run
// (counted calls), with the cpu kernel as the fallback for dilated backprops. Then second order: a Hessian-vector
// product through silu(depthwise(silu(depthwise(x)))) on native equals cpu's to float32 rounding and matches
// central differences of the gradient (the depthwise backprop kernels' own gradients run the native kernels too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { addon, type NativeAddon } from '../../src/backend/native/addon.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { silu } from '../../src/backend/fused-ops.ts';
import { depthwiseConv } from '../../src/models/ops.ts';
import { Rng } from '../../src/util/random.ts';
import { normalTensors } from '../support/fused-checks.ts';

const reg = tryRegisterNativeBackend();
const skip = reg.registered ? false : `native backend unavailable: ${reg.reason} (build it with npm run build:native)`;

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Geometry {
  x: number[];
  w: number[];
  stride: number | [number, number];
  pad: Pad;
  dilation?: number;
}

const GEOMETRIES: Geometry[] = [
  { x: [2, 7, 6, 5], w: [3, 3, 5, 1], stride: 1, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { x: [2, 7, 6, 5], w: [3, 3, 5, 2], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] }, // PiT's pooling
  { x: [1, 8, 8, 3], w: [3, 3, 3, 3], stride: 2, pad: 'same' },
  { x: [1, 9, 5, 4], w: [2, 3, 4, 1], stride: [2, 1], pad: 'valid' },
  { x: [3, 4, 4, 70], w: [3, 3, 70, 1], stride: 1, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [4, 32, 32, 48], w: [3, 3, 48, 1], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { x: [0, 5, 5, 3], w: [3, 3, 3, 1], stride: 1, pad: 'same' },
];

const KERNELS = ['depthwiseConv2d', 'depthwiseBackpropInput', 'depthwiseBackpropFilter'] as const;
type Counted = (typeof KERNELS)[number];

/** Counts the addon's depthwise calls while f runs (the addon object is patched and restored). */
function countAddonCalls<T>(f: () => T): { result: T; calls: Record<Counted, number> } {
  const a = addon() as NativeAddon & Record<Counted, (...args: unknown[]) => void>;
  const calls = { depthwiseConv2d: 0, depthwiseBackpropInput: 0, depthwiseBackpropFilter: 0 };
  const saved = KERNELS.map((k) => a[k]);
  KERNELS.forEach((k, i) => {
    a[k] = (...args: unknown[]) => {
      calls[k]++;
      return saved[i]!.apply(a, args);
    };
  });
  try {
    return { result: f(), calls };
  } finally {
    KERNELS.forEach((k, i) => (a[k] = saved[i]!));
  }
}

/** Forward output, input gradient and filter gradient of <depthwiseConv2d(x, w), dy> as plain arrays. */
function run(g: Geometry, x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor | null): { y: number[]; dx: number[] | null; dw: number[] | null } {
  let out: { y: number[]; dx: number[] | null; dw: number[] | null } = { y: [], dx: null, dw: null };
  tf.tidy(() => {
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, g.stride, g.pad, 'NHWC', g.dilation ?? 1);
    out = { y: Array.from(conv(x, w).dataSync()), dx: null, dw: null };
    if (!dy) return;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w]);
    out = { ...out, dx: Array.from(dx!.dataSync()), dw: Array.from(dw!.dataSync()) };
  });
  return out;
}

test('native depthwise kernels are bit-identical to cpu (forward, input and filter gradients) and run the addon', { skip }, async () => {
  const randn = normalTensors(new Rng(31));
  for (const g of GEOMETRIES) {
    const what = `x${JSON.stringify(g.x)} w${JSON.stringify(g.w)} s${JSON.stringify(g.stride)} ${JSON.stringify(g.pad)}`;
    await initBackend({ backend: 'cpu', quiet: true });
    const x = randn(g.x), w = randn(g.w);
    const yShape = tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, g.stride, g.pad).shape;
    const dy = randn(yShape);
    const ref = run(g, x, w, dy);
    await initBackend({ backend: 'native', quiet: true });
    const { result: got, calls } = countAddonCalls(() => run(g, x, w, dy));
    assert.deepEqual(got.y, ref.y, `${what}: forward`);
    assert.deepEqual(got.dx, ref.dx, `${what}: input gradient`);
    assert.deepEqual(got.dw, ref.dw, `${what}: filter gradient`);
    // the forward pass runs twice (once alone, once under tf.grads), each backprop once
    if (g.x[0] !== 0) assert.deepEqual(calls, { depthwiseConv2d: 2, depthwiseBackpropInput: 1, depthwiseBackpropFilter: 1 }, `${what}: addon calls`);
    tf.dispose([x, w, dy]);
  }
});

test('a dilated depthwise convolution runs natively; its (dilation-1-only) backprops stay cpu kernels', { skip }, async () => {
  const randn = normalTensors(new Rng(32));
  const g: Geometry = { x: [1, 9, 9, 5], w: [3, 3, 5, 2], stride: 1, pad: 'same', dilation: 2 };
  await initBackend({ backend: 'cpu', quiet: true });
  const x = randn(g.x), w = randn(g.w);
  const ref = run(g, x, w, null);
  await initBackend({ backend: 'native', quiet: true });
  const { result, calls } = countAddonCalls(() => run(g, x, w, null));
  assert.deepEqual(result.y, ref.y);
  assert.equal(calls.depthwiseConv2d, 1);
  // a backprop kernel called with dilation 2 (only reachable through runKernel) falls back to the cpu kernel
  const dy = randn([1, 9, 9, 10]);
  const attrs = { strides: 1, pad: 'same', dilations: 2, filterShape: g.w };
  const native = countAddonCalls(() => Array.from((tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync()));
  assert.equal(native.calls.depthwiseBackpropFilter, 0, 'fell back to cpu');
  await initBackend({ backend: 'cpu', quiet: true });
  const cpu = Array.from((tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync());
  assert.deepEqual(native.result, cpu);
  tf.dispose([x, w, dy]);
});

/** f(x, w1, w2) = <r, silu(dw(silu(dw(x, w1, stride 2)), w2, stride 1))>, the pattern of MobileViT's inverted residuals. */
function network(r: tf.Tensor) {
  return (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor): tf.Scalar => {
    const h = silu(depthwiseConv(x as tf.Tensor4D, w1, 2)) as tf.Tensor4D;
    return tf.sum(tf.mul(silu(depthwiseConv(h, w2, 1)), r));
  };
}

/** Hv of `network` at (x, w1, w2) along (vx, v1, v2) by nested tf.grads, and the gradient there, flattened to float64. */
function hvpAndGrad(f: ReturnType<typeof network>, at: tf.Tensor[], v: tf.Tensor[]): { hv: Float64Array; grad: (p: tf.Tensor[]) => Float64Array } {
  const gradOf = (p: tf.Tensor[]) => tf.grads(f)(p);
  const flat = (ts: tf.Tensor[]) => Float64Array.from(ts.flatMap((t) => Array.from(t.dataSync())));
  const hv = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.addN(gradOf([a, b, c]).map((g, i) => tf.sum(tf.mul(g, v[i]!)))) as tf.Scalar)(at);
  return { hv: flat(hv), grad: (p) => flat(gradOf(p)) };
}

test('Hessian-vector products through depthwise conv + SiLU: native equals cpu and central differences', { skip }, async () => {
  const randn = normalTensors(new Rng(33));
  const x = randn([2, 8, 8, 6]), w1 = randn([3, 3, 6, 2], 0.5), w2 = randn([3, 3, 12, 1], 0.5), r = randn([2, 4, 4, 12]);
  const v = [randn(x.shape), randn(w1.shape), randn(w2.shape)];
  const results: Record<string, Float64Array> = {};
  for (const backend of ['cpu', 'native'] as const) {
    await initBackend({ backend, quiet: true });
    const f = network(r);
    const { result: out, calls } = countAddonCalls(() => {
      const { hv, grad } = hvpAndGrad(f, [x, w1, w2], v);
      // central differences of the gradient along v, eps 1e-2: truncation O(eps^2), float32 rounding ~1e-5 relative
      const eps = 1e-2;
      const shifted = (s: number) => [x, w1, w2].map((t, i) => tf.add(t, tf.mul(v[i]!, s)));
      const gp = grad(shifted(eps)), gm = grad(shifted(-eps));
      const fd = gp.map((a, i) => (a - gm[i]!) / (2 * eps));
      return { hv, fd };
    });
    if (backend === 'native') for (const k of KERNELS) assert.ok(calls[k] > 0, `native: addon ${k} ran (${calls[k]} calls)`);
    let num = 0, den = 0;
    for (let i = 0; i < out.hv.length; i++) {
      num += (out.hv[i]! - out.fd[i]!) ** 2;
      den += out.fd[i]! ** 2;
    }
    assert.ok(Math.sqrt(num / den) < 2e-3, `${backend}: Hv vs central differences, relative error ${Math.sqrt(num / den)}`);
    results[backend] = out.hv;
  }
  let num = 0, den = 0;
  for (let i = 0; i < results.cpu!.length; i++) {
    num += (results.cpu![i]! - results.native![i]!) ** 2;
    den += results.cpu![i]! ** 2;
  }
  assert.ok(Math.sqrt(num / den) < 1e-5, `native vs cpu Hv: relative difference ${Math.sqrt(num / den)}`);
});
