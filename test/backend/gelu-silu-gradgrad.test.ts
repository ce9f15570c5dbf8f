// GELU's and SiLU's fused second-derivative kernels (VitscopeGeluGradGrad, VitscopeSiluGradGrad) against the composite
// on the cpu and native backends: the kernels themselves over a range of x, second and third derivatives through the
// fused activations, and Hessian-vector products of three models with the fused kernels on and off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { gelu, silu, setFusedActivationGradGradEnabled } from '../../src/backend/fused-ops.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { GELU_GRAD, GELU_GRAD_GRAD, SILU_GRAD, SILU_GRAD_GRAD } from '../../src/backend/native/fused-kernels.ts';
import { createModel } from '../../src/models/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { close, kernelsRun, normalTensors } from '../support/fused-checks.ts';
import { randomiseHead } from '../support/away-from-init.ts';

// Measured max |fused - composite| relative to max(1, max |composite|): a few 1e-7 for the kernels (float32
// rounding: the composite rounds after each of its ops, the kernels once or after a few float ops); second and third
// derivatives likewise. The tolerances leave a few times that.
const KERNEL_TOL = 1e-6;
const DERIV_TOL = 2e-6;

const native = tryRegisterNativeBackend();
const backends: ('cpu' | 'native')[] = ['cpu', ...(native.registered ? ['native' as const] : [])];
const rng = new Rng(17);
const randn = normalTensors(rng);

const SQRT_2PI_INV = 0.3989422804014327;

/** x over [-12, 12] evenly (large |x|: the density and sigmoid's tails underflow) followed by N(0, 2) entries. */
function xs(n: number): tf.Tensor {
  const grid = Array.from({ length: 241 }, (_, i) => -12 + i * 0.1);
  const rest = Array.from({ length: n - grid.length }, () => 2 * rng.normal());
  return tf.tensor([...grid, ...rest]);
}

const activations = [
  {
    name: 'gelu', f: gelu, grad: GELU_GRAD, gradGrad: GELU_GRAD_GRAD,
    second: (x: tf.Tensor) => tf.mul(tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), tf.sub(2, tf.square(x))), SQRT_2PI_INV),
  },
  {
    name: 'silu', f: silu, grad: SILU_GRAD, gradGrad: SILU_GRAD_GRAD,
    second: (x: tf.Tensor) => {
      const s = tf.sigmoid(x);
      return tf.mul(tf.mul(s, tf.sub(1, s)), tf.add(tf.mul(x, tf.sub(1, tf.mul(s, 2))), 2));
    },
  },
] as const;

/** Runs f with the fused second-derivative kernels on or off. */
function withFused<T>(on: boolean, f: () => T): T {
  const prev = setFusedActivationGradGradEnabled(on);
  try {
    return f();
  } finally {
    setFusedActivationGradGradEnabled(prev);
  }
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

for (const backend of backends) {
  for (const act of activations) {
    test(`${backend}: ${act.gradGrad} equals the composite, and its dy adjoint equals ${act.grad}(x, a) bit for bit`, async () => {
      await initBackend({ backend, quiet: true });
      // sizes above the native kernel's 16384-element split, and one of a single element
      for (const n of [1000, 40000]) {
        const x = xs(n), dy = randn([n]), a = randn([n]);
        const [gx, gdy] = tf.engine().runKernel(act.gradGrad, { x, dy, a }, {}) as unknown as tf.Tensor[];
        const refGx = tf.mul(tf.mul(a, dy), act.second(x));
        close(gx!, refGx, `${backend} ${act.name} ${n} gx`, KERNEL_TOL);
        const refGdy = tf.engine().runKernel(act.grad, { x, dy: a }, {}) as tf.Tensor;
        assert.deepEqual(gdy!.dataSync(), refGdy.dataSync(), `${backend} ${act.name} ${n}: gdy differs from ${act.grad}(x, a)`);
        console.log(`# ${backend} ${act.name} ${n}: max |fused - composite| gx ${maxDiff(gx!, refGx).toExponential(2)}`);
      }
      const one = tf.tensor([0.5]);
      const [g1] = tf.engine().runKernel(act.gradGrad, { x: one, dy: one, a: one }, {}) as unknown as tf.Tensor[];
      close(g1!, tf.mul(tf.square(one), act.second(one)), `${backend} ${act.name} one element`, KERNEL_TOL);
    });

    test(`${backend}: second and third derivatives through ${act.name} equal the composite's`, async () => {
      await initBackend({ backend, quiet: true });
      for (const shape of [[4, 7, 33], [2, 65, 257]]) {
        const x = tf.reshape(xs(shape.reduce((p, q) => p * q, 1)), shape), w = randn(shape), v = randn(shape), u = randn(shape);
        const loss = (xx: tf.Tensor) => tf.sum(tf.mul(act.f(xx), w));
        const g = (xx: tf.Tensor) => tf.grad(loss)(xx);
        const hv = (xx: tf.Tensor) => tf.grad((x2: tf.Tensor) => tf.sum(tf.mul(g(x2), v)))(xx);
        const third = (xx: tf.Tensor) => tf.grad((x3: tf.Tensor) => tf.sum(tf.mul(hv(x3), u)))(xx);
        for (const [name, f] of [['Hv', hv], ['third', third]] as const) {
          const fused = withFused(true, () => f(x)), composite = withFused(false, () => f(x));
          close(fused, composite, `${backend} ${act.name} ${shape} ${name}`, DERIV_TOL);
          console.log(`# ${backend} ${act.name} ${shape} ${name}: max |fused - composite| ${maxDiff(fused, composite).toExponential(2)}`);
        }
        // the fused kernel ran for the second derivative when on, and only then; a third derivative records the composite
        const on = await kernelsRun(() => withFused(true, () => hv(x).dispose()));
        const off = await kernelsRun(() => withFused(false, () => hv(x).dispose()));
        const thirdOn = await kernelsRun(() => withFused(true, () => third(x).dispose()));
        assert.ok(on.includes(act.gradGrad), `${backend} on: ${on.join(',')}`);
        assert.ok(!off.includes(act.gradGrad), `${backend} off: ${off.join(',')}`);
        assert.ok(on.filter((k) => k === act.gradGrad).length === 1, `${backend} on: ${on.join(',')}`);
        assert.ok(thirdOn.filter((k) => k === act.gradGrad).length <= 1, `${backend} third: ${thirdOn.join(',')}`);
      }
    });
  }

  for (const [preset, kernel] of [['vit-tiny-test', GELU_GRAD_GRAD], ['mixer-tiny-test', GELU_GRAD_GRAD], ['mobilevit-tiny-test', SILU_GRAD_GRAD]]) {
    test(`${backend} ${preset}: Hessian-vector products with the fused activation second derivatives equal the composite's within 1e-5`, async () => {
      await initBackend({ backend, quiet: true });
      const model = createModel(preset, { seed: 5 });
      // a zero-initialised head (mixer's) zeroes every upstream gradient and with it the activations' second-derivative term
      randomiseHead(model, 4, 0.5);
      const size = model.config.imageSize;
      const batch = { x: tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 6) as tf.Tensor4D, y: tf.tensor1d([1, 0, 2], 'int32') };
      // all parameters, and the first MLP layers' alone (the block of the Hessian where the activation's second
      // derivative is not drowned by the rest of the product)
      const fc1 = [...model.params.keys()].filter((n) => /fc1/.test(n));
      assert.ok(fc1.length > 0, `${preset}: no fc1 parameters`);
      for (const names of [undefined, fc1]) {
        const probe = modelHessianOperator(model, [batch], { reuseGraph: false, names });
        const v = normalVector(new Rng(9), probe.dim);
        probe.dispose();
        const product = async (on: boolean) => {
          const prev = setFusedActivationGradGradEnabled(on);
          try {
            const op = modelHessianOperator(model, [batch], { reuseGraph: false, names });
            let out = new Float64Array(0);
            const kernels = (await tf.profile(async () => { out = await op.matvec(v); })).kernels.map((k) => k.name);
            op.dispose();
            return { out, ran: kernels.includes(kernel) };
          } finally {
            setFusedActivationGradGradEnabled(prev);
          }
        };
        const fused = await product(true), composite = await product(false);
        // the switch decides (native SiLU's kernel rounds as the composite does: equal products prove nothing there)
        assert.ok(fused.ran && !composite.ran, `${preset}: ${kernel} ran ${fused.ran} with the switch on, ${composite.ran} off`);
        let diff = 0, norm = 0;
        for (let i = 0; i < fused.out.length; i++) {
          diff += (fused.out[i]! - composite.out[i]!) ** 2;
          norm += composite.out[i]! ** 2;
        }
        const rel = Math.sqrt(diff / norm);
        const which = names ? `${names.length} fc1 parameters` : 'all parameters';
        console.log(`# ${backend} ${preset} ${which}: |Hv fused - Hv composite| / |Hv composite| = ${rel.toExponential(2)}`);
        assert.ok(norm > 0, `${which}: a zero product`);
        assert.ok(rel <= 1e-5, `${which}: relative difference ${rel}`);
      }
      model.dispose();
      tf.dispose([batch.x, batch.y]);
    });
  }
}
