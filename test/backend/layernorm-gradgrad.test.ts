// LayerNormGrad's fused gradient kernel (VitscopeLayerNormGradGrad) against the composite on the cpu and native
// backends: the kernel itself (also with the dgamma / dbeta adjoints left out), second and third derivatives through
// layerNorm, and Hessian-vector products of three models with the fused kernel on and off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../support/presets.ts';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { layerNorm, setFusedLayerNormGradGradEnabled } from '../../src/backend/fused-ops.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { LAYER_NORM_GRAD, LAYER_NORM_GRAD_GRAD, layerNormGradGradCpu, layerNormGradOps } from '../../src/backend/native/fused-kernels.ts';
import { createModel } from '../../src/models/index.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { close, kernelsRun, normalTensors } from '../support/fused-checks.ts';
import { randomiseHead } from '../support/away-from-init.ts';

// Measured max |fused - reference| relative to the largest entry (float32, sums in another order): about 2e-7 against
// the composite on rows of moderate mean and variance, on cpu and native. Rows of mean 20 and standard deviation 0.05
// are ill-conditioned: one float32 ulp of the mean (2e-6) moves xh by ~4e-5, and the second derivative grows as r^2
// (r ~ 20); there any two float32 evaluations differ by up to ~2e-4 of the largest entry (printed below: fused vs
// composite up to 4e-5, native fused vs cpu's double-precision row sums, layerNormGradGradCpu, up to 2e-4 on rows of 7).
// The tolerances leave a few times the measured differences.
const KERNEL_TOL = 2e-6;
const ILL_COMPOSITE_TOL = 1e-3;
const ILL_REFERENCE_TOL = 5e-4;
const DERIV_TOL = 2e-6;
const EPS = 1e-5;

const native = tryRegisterNativeBackend();
const backends: ('cpu' | 'native')[] = ['cpu', ...(native.registered ? ['native' as const] : [])];
const rng = new Rng(21);
const randn = normalTensors(rng);

/**
 * Rows of N(1, 1) entries; ill: every third one of mean 20 and standard deviation 0.05 instead (large mean, small
 * variance, where float32 statistics lose digits).
 */
function activations(shape: number[], ill: boolean): tf.Tensor {
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const lead = [...shape.slice(0, -1), 1];
  const scale = tf.tensor(Array.from({ length: rows }, (_, i) => (ill && i % 3 === 0 ? 0.05 : 1)), lead);
  const shift = tf.tensor(Array.from({ length: rows }, (_, i) => (ill && i % 3 === 0 ? 20 : 1)), lead);
  return tf.add(tf.mul(randn(shape), scale), shift);
}

function withFused<T>(on: boolean, f: () => T): T {
  const prev = setFusedLayerNormGradGradEnabled(on);
  try {
    return f();
  } finally {
    setFusedLayerNormGradGradEnabled(prev);
  }
}

/** max |a - b| / max(1, max |b|), the measure close() bounds. */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  let m = 0, s = 1;
  for (let i = 0; i < x.length; i++) {
    m = Math.max(m, Math.abs(x[i]! - y[i]!));
    s = Math.max(s, Math.abs(y[i]!));
  }
  return m / s;
}

type Adjoints = { a: tf.Tensor; ag: tf.Tensor | null; ab: tf.Tensor | null };

/** LayerNormGrad's input adjoints by differentiating the LayerNormGrad kernel (its registered gradient). */
function viaGradient(x: tf.Tensor, gamma: tf.Tensor, dy: tf.Tensor, { a, ag, ab }: Adjoints): tf.Tensor[] {
  return tf.grads((xx: tf.Tensor, gg: tf.Tensor, dd: tf.Tensor) => {
    const [dx, dg, db] = tf.engine().runKernel(LAYER_NORM_GRAD, { x: xx, gamma: gg, dy: dd }, { epsilon: EPS } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    let s = tf.sum(tf.mul(dx!, a));
    if (ag) s = tf.add(s, tf.sum(tf.mul(dg!, ag)));
    if (ab) s = tf.add(s, tf.sum(tf.mul(db!, ab)));
    return s;
  })([x, gamma, dy]);
}

/** The same by automatic differentiation of the composite first derivative (independent of the hand-derived formulas). */
function viaOps(x: tf.Tensor, gamma: tf.Tensor, dy: tf.Tensor, { a, ag, ab }: Adjoints): tf.Tensor[] {
  return tf.grads((xx: tf.Tensor, gg: tf.Tensor, dd: tf.Tensor) => {
    const [dx, dg, db] = layerNormGradOps(xx, gg, dd, EPS);
    let s = tf.sum(tf.mul(dx, a));
    if (ag) s = tf.add(s, tf.sum(tf.mul(dg, ag)));
    if (ab) s = tf.add(s, tf.sum(tf.mul(db, ab)));
    return s;
  })([x, gamma, dy]);
}

for (const backend of backends) {
  test(`${backend}: LayerNormGradGrad equals the composite gradient of LayerNormGrad`, async () => {
    await initBackend({ backend, quiet: true });
    const shapes = backend === 'native' ? [[3, 5, 7], [16, 257, 192], [4, 33]] : [[3, 5, 7], [2, 65, 192], [4, 33]];
    for (const shape of shapes) for (const ill of [false, true]) {
      const C = shape[shape.length - 1]!;
      const x = activations(shape, ill), gamma = randn([C], 0.5, 1), dy = randn(shape), a = randn(shape);
      const ag = randn([C]), ab = randn([C]);
      for (const [which, adj] of [['A, Ag, Ab', { a, ag, ab }], ['A', { a, ag: null, ab: null }], ['A, Ab', { a, ag: null, ab }]] as const) {
        const what = `${backend} ${shape}${ill ? ' ill' : ''} (${which})`;
        const inputs: tf.NamedTensorMap = { x, gamma, dy, a };
        if (adj.ag) inputs.ag = adj.ag;
        if (adj.ab) inputs.ab = adj.ab;
        const fused = tf.engine().runKernel(LAYER_NORM_GRAD_GRAD, inputs, { epsilon: EPS } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        const composite = withFused(false, () => viaGradient(x, gamma, dy, adj));
        const f32 = (t: tf.Tensor | null) => (t === null ? null : (t.dataSync() as Float32Array));
        const reference = layerNormGradGradCpu(f32(x)!, f32(gamma)!, f32(dy)!, f32(a)!, f32(adj.ag), f32(adj.ab), C, EPS)
          .map((v, i) => tf.tensor(v, fused[i]!.shape));
        const names = ['x', 'gamma', 'dy'];
        const tol = ill ? ILL_COMPOSITE_TOL : KERNEL_TOL;
        names.forEach((n, i) => close(fused[i]!, composite[i]!, `${what} d/d ${n} vs composite`, tol));
        if (ill) names.forEach((n, i) => close(fused[i]!, reference[i]!, `${what} d/d ${n} vs double sums`, ILL_REFERENCE_TOL));
        const text = (refs: tf.Tensor[]) => fused.map((t, i) => `${names[i]} ${relDiff(t, refs[i]!).toExponential(1)}`).join(' ');
        console.log(`# ${what}: rel max |fused - composite| ${text(composite)}; |fused - double sums| ${text(reference)}`);
        if (!ill && shape[0] === 3) {
          // the hand-derived formulas themselves, against autodiff of the composite first derivative
          const auto = viaOps(x, gamma, dy, adj);
          names.forEach((n, i) => close(fused[i]!, auto[i]!, `${what} autodiff d/d ${n}`, KERNEL_TOL));
        }
      }
    }
    assert.throws(() => tf.engine().runKernel(LAYER_NORM_GRAD_GRAD, { x: tf.ones([2, 3]), gamma: tf.ones([3]), dy: tf.ones([2, 3]), a: tf.ones([3, 2]) },
      { epsilon: EPS } as unknown as tf.NamedAttrMap), /input 'a' has shape/);
  });

  test(`${backend}: second and third derivatives through layerNorm equal the composite gradient's`, async () => {
    await initBackend({ backend, quiet: true });
    for (const shape of [[3, 5, 7], [2, 33, 64]]) {
      const C = shape[shape.length - 1]!;
      const x = activations(shape, false), gamma = randn([C], 0.5, 1), beta = randn([C]);
      const w = randn(shape), w2 = randn(shape);
      const v = [randn(shape), randn([C]), randn([C])], u = [randn(shape), randn([C]), randn([C])];
      const dot = (as: tf.Tensor[], bs: tf.Tensor[]) => as.map((t, i) => tf.sum(tf.mul(t, bs[i]!))).reduce((p, q) => tf.add(p, q));
      // a loss with a second-order term in y, so that the first backward pass's dy depends on the parameters
      const loss = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const y = layerNorm(xx, gg, bb, EPS);
        return tf.add(tf.sum(tf.mul(y, w)), tf.sum(tf.mul(tf.square(y), w2)));
      };
      const g = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.grads(loss)([xx, gg, bb]);
      const hv = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => dot(g(a, b, c), v))([xx, gg, bb]);
      const third = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => dot(hv(a, b, c), u))([xx, gg, bb]);
      for (const [name, f] of [['Hv', hv], ['third', third]] as const) {
        const fused = withFused(true, () => f(x, gamma, beta)), composite = withFused(false, () => f(x, gamma, beta));
        ['x', 'gamma', 'beta'].forEach((n, i) => {
          close(fused[i]!, composite[i]!, `${backend} ${shape} ${name} ${n}`, DERIV_TOL);
          console.log(`# ${backend} ${shape} ${name} ${n}: rel max |fused - composite| ${relDiff(fused[i]!, composite[i]!).toExponential(2)}`);
        });
      }
      // the fused kernel ran when on (second order), and only when on
      const on = await kernelsRun(() => withFused(true, () => tf.dispose(hv(x, gamma, beta))));
      const off = await kernelsRun(() => withFused(false, () => tf.dispose(hv(x, gamma, beta))));
      assert.ok(on.includes(LAYER_NORM_GRAD_GRAD), `${backend} on: ${on.join(',')}`);
      assert.ok(!off.includes(LAYER_NORM_GRAD_GRAD), `${backend} off: ${off.join(',')}`);
    }
  });

  for (const preset of ['vit-tiny-test', 'mixer-tiny-test', 'swin-tiny-test']) {
    test(`${backend} ${preset}: Hessian-vector products with the fused LayerNormGrad gradient equal the composite's within 1e-5`, async () => {
      await initBackend({ backend, quiet: true });
      const model = createModel(preset, { seed: 5 });
      // away from the initialisation: mixer's head starts at zero, which makes the Hessian's block of every parameter
      // before it zero (the norm-parameter products compared 0 with 0); gamma = 1, beta = 0 would hide their terms
      randomiseHead(model, 40);
      let seed = 50;
      for (const [name, p] of model.params) {
        if (/norm.*gamma/.test(name)) p.assign(tf.randomNormal(p.shape, 1, 0.3, 'float32', seed++));
        else if (/norm.*beta/.test(name)) p.assign(tf.randomNormal(p.shape, 0, 0.1, 'float32', seed++));
      }
      const size = model.config.imageSize;
      const batch = { x: tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 6) as tf.Tensor4D, y: tf.tensor1d([1, 0, 2], 'int32') };
      // all parameters, and the layer norms' alone (their block of the Hessian, where an error in the second
      // derivative is not drowned by the rest of the product)
      const normParams = [...model.params.keys()].filter((n) => /norm/.test(n));
      assert.ok(normParams.length > 0, `${preset}: no parameters named *norm*`);
      for (const names of [undefined, normParams]) {
        const probe = modelHessianOperator(model, [batch], { reuseGraph: false, names });
        const v = normalVector(new Rng(9), probe.dim);
        probe.dispose();
        const product = async (on: boolean) => {
          const prev = setFusedLayerNormGradGradEnabled(on);
          try {
            const op = modelHessianOperator(model, [batch], { reuseGraph: false, names });
            const out = await op.matvec(v);
            op.dispose();
            return out;
          } finally {
            setFusedLayerNormGradGradEnabled(prev);
          }
        };
        const fused = await product(true), composite = await product(false);
        let diff = 0, norm = 0;
        for (let i = 0; i < fused.length; i++) {
          diff += (fused[i]! - composite[i]!) ** 2;
          norm += composite[i]! ** 2;
        }
        const rel = Math.sqrt(diff / norm);
        const which = names ? `${names.length} norm parameters` : 'all parameters';
        console.log(`# ${backend} ${preset} ${which}: |Hv fused - Hv composite| / |Hv composite| = ${rel.toExponential(2)}`);
        assert.ok(rel <= 1e-5, `${which}: relative difference ${rel}`);
        assert.ok(rel > 0, `${which}: the switch changed nothing: the fused kernel did not run`);
      }
      model.dispose();
      tf.dispose([batch.x, batch.y]);
    });
  }
}
