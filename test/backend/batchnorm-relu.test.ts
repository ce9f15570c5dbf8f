// The fused training-mode BatchNorm + ReLU (batchNormReluTraining, 'VitscopeBatchNormRelu' and its backward kernel)
// against relu(batchNormTraining(...)) on the cpu and native backends: the same kernels' arithmetic, so outputs and
// first-order gradients must agree bit for bit; against the all-tf-ops composite and central differences to
// float32 rounding; Hessian-vector products (the recorded path) equal to the composite's; the kernels an ordinary
// gradient runs; batchNormRelu's running statistics; errors for bad shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { batchNormReluTraining, batchNormTraining, batchNormTrainingComposite } from '../../src/backend/fused-ops.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { BATCH_NORM_GRAD, BATCH_NORM_RELU, BATCH_NORM_RELU_GRAD } from '../../src/backend/native/fused-kernels.ts';
import { RELU_GRAD } from '../../src/backend/gradients/relu.ts';
import { batchNorm, batchNormRelu, type Ctx } from '../../src/models/ops.ts';
import { Rng } from '../../src/util/random.ts';
import { close, kernelsRun, normalTensors } from '../support/fused-checks.ts';

const rng = new Rng(11);
const randn = normalTensors(rng);

type BnRelu = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor };
const fused: BnRelu = (x, g, b) => batchNormReluTraining(x, g, b);
/** ReLU after the BatchNorm kernel: the two kernels the fused one replaces. */
const kernelPair: BnRelu = (x, g, b) => {
  const r = batchNormTraining(x, g, b);
  return { y: tf.relu(r.y), mean: r.mean, variance: r.variance };
};
/** Every step a plain tf op (moments, rsqrt, relu). */
const composite: BnRelu = (x, g, b) => {
  const r = batchNormTrainingComposite(x, g, b);
  return { y: tf.relu(r.y), mean: r.mean, variance: r.variance };
};

function sameBits(a: tf.Tensor, b: tf.Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.dataSync() as Float32Array, y = b.dataSync() as Float32Array;
  const xb = new Uint32Array(x.buffer, x.byteOffset, x.length), yb = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < x.length; ++i) assert.ok(xb[i] === yb[i], `${what}[${i}]: fused ${x[i]}, reference ${y[i]}`);
}

/**
 * Inputs with C >= 4 channels whose first three are special: channel 0 has gamma = beta = 0 (every pre-activation
 * exactly zero: ReLU's gradient is 0 there), channel 1 gamma = 0 and beta < 0 (all negative), channel 2 gamma = 0
 * and beta > 0 (all positive); the rest are mixed.
 */
function inputs(shape: number[]): { x: tf.Tensor; g: tf.Tensor; b: tf.Tensor } {
  const C = shape[shape.length - 1]!;
  const g = Array.from({ length: C }, () => 1 + 0.5 * rng.normal());
  const b = Array.from({ length: C }, () => 0.3 * rng.normal());
  g[0] = 0; b[0] = 0;
  g[1] = 0; b[1] = -0.5;
  g[2] = 0; b[2] = 0.5;
  return { x: randn(shape, 2, 0.5), g: tf.tensor1d(g), b: tf.tensor1d(b) };
}

/** A loss that reads y and the statistics, so every output's adjoint is non-zero. */
function lossOf(op: BnRelu, w: tf.Tensor, wm: tf.Tensor, wv: tf.Tensor) {
  return (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
    const r = op(x, g, b);
    return tf.addN([tf.sum(tf.mul(r.y, w)), tf.sum(tf.mul(r.mean, wm)), tf.sum(tf.mul(r.variance, wv))]) as tf.Scalar;
  };
}

const native = tryRegisterNativeBackend();
const backends: ('cpu' | 'native')[] = ['cpu', ...(native.registered ? ['native' as const] : [])];
const SHAPES = [[3, 5, 4, 6], [40, 5]];

for (const backend of backends) {
  test(`batchNormReluTraining on ${backend}: outputs and gradients equal relu(batchNormTraining) bit for bit, the composite to rounding`, async () => {
    await initBackend({ backend, quiet: true });
    for (const shape of SHAPES) {
      const { x, g, b } = inputs(shape);
      const C = shape[shape.length - 1]!;
      const names = await kernelsRun(() => tf.dispose(Object.values(fused(x, g, b))));
      assert.ok(names.includes(BATCH_NORM_RELU) && !names.includes('Relu'), `${backend} ${shape}: ran ${names.join(',')}`);
      const f = fused(x, g, b), p = kernelPair(x, g, b), c = composite(x, g, b);
      for (const k of ['y', 'mean', 'variance'] as const) {
        sameBits(f[k], p[k], `${backend} ${shape} ${k}`);
        close(f[k], c[k], `${backend} ${shape} ${k} vs composite`);
      }
      // the special channels really are zero / negative / positive before the ReLU
      const pre = batchNormTraining(x, g, b).y.reshape([-1, C]).arraySync() as number[][];
      assert.ok(pre.every((r) => r[0] === 0 && r[1] < 0 && r[2] > 0), `${backend} ${shape}: special channels`);
      assert.ok(pre.some((r) => r[3] < 0) && pre.some((r) => r[3] > 0), `${backend} ${shape}: channel 3 mixed`);

      const w = randn(shape), wm = randn([C]), wv = randn([C]);
      for (const withStats of [true, false]) {
        const zeros = tf.zeros([C]);
        const loss = (op: BnRelu) => lossOf(op, w, withStats ? wm : zeros, withStats ? wv : zeros);
        const gf = tf.grads(loss(fused))([x, g, b]);
        const gp = tf.grads(loss(kernelPair))([x, g, b]);
        const gc = tf.grads(loss(composite))([x, g, b]);
        ['x', 'gamma', 'beta'].forEach((n, i) => {
          sameBits(gf[i]!, gp[i]!, `${backend} ${shape} stats ${withStats} d/d${n}`);
          close(gf[i]!, gc[i]!, `${backend} ${shape} stats ${withStats} d/d${n} vs composite`);
        });
        // no gradient through the channel whose pre-activations are all exactly zero
        const db = gf[2]!.dataSync();
        assert.ok(db[0] === 0, `${backend} ${shape}: d/dbeta of the all-zero channel is ${db[0]}`);
        assert.ok(db[2] !== 0, `${backend} ${shape}: d/dbeta of the all-positive channel`);
      }
    }
  });

  test(`batchNormReluTraining on ${backend}: gradients match central differences`, async () => {
    await initBackend({ backend, quiet: true });
    const shape = [30, 4];
    const C = 4;
    // channel 3 mixed but no pre-activation near zero, so that none changes sign within +-h
    let data = inputs(shape);
    const nearZero = () => (batchNormTraining(data.x, data.g, data.b).y.reshape([-1, C]).arraySync() as number[][]).some((r) => Math.abs(r[3]!) < 0.05);
    for (let attempt = 0; attempt < 50 && nearZero(); ++attempt) data = inputs(shape);
    assert.ok(!nearZero(), 'no test data without pre-activations near zero');
    const { x, g, b } = data;
    const w = randn(shape), wm = randn([C]), wv = randn([C]);
    const loss = lossOf(fused, w, wm, wv);
    const grads = tf.grads(loss)([x, g, b]);
    const h = 1e-3;
    const args = [x, g, b];
    for (let i = 0; i < 3; ++i) {
      // a random direction; for gamma and beta none along the special channels (kinks at exactly zero)
      let dir = randn(args[i]!.shape);
      if (i > 0) dir = tf.mul(dir, tf.tensor1d([0, 0, 0, 1]));
      const at = (s: number) => args.map((a, j) => (j === i ? tf.add(a, tf.mul(dir, s)) : a));
      const plus = at(h), minus = at(-h);
      const mask = (xs: tf.Tensor[]) => Array.from(tf.step(fused(xs[0]!, xs[1]!, xs[2]!).y).dataSync());
      assert.deepEqual(mask(plus), mask(minus), `${backend}: central difference ${i} crosses a ReLU kink`);
      const fd = (loss(plus[0]!, plus[1]!, plus[2]!).dataSync()[0]! - loss(minus[0]!, minus[1]!, minus[2]!).dataSync()[0]!) / (2 * h);
      const an = tf.sum(tf.mul(grads[i]!, dir)).dataSync()[0]!;
      assert.ok(Math.abs(fd - an) <= 2e-3 * Math.max(1, Math.abs(an)), `${backend} input ${i}: analytic ${an}, central difference ${fd}`);
    }
  });

  test(`batchNormReluTraining on ${backend}: Hessian-vector products equal the composite's`, async () => {
    await initBackend({ backend, quiet: true });
    for (const shape of SHAPES) {
      const { x, g, b } = inputs(shape);
      const C = shape[shape.length - 1]!;
      const w = randn(shape), w2 = randn(shape), wm = randn([C]), wv = randn([C]), vx = randn(shape), vg = randn([C]);
      // y w: dy non-zero where ReLU masks it; y^2: dy depends on x, so the second pass differentiates ReLU's gradient
      // through dy too
      const loss = (op: BnRelu) => (xx: tf.Tensor, gg: tf.Tensor): tf.Scalar => {
        const r = op(xx, gg, b);
        const terms = [tf.mul(r.y, w), tf.mul(tf.square(r.y), w2), tf.mul(r.mean, wm), tf.mul(r.variance, wv)];
        return tf.addN(terms.map((t) => tf.sum(t))) as tf.Scalar;
      };
      const hvp = (op: BnRelu) => tf.grads((xx: tf.Tensor, gg: tf.Tensor) => {
        const [dx, dg] = tf.grads(loss(op))([xx, gg]);
        return tf.add(tf.sum(tf.mul(dx!, vx)), tf.sum(tf.mul(dg!, vg)));
      })([x, g]);
      // the recorded first pass composes ReLU's and BatchNorm's gradients (the last, unrecorded pass is the fused one)
      const names = await kernelsRun(() => tf.dispose(hvp(fused)));
      assert.ok(names.includes(BATCH_NORM_RELU) && names.includes(BATCH_NORM_GRAD), `${backend} ${shape}: HVP ran ${names.join(',')}`);
      const hf = hvp(fused), hp = hvp(kernelPair), hc = hvp(composite);
      ['x', 'gamma'].forEach((n, i) => {
        close(hf[i]!, hp[i]!, `${backend} ${shape} Hv wrt ${n} vs kernel pair`);
        close(hf[i]!, hc[i]!, `${backend} ${shape} Hv wrt ${n} vs composite`, 1e-4);
      });
    }
  });

  test(`an ordinary gradient through batchNormReluTraining on ${backend} runs one fused backward kernel`, async () => {
    await initBackend({ backend, quiet: true });
    const { x, g, b } = inputs([2, 4, 4, 8]);
    const w = randn([2, 4, 4, 8]);
    const names = await kernelsRun(() => tf.dispose(tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(fused(xx, gg, bb).y, w)))([x, g, b])));
    assert.equal(names.filter((k) => k === BATCH_NORM_RELU_GRAD).length, 1, `${backend}: ran ${names.join(',')}`);
    for (const k of [RELU_GRAD, 'Relu', 'Step', BATCH_NORM_GRAD]) assert.ok(!names.includes(k), `${backend}: ran ${k} (${names.join(',')})`);
  });

  test(`batchNormRelu on ${backend}: as relu(batchNorm), running statistics included, in training and evaluation`, async () => {
    await initBackend({ backend, quiet: true });
    const C = 6;
    const { x, g, b } = inputs([4, 3, 3, C]);
    const makeCtx = (training: boolean): Ctx => {
      const buffers = new Map<string, tf.Variable>([
        ['bn.running_mean', tf.variable(tf.tensor1d(Array.from({ length: C }, (_, i) => 0.1 * i)))],
        ['bn.running_var', tf.variable(tf.tensor1d(Array.from({ length: C }, (_, i) => 1 + 0.2 * i)))],
      ]);
      const params = new Map([['bn.gamma', g], ['bn.beta', b]]);
      return { training, updateStats: true, p: (n) => params.get(n)!, buffer: (n) => buffers.get(n)!, rng: new Rng(1) };
    };
    for (const training of [true, false]) {
      const a = makeCtx(training), r = makeCtx(training);
      const ya = batchNormRelu(a, 'bn', x as tf.Tensor4D), yr = tf.relu(batchNorm(r, 'bn', x as tf.Tensor4D));
      sameBits(ya, yr, `${backend} training ${training} y`);
      for (const k of ['bn.running_mean', 'bn.running_var']) sameBits(a.buffer(k), r.buffer(k), `${backend} training ${training} ${k}`);
      if (training) assert.ok(a.buffer('bn.running_mean').dataSync()[1] !== Math.fround(0.1), `${backend}: running mean moved`);
    }
  });

  test(`batchNormRelu kernels on ${backend}: bad shapes and dtypes are refused naming the input`, async () => {
    await initBackend({ backend, quiet: true });
    const x = randn([5, 3]), g = randn([3]), b = randn([3]);
    assert.throws(() => batchNormReluTraining(x, randn([4]), b), /batchNormReluTraining: gamma has shape \[4\], expected \[3\]/);
    assert.throws(() => batchNormReluTraining(x, g, randn([3, 1])), /batchNormReluTraining: beta has shape \[3,1\], expected \[3\]/);
    assert.throws(() => batchNormReluTraining(randn([3]), g, b), /batchNormReluTraining: x has shape \[3\], expected rank >= 2/);
    const run = (name: string, ins: Record<string, tf.Tensor>) => tf.engine().runKernel(name, ins, { epsilon: 1e-5 } as unknown as tf.NamedAttrMap);
    assert.throws(() => run(BATCH_NORM_RELU, { x, gamma: randn([2]), beta: b }), new RegExp(`${BATCH_NORM_RELU}: input 'gamma' has shape \\[2\\], expected \\[3\\]`));
    assert.throws(() => run(BATCH_NORM_RELU, { x: tf.cast(x, 'int32'), gamma: g, beta: b }), new RegExp(`${BATCH_NORM_RELU}: input 'x' has dtype int32, expected float32`));
    assert.throws(() => run(BATCH_NORM_RELU, { x, gamma: g }), new RegExp(`${BATCH_NORM_RELU}: input 'beta' is missing`));
    const good = { x, gamma: g, y: tf.relu(x), dy: randn([5, 3]), mean: randn([3]), variance: tf.abs(randn([3])) };
    assert.doesNotThrow(() => tf.dispose(run(BATCH_NORM_RELU_GRAD, good) as tf.Tensor[]));
    assert.throws(() => run(BATCH_NORM_RELU_GRAD, { ...good, dy: randn([3, 5]) }), new RegExp(`${BATCH_NORM_RELU_GRAD}: input 'dy' has shape \\[3,5\\], expected the shape of x \\[5,3\\]`));
    assert.throws(() => run(BATCH_NORM_RELU_GRAD, { ...good, y: randn([5, 3, 1]) }), new RegExp(`${BATCH_NORM_RELU_GRAD}: input 'y' has shape \\[5,3,1\\]`));
    assert.throws(() => run(BATCH_NORM_RELU_GRAD, { ...good, variance: randn([5]) }), new RegExp(`${BATCH_NORM_RELU_GRAD}: input 'variance' has shape \\[5\\], expected \\[3\\]`));
  });
}
