// Softmax's fused gradient kernels (VitscopeSoftmaxGrad, VitscopeSoftmaxGradGrad) against the composite on the cpu and
// native backends: the kernels themselves, first to third derivatives through tf.softmax, and Hessian-vector products
// of two attention models with the fused gradient on and off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { setFusedSoftmaxGradEnabled } from '../../src/backend/fused-ops.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { SOFTMAX_GRAD, SOFTMAX_GRAD_GRAD } from '../../src/backend/native/fused-kernels.ts';
import { createModel } from '../../src/models/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { close, kernelsRun, normalTensors } from '../support/fused-checks.ts';

// Measured max |fused - composite| (float32, sums in another order; entries of scale <= 1): about 1e-7 for the
// kernels, a few 1e-7 for second derivatives. The tolerances leave a few times that.
const KERNEL_TOL = 1e-6;
const DERIV_TOL = 2e-6;

const native = tryRegisterNativeBackend();
const backends: ('cpu' | 'native')[] = ['cpu', ...(native.registered ? ['native' as const] : [])];
const rng = new Rng(11);
const randn = normalTensors(rng);

/** Logits with some rows of large values (softmax nearly one-hot there, y entries ~1e-30). */
function logits(shape: number[]): tf.Tensor {
  const x = randn(shape, 2);
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const big = tf.tensor(Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 40 : 1)), [...shape.slice(0, -1), 1]);
  return tf.mul(x, big);
}

/** Runs f with the fused softmax gradient on or off. */
function withFused<T>(on: boolean, f: () => T): T {
  const prev = setFusedSoftmaxGradEnabled(on);
  try {
    return f();
  } finally {
    setFusedSoftmaxGradEnabled(prev);
  }
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

for (const backend of backends) {
  test(`${backend}: SoftmaxGrad and SoftmaxGradGrad equal the composite formulas`, async () => {
    await initBackend({ backend, quiet: true });
    for (const shape of [[2, 3, 7, 11], [2, 3, 257, 257], [5, 1]]) {
      const y = tf.softmax(logits(shape)), dy = randn(shape), a = randn(shape);
      const run = <T>(k: string, inputs: Record<string, tf.Tensor>) => tf.engine().runKernel(k, inputs, { dim: shape.length - 1 }) as unknown as T;
      const dx = run<tf.Tensor>(SOFTMAX_GRAD, { y, dy });
      const s = tf.sum(tf.mul(dy, y), -1, true), r = tf.sum(tf.mul(a, y), -1, true);
      const ref = tf.sub(tf.mul(dy, y), tf.mul(s, y));
      close(dx, ref, `${backend} ${shape} dx`, KERNEL_TOL);
      const [gy, gdy] = run<tf.Tensor[]>(SOFTMAX_GRAD_GRAD, { y, dy, a });
      close(gdy!, tf.mul(y, tf.sub(a, r)), `${backend} ${shape} gdy`, KERNEL_TOL);
      close(gy!, tf.sub(tf.mul(a, tf.sub(dy, s)), tf.mul(r, dy)), `${backend} ${shape} gy`, KERNEL_TOL);
      console.log(`# ${backend} ${shape}: max |fused - composite| dx ${maxDiff(dx, ref).toExponential(2)}`);
    }
    assert.throws(() => tf.engine().runKernel(SOFTMAX_GRAD, { y: tf.ones([2, 3]), dy: tf.ones([3, 2]) }, { dim: 1 }), /one shape/);
  });

  test(`${backend}: first, second and third derivatives through tf.softmax equal the composite gradient's`, async () => {
    await initBackend({ backend, quiet: true });
    for (const shape of [[2, 3, 7, 11], [2, 3, 65, 65]]) {
      const x = logits(shape), w = randn(shape), v = randn(shape), u = randn(shape);
      const loss = (xx: tf.Tensor) => tf.sum(tf.mul(tf.softmax(xx), w));
      const g = (xx: tf.Tensor) => tf.grad(loss)(xx);
      const hv = (xx: tf.Tensor) => tf.grad((x2: tf.Tensor) => tf.sum(tf.mul(g(x2), v)))(xx);
      const third = (xx: tf.Tensor) => tf.grad((x3: tf.Tensor) => tf.sum(tf.mul(hv(x3), u)))(xx);
      for (const [name, f] of [['grad', g], ['Hv', hv], ['third', third]] as const) {
        const fused = withFused(true, () => f(x)), composite = withFused(false, () => f(x));
        close(fused, composite, `${backend} ${shape} ${name}`, DERIV_TOL);
        console.log(`# ${backend} ${shape} ${name}: max |fused - composite| ${maxDiff(fused, composite).toExponential(2)}`);
      }
      // the fused kernels ran when on, and only when on
      const on = await kernelsRun(() => withFused(true, () => hv(x).dispose()));
      const off = await kernelsRun(() => withFused(false, () => hv(x).dispose()));
      assert.ok(on.includes(SOFTMAX_GRAD) && on.includes(SOFTMAX_GRAD_GRAD), `${backend} on: ${on.join(',')}`);
      assert.ok(!off.includes(SOFTMAX_GRAD) && !off.includes(SOFTMAX_GRAD_GRAD), `${backend} off: ${off.join(',')}`);
    }
  });

  for (const preset of ['vit-tiny-test', 'swin-tiny-test']) {
    test(`${backend} ${preset}: Hessian-vector products with the fused softmax gradient equal the composite's within 1e-5`, async () => {
      await initBackend({ backend, quiet: true });
      const model = createModel(preset, { seed: 5 });
      const size = model.config.imageSize;
      const batch = { x: tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 6) as tf.Tensor4D, y: tf.tensor1d([1, 0, 2], 'int32') };
      // all parameters, and those before the softmax only (the attention scores' block of the Hessian, where the
      // softmax's second derivative is not drowned by the rest of the product)
      const scoreParams = [...model.params.keys()].filter((n) => /qkv\.kernel|relative_position_bias_table/.test(n));
      for (const names of [undefined, scoreParams]) {
        const probe = modelHessianOperator(model, [batch], { reuseGraph: false, names });
        const v = normalVector(new Rng(9), probe.dim);
        probe.dispose();
        const product = async (on: boolean) => {
          const prev = setFusedSoftmaxGradEnabled(on);
          try {
            const op = modelHessianOperator(model, [batch], { reuseGraph: false, names });
            const out = await op.matvec(v);
            op.dispose();
            return out;
          } finally {
            setFusedSoftmaxGradEnabled(prev);
          }
        };
        const fused = await product(true), composite = await product(false);
        let diff = 0, norm = 0;
        for (let i = 0; i < fused.length; i++) {
          diff += (fused[i]! - composite[i]!) ** 2;
          norm += composite[i]! ** 2;
        }
        const rel = Math.sqrt(diff / norm);
        const which = names ? `${names.length} score parameters` : 'all parameters';
        console.log(`# ${backend} ${preset} ${which}: |Hv fused - Hv composite| / |Hv composite| = ${rel.toExponential(2)}`);
        assert.ok(rel <= 1e-5, `${which}: relative difference ${rel}`);
        assert.ok(rel > 0, `${which}: the switch changed nothing: the fused kernels did not run`);
      }
      model.dispose();
      tf.dispose([batch.x, batch.y]);
    });
  }
}
