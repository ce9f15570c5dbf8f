// The fused layerNorm / GELU / SiLU kernels against their composite definitions (src/backend/fused-ops.ts) on the cpu and
// native backends: outputs, first-order gradients (fused backward kernels) and second-order gradients
// (differentiable fallback). Tolerance 2e-5 of the reference's scale (float32, different summation order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { adamwUpdate, adamwUpdateComposite, batchNormTraining, batchNormTrainingComposite, gelu, geluComposite, layerNorm, layerNormComposite, silu, siluComposite } from '../../src/backend/fused-ops.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { ADAMW, BATCH_NORM, BATCH_NORM_GRAD, GELU, LAYER_NORM, SILU, SILU_GRAD } from '../../src/backend/native/fused-kernels.ts';
import { Rng } from '../../src/util/random.ts';
import { close, kernelsRun, normalTensors } from '../support/fused-checks.ts';

const rng = new Rng(7);
const randn = normalTensors(rng);

const native = tryRegisterNativeBackend();
const backends = ['cpu', ...(native.registered ? ['native'] : [])];

for (const backend of backends) {
  test(`fused layerNorm matches the composite on ${backend} (values, grad, grad of grad)`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    for (const shape of [[6, 7], [2, 65, 192], [3, 1, 5]]) {
      const C = shape[shape.length - 1];
      const x = randn(shape, 2, 0.5), g = randn([C], 0.5, 1), b = randn([C], 0.3);
      const names = await kernelsRun(() => layerNorm(x, g, b).dispose());
      assert.ok(names.includes(LAYER_NORM), `${backend}: layerNorm ran ${names.join(',')}`);
      close(layerNorm(x, g, b), layerNormComposite(x, g, b), `${backend} ${shape} value`);
      const w = randn(shape);
      const loss = (ln: typeof layerNorm) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(ln(xx, gg, bb), w));
      const gf = tf.grads(loss(layerNorm))([x, g, b]);
      const gc = tf.grads(loss(layerNormComposite))([x, g, b]);
      ['x', 'gamma', 'beta'].forEach((n, i) => close(gf[i], gc[i], `${backend} ${shape} d/d${n}`));
      // second order: d/dx of sum(dL/dx * v) (a Hessian-vector product), through both gamma and x
      const v = randn(shape);
      const hvp = (ln: typeof layerNorm) => tf.grads((xx: tf.Tensor, gg: tf.Tensor) => tf.sum(tf.mul(tf.grad((x2: tf.Tensor) => loss(ln)(x2, gg, b))(xx), v)))([x, g]);
      const hf = hvp(layerNorm), hc = hvp(layerNormComposite);
      close(hf[0], hc[0], `${backend} ${shape} Hv wrt x`);
      close(hf[1], hc[1], `${backend} ${shape} Hv wrt gamma`);
    }
  });

  test(`fused batchNormTraining matches the composite on ${backend} (values, statistics, grads, grad of grad)`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    for (const shape of [[4, 5, 5, 6], [3, 1, 2, 16], [64, 3]]) {
      const C = shape[shape.length - 1];
      const x = randn(shape, 2, 0.7), g = randn([C], 0.5, 1), b = randn([C], 0.3);
      const names = await kernelsRun(() => batchNormTraining(x, g, b).y.dispose());
      assert.ok(names.includes(BATCH_NORM), `${backend}: batchNormTraining ran ${names.join(',')}`);
      const f = batchNormTraining(x, g, b), c = batchNormTrainingComposite(x, g, b);
      close(f.y, c.y, `${backend} ${shape} y`);
      close(f.mean, c.mean, `${backend} ${shape} mean`);
      close(f.variance, c.variance, `${backend} ${shape} variance`);
      const w = randn(shape), wm = randn([C]), wv = randn([C]);
      type BN = typeof batchNormTraining;
      // a loss through y and through the statistics
      const loss = (bn: BN) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const r = bn(xx, gg, bb);
        return tf.addN([tf.sum(tf.mul(r.y, w)), tf.sum(tf.mul(r.mean, wm)), tf.sum(tf.mul(r.variance, wv))]);
      };
      const gf = tf.grads(loss(batchNormTraining))([x, g, b]);
      const gc = tf.grads(loss(batchNormTrainingComposite))([x, g, b]);
      ['x', 'gamma', 'beta'].forEach((n, i) => close(gf[i], gc[i], `${backend} ${shape} d/d${n}`));
      const yOnly = (bn: BN) => (xx: tf.Tensor, gg: tf.Tensor) => tf.sum(tf.mul(bn(xx, gg, b).y, w));
      const gy = tf.grads(yOnly(batchNormTraining))([x, g]), gyc = tf.grads(yOnly(batchNormTrainingComposite))([x, g]);
      close(gy[0], gyc[0], `${backend} ${shape} d/dx (y only)`);
      // unused statistics get zero adjoints from the engine: no full-size pass may follow the backward kernel for
      // them (a training step that leaves the running averages alone), while a used mean must add its term
      const after = async (f: () => void) => {
        const ks = (await tf.profile(f)).kernels.map((k) => `${k.name}[${k.outputShapes[0]?.join('x')}]`);
        return ks.slice(ks.findIndex((k) => k.startsWith(BATCH_NORM_GRAD)) + 1).filter((k) => k.endsWith(`[${shape.join('x')}]`));
      };
      const yOnlyAfter = await after(() => { tf.dispose(tf.grads(yOnly(batchNormTraining))([x, g])); });
      assert.deepEqual(yOnlyAfter, [], `${backend} ${shape}: full-size kernels for unused statistics`);
      const meanLoss = (xx: tf.Tensor) => { const r = batchNormTraining(xx, g, b); return tf.add(tf.sum(tf.mul(r.y, w)), tf.sum(tf.mul(r.mean, wm))); };
      const meanAfter = await after(() => { tf.dispose(tf.grads(meanLoss)([x])); });
      assert.ok(meanAfter.length > 0, `${backend} ${shape}: the mean's gradient term is missing`);
      const meanComposite = (xx: tf.Tensor) => { const r = batchNormTrainingComposite(xx, g, b); return tf.add(tf.sum(tf.mul(r.y, w)), tf.sum(tf.mul(r.mean, wm))); };
      close(tf.grad(meanLoss)(x), tf.grad(meanComposite)(x), `${backend} ${shape} d/dx (y and mean)`);
      const v = randn(shape);
      const hvp = (bn: BN) => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.grad((x2: tf.Tensor) => loss(bn)(x2, g, b))(xx), v)))(x);
      close(hvp(batchNormTraining), hvp(batchNormTrainingComposite), `${backend} ${shape} Hv`);
    }
  });

  test(`fused AdamW step matches the composite on ${backend}`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    for (const [shape, wd] of [[[7], 0], [[64, 300], 0.05], [[3, 3, 16, 16], 0.05]] as [number[], number][]) {
      let pf: tf.Tensor = randn(shape), mf: tf.Tensor = tf.zeros(shape), vf: tf.Tensor = tf.zeros(shape);
      let pc = pf, mc = mf, vc = vf;
      const lr = 1e-2;
      for (let t = 1; t <= 3; t++) {
        const g = randn(shape, 0.1);
        const attrs = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: lr / (1 - 0.9 ** t), bc2Sqrt: Math.sqrt(1 - 0.999 ** t), decay: lr * wd };
        if (t === 1) {
          const names = await kernelsRun(() => adamwUpdate(pf, g, mf, vf, attrs).forEach((x) => x.dispose()));
          assert.ok(names.includes(ADAMW), `${backend}: adamwUpdate ran ${names.join(',')}`);
        }
        [pf, mf, vf] = adamwUpdate(pf, g, mf, vf, attrs);
        [pc, mc, vc] = adamwUpdateComposite(pc, g, mc, vc, attrs);
      }
      close(pf, pc, `${backend} ${shape} parameter`);
      close(mf, mc, `${backend} ${shape} first moment`);
      close(vf, vc, `${backend} ${shape} second moment`);
      assert.ok(tf.max(tf.abs(tf.sub(pf, pc))).dataSync()[0] < 1e-6, 'parameters agree to float32 rounding');
    }
  });

  test(`fused gelu matches the composite on ${backend} (values, grad, grad of grad)`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    for (const shape of [[5], [64, 300], [0, 3]]) {
      const x = randn(shape, 3);
      const names = await kernelsRun(() => gelu(x).dispose());
      assert.ok(names.includes(GELU), `${backend}: gelu ran ${names.join(',')}`);
      close(gelu(x), geluComposite(x), `${backend} ${shape} value`);
      const w = randn(shape);
      close(tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(gelu(xx), w)))(x), tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(geluComposite(xx), w)))(x), `${backend} ${shape} grad`);
      const h = (fn: typeof gelu) => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.grad((x2: tf.Tensor) => tf.sum(tf.mul(fn(x2), w)))(xx), w)))(x);
      close(h(gelu), h(geluComposite), `${backend} ${shape} second derivative`);
    }
  });
}

for (const backend of backends) {
  test(`fused silu matches the composite on ${backend} (values, grad, grad of grad, third derivative)`, async () => {
    await initBackend({ backend: backend as 'cpu' | 'native', quiet: true });
    for (const shape of [[5], [64, 300], [0, 3]]) {
      const x = randn(shape, 4);
      const w = randn(shape);
      const names = await kernelsRun(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(silu(xx), w)))(x).dispose());
      assert.ok(names.includes(SILU) && names.includes(SILU_GRAD), `${backend}: silu and its gradient ran ${names.join(',')}`);
      // cpu: the same float operations as the composite (cpu Sigmoid, then Multiply)
      if (backend === 'cpu') assert.deepEqual(Array.from(silu(x).dataSync()), Array.from(siluComposite(x).dataSync()), `${shape} value bit for bit`);
      close(silu(x), siluComposite(x), `${backend} ${shape} value`);
      const g = (fn: typeof silu) => (xx: tf.Tensor) => tf.grad((x2: tf.Tensor) => tf.sum(tf.mul(fn(x2), w)))(xx);
      close(g(silu)(x), g(siluComposite)(x), `${backend} ${shape} grad`);
      const h = (fn: typeof silu) => (xx: tf.Tensor) => tf.grad((x2: tf.Tensor) => tf.sum(tf.mul(g(fn)(x2), w)))(xx);
      close(h(silu)(x), h(siluComposite)(x), `${backend} ${shape} second derivative`);
      const t3 = (fn: typeof silu) => tf.grad((x2: tf.Tensor) => tf.sum(tf.mul(h(fn)(x2), w)))(x);
      close(t3(silu), t3(siluComposite), `${backend} ${shape} third derivative`);
    }
  });
}

test('layerNorm falls back to the composite for parameters it cannot fuse', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const x = randn([4, 6]), g = randn([4, 6]), b = randn([6]);
  const names = await kernelsRun(() => layerNorm(x, g, b).dispose());
  assert.ok(!names.includes(LAYER_NORM));
  close(layerNorm(x, g, b), layerNormComposite(x, g, b), 'full-shape gamma');
});
