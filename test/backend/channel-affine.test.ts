// The fused channel affine (y = x * scale + shift per channel: evaluation-mode BatchNorm) against its composite
// definition on the cpu and native backends: values, first derivatives (also against central differences),
// Hessian-vector products and a third derivative through the fused backward kernel, zero adjoints, empty tensors,
// bad shapes; and evaluation-mode BatchNorm in src/models/ops.ts against its former formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { channelAffine, channelAffineComposite, setFusedKernelsEnabled } from '../../src/backend/fused-ops.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { CHANNEL_AFFINE, CHANNEL_AFFINE_GRAD } from '../../src/backend/native/fused-kernels.ts';
import { batchNorm, type Ctx } from '../../src/models/ops.ts';
import { Rng } from '../../src/util/random.ts';
import { close, kernelsRun, normalTensors } from '../support/fused-checks.ts';

const rng = new Rng(11);
const randn = normalTensors(rng);

type Affine = typeof channelAffine;
const native = tryRegisterNativeBackend();
const backends = ['cpu', ...(native.registered ? ['native'] : [])];

for (const backend of backends) {
  test(`channelAffine on ${backend}: the fused kernel equals the composite, rank 1 to 4`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    for (const shape of [[5], [6, 7], [3, 1, 2, 3], [2, 5, 5, 16]]) {
      const C = shape[shape.length - 1]!;
      const x = randn(shape, 2, 0.5), s = randn([C], 0.5, 1), t = randn([C], 0.3);
      const names = await kernelsRun(() => channelAffine(x, s, t).dispose());
      assert.ok(names.includes(CHANNEL_AFFINE), `${backend} ${shape}: channelAffine ran ${names.join(',')}`);
      close(channelAffine(x, s, t), channelAffineComposite(x, s, t), `${backend} ${shape} value`);
      // the scale and shift may also come as [1, ..., 1, C]
      const s4 = tf.reshape(s, [...Array(shape.length - 1).fill(1), C]);
      close(channelAffine(x, s4, t), channelAffineComposite(x, s, t), `${backend} ${shape} value, scale [1,..,C]`);
    }
  });

  test(`channelAffine on ${backend}: gradients w.r.t. x, scale and shift equal the composite's and central differences`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    for (const shape of [[6, 7], [2, 3, 3, 4]]) {
      const C = shape[shape.length - 1]!;
      const x = randn(shape, 1.5, 0.2), s = randn([C], 0.5, 1), t = randn([C], 0.3), w = randn(shape);
      const loss = (ca: Affine) => (xx: tf.Tensor, ss: tf.Tensor, tt: tf.Tensor) => tf.sum(tf.mul(tf.tanh(ca(xx, ss, tt)), w));
      const names = await kernelsRun(() => tf.grads(loss(channelAffine))([x, s, t]).forEach((g) => g.dispose()));
      assert.ok(names.includes(CHANNEL_AFFINE_GRAD), `${backend}: the gradient ran ${names.join(',')}`);
      const gf = tf.grads(loss(channelAffine))([x, s, t]);
      const gc = tf.grads(loss(channelAffineComposite))([x, s, t]);
      ['x', 'scale', 'shift'].forEach((n, i) => close(gf[i]!, gc[i]!, `${backend} ${shape} d/d${n}`));
      // central differences through the fused forward, at a few coordinates of each argument
      const h = 1e-2;
      const args = [x, s, t];
      args.forEach((arg, k) => {
        const base = arg.dataSync();
        const grad = gf[k]!.dataSync();
        for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
          const at = (d: number) => {
            const v = Float32Array.from(base);
            v[i] += d;
            const moved = args.map((a, j) => (j === k ? tf.tensor(v, arg.shape) : a));
            return loss(channelAffine)(moved[0]!, moved[1]!, moved[2]!).dataSync()[0]!;
          };
          const fd = (at(h) - at(-h)) / (2 * h);
          assert.ok(Math.abs(fd - grad[i]!) <= 2e-3 * Math.max(1, Math.abs(fd)),
            `${backend} ${shape} d/d${['x', 'scale', 'shift'][k]}[${i}]: fused ${grad[i]}, central difference ${fd}`);
        }
      });
    }
  });

  for (const act of ['tanh', 'relu'] as const) {
    test(`channelAffine on ${backend}: Hessian-vector product and a third derivative through two affines and ${act} equal the composite's`, async () => {
      await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
      const shape = [2, 3, 3, 5];
      const C = 5;
      const nl = (z: tf.Tensor) => (act === 'tanh' ? tf.tanh(z) : tf.relu(z));
      const x = randn(shape, 1.2, 0.3), s1 = randn([C], 0.5, 1), t1 = randn([C], 0.3), s2 = randn([C], 0.5, 1), t2 = randn([C], 0.3);
      const w = randn(shape);
      const params = [x, s1, t1, s2, t2];
      const v = params.map((p) => randn(p.shape));
      // a square keeps the relu path's second derivative from vanishing
      const f = (ca: Affine) => (ps: tf.Tensor[]) => tf.sum(tf.mul(tf.square(ca(nl(ca(ps[0]!, ps[1]!, ps[2]!)), ps[3]!, ps[4]!)), w));
      const grad = (ca: Affine) => (ps: tf.Tensor[]) => tf.grads((...a: tf.Tensor[]) => f(ca)(a))(ps);
      const hvp = (ca: Affine) => (ps: tf.Tensor[]) =>
        tf.grads((...a: tf.Tensor[]) => tf.addN(grad(ca)(a).map((g, i) => tf.sum(tf.mul(g, v[i]!)))))(ps);
      const names = await kernelsRun(() => hvp(channelAffine)(params).forEach((g) => g.dispose()));
      assert.ok(names.filter((n) => n === CHANNEL_AFFINE_GRAD).length >= 4,
        `${backend}: the product should run the fused backward kernel in both passes, ran ${names.join(',')}`);
      const hf = hvp(channelAffine)(params), hc = hvp(channelAffineComposite)(params);
      ['x', 's1', 't1', 's2', 't2'].forEach((n, i) => close(hf[i]!, hc[i]!, `${backend} ${act} Hv wrt ${n}`, 5e-5));
      // third order: the gradient of <Hv, u>
      const u = params.map((p) => randn(p.shape));
      const third = (ca: Affine) => tf.grads((...a: tf.Tensor[]) => tf.addN(hvp(ca)(a).map((g, i) => tf.sum(tf.mul(g, u[i]!)))))(params);
      const tf3 = third(channelAffine), tc3 = third(channelAffineComposite);
      ['x', 's1', 't1', 's2', 't2'].forEach((n, i) => close(tf3[i]!, tc3[i]!, `${backend} ${act} third derivative wrt ${n}`, 1e-4));
    });
  }

  test(`ChannelAffineGrad's gradient on ${backend} with one adjoint zero (an unused output)`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    const shape = [4, 2, 6];
    const dy = randn(shape), x = randn(shape), a = randn([6]), b = randn([6]);
    const sums = (d: tf.Tensor, xx: tf.Tensor) => tf.engine().runKernel(CHANNEL_AFFINE_GRAD, { dy: d, x: xx }, {}) as tf.Tensor[];
    // only sum dy x used: d/d dy = a x, d/dx = a dy
    const [gdy1, gx1] = tf.grads((d: tf.Tensor, xx: tf.Tensor) => tf.sum(tf.mul(sums(d, xx)[0]!, a)))([dy, x]);
    close(gdy1!, tf.mul(x, a), `${backend} only the scale sum: d/d dy`);
    close(gx1!, tf.mul(dy, a), `${backend} only the scale sum: d/dx`);
    // only sum dy used: d/d dy = b, d/dx = 0
    const [gdy2, gx2] = tf.grads((d: tf.Tensor, xx: tf.Tensor) => tf.sum(tf.mul(sums(d, xx)[1]!, b)))([dy, x]);
    close(gdy2!, tf.broadcastTo(b, shape), `${backend} only the shift sum: d/d dy`);
    close(gx2!, tf.zerosLike(x), `${backend} only the shift sum: d/dx`);
    // both
    const [gdy3, gx3] = tf.grads((d: tf.Tensor, xx: tf.Tensor) => {
      const [p, q] = sums(d, xx);
      return tf.add(tf.sum(tf.mul(p!, a)), tf.sum(tf.mul(q!, b)));
    })([dy, x]);
    close(gdy3!, tf.add(tf.mul(x, a), b), `${backend} both sums: d/d dy`);
    close(gx3!, tf.mul(dy, a), `${backend} both sums: d/dx`);
  });

  test(`channelAffine on ${backend}: empty tensors`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    const x = tf.zeros([0, 3, 4]), s = randn([4]), t = randn([4]);
    const y = channelAffine(x, s, t);
    assert.deepEqual(y.shape, [0, 3, 4]);
    const [ds, dt] = tf.grads((ss: tf.Tensor, tt: tf.Tensor) => tf.sum(channelAffine(x, ss, tt)))([s, t]);
    assert.deepEqual(Array.from(ds!.dataSync()), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(dt!.dataSync()), [0, 0, 0, 0]);
    assert.deepEqual(channelAffine(tf.zeros([3, 0]), tf.zeros([0]), tf.zeros([0])).shape, [3, 0]);
  });

  test(`channelAffine on ${backend}: wrong shapes are refused, naming the argument`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    const x = randn([2, 3, 4]);
    assert.throws(() => channelAffine(x, randn([3]), randn([4])), /channelAffine: scale has shape \[3\], expected \[4\] \(the last axis of x \[2,3,4\]\)/);
    assert.throws(() => channelAffine(x, randn([4]), randn([4, 1])), /channelAffine: shift has shape \[4,1\], expected \[4\]/);
    assert.throws(() => channelAffine(tf.scalar(1), tf.scalar(1), tf.scalar(1)), /channelAffine: x has shape \[\] \(a scalar\)/);
    // the kernels check their inputs too
    assert.throws(() => tf.engine().runKernel(CHANNEL_AFFINE, { x, scale: randn([2]) }, {}),
      /VitscopeChannelAffine: input 'scale' has shape \[2\], expected \[4\]/);
    assert.throws(() => tf.engine().runKernel(CHANNEL_AFFINE_GRAD, { dy: randn([2, 4]), x }, {}),
      /VitscopeChannelAffineGrad: input 'dy' has shape \[2,4\], expected the shape of x \[2,3,4\]/);
  });

  test(`evaluation-mode batchNorm on ${backend} equals (x - mean) * gamma / sqrt(var + eps) + beta and leaves the running statistics`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    const C = 8;
    const x = randn([2, 4, 4, C], 2, 3) as tf.Tensor4D;
    const params = new Map([['bn.gamma', randn([C], 0.4, 1)], ['bn.beta', randn([C], 0.3)]]);
    const buffers = new Map([['bn.running_mean', tf.variable(randn([C], 1, 3))], ['bn.running_var', tf.variable(tf.abs(randn([C], 2, 0.5)))]]);
    const ctx = (ps: Map<string, tf.Tensor>): Ctx => ({
      training: false, updateStats: true, rng: new Rng(1), p: (n) => ps.get(n)!, buffer: (n) => buffers.get(n)!,
    });
    const before = [...buffers.values()].map((b) => Array.from(b.dataSync()));
    const old = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const scale = tf.mul(tf.rsqrt(tf.add(buffers.get('bn.running_var')!, 1e-5)), g);
      return tf.add(tf.mul(tf.sub(xx, buffers.get('bn.running_mean')!), scale), b);
    };
    const names = await kernelsRun(() => batchNorm(ctx(params), 'bn', x).dispose());
    assert.ok(names.includes(CHANNEL_AFFINE), `${backend}: batchNorm ran ${names.join(',')}`);
    close(batchNorm(ctx(params), 'bn', x), old(x, params.get('bn.gamma')!, params.get('bn.beta')!), `${backend} value`, 1e-6);
    const w = randn(x.shape);
    const loss = (useNew: boolean) => (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(useNew ? batchNorm(ctx(new Map([['bn.gamma', g], ['bn.beta', b]])), 'bn', xx as tf.Tensor4D) : old(xx, g, b), w));
    const args = [x, params.get('bn.gamma')!, params.get('bn.beta')!];
    const gNew = tf.grads(loss(true))(args), gOld = tf.grads(loss(false))(args);
    ['x', 'gamma', 'beta'].forEach((n, i) => close(gNew[i]!, gOld[i]!, `${backend} d/d${n}`, 1e-5));
    assert.deepEqual([...buffers.values()].map((b) => Array.from(b.dataSync())), before, 'the running statistics are unchanged');
  });
}

test('channelAffine runs the composite when fusion is off', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const x = randn([3, 4]), s = randn([4]), t = randn([4]);
  const prev = setFusedKernelsEnabled(false);
  try {
    const names = await kernelsRun(() => channelAffine(x, s, t).dispose());
    assert.ok(!names.includes(CHANNEL_AFFINE), `ran ${names.join(',')}`);
    close(channelAffine(x, s, t), channelAffineComposite(x, s, t), 'composite value', 0);
  } finally {
    setFusedKernelsEnabled(prev);
  }
});

test('channelAffine\'s gradients fall back to composite sums on a backend without VitscopeChannelAffineGrad', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const saved = tf.getKernel(CHANNEL_AFFINE_GRAD, 'cpu')!;
  tf.unregisterKernel(CHANNEL_AFFINE_GRAD, 'cpu');
  try {
    const x = randn([3, 2, 4]), s = randn([4], 0.5, 1), t = randn([4]), w = randn([3, 2, 4]), v = [randn([3, 2, 4]), randn([4]), randn([4])];
    const f = (ca: Affine) => (a: tf.Tensor[]) => tf.sum(tf.mul(tf.tanh(ca(a[0]!, a[1]!, a[2]!)), w));
    const hvp = (ca: Affine) => tf.grads((...a: tf.Tensor[]) =>
      tf.addN(tf.grads((...b: tf.Tensor[]) => f(ca)(b))(a).map((g, i) => tf.sum(tf.mul(g, v[i]!)))))([x, s, t]);
    const names = await kernelsRun(() => hvp(channelAffine).forEach((g) => g.dispose()));
    assert.ok(names.includes(CHANNEL_AFFINE) && !names.includes(CHANNEL_AFFINE_GRAD), `ran ${names.join(',')}`);
    const hf = hvp(channelAffine), hc = hvp(channelAffineComposite);
    ['x', 'scale', 'shift'].forEach((n, i) => close(hf[i]!, hc[i]!, `Hv wrt ${n} without the fused sums`, 5e-5));
  } finally {
    tf.registerKernel(saved);
  }
});
