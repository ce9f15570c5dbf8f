// The PyTorch cross-check of one model preset, in the order the quantities build on each other:
// logits -> every feature map -> loss (NLL on soft targets + L2) -> gradient -> Hessian-vector product ->
// top-5 eigenvalues (PyHessian's power iteration, same start vectors) -> the analyses (Fourier, variance,
// frequency-band noise, loss landscape). vitscope writes the model with its checkpoint writer; the PyTorch
// side (py/crosscheck.py) loads it into modules written for this check and runs the reference code.
// Both sides compute in float32; each test states its tolerance on the max relative difference.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { createModel, type Model, type ModelConfig } from '../../src/models/index.ts';
import { saveCheckpoint } from '../../src/models/checkpoint.ts';
import { selectParams } from '../../src/models/flat-params.ts';
import { lossOfParams } from '../../src/train/loss-of-params.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { powerIteration } from '../../src/hessian/power.ts';
import { HESSIAN_PROTOCOLS } from '../../src/hessian/protocol.ts';
import { Rng } from '../../src/util/random.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import type { SafeTensor } from '../../src/models/safetensors.ts';
import { Agreement, findTorchPython, maxRelDiff, readArrays, runReference, skipUnlessTorch, tempDir, writeArrays, type Arrays } from './helpers.ts';
import { analysisChecks, prepareAnalysisInputs, type AnalysisInputs } from './analysis-check.ts';

export interface CrossCheckSpec {
  /** Label in the test names and the agreement table. */
  label: string;
  /** The model compared on logits, features, loss, gradient, HVP and the analyses. */
  config: string | ModelConfig;
  /** The model whose top-5 eigenvalues are compared (a smaller one of the same architecture where the full one is too slow). */
  eigenConfig: string | ModelConfig;
  batch: number;
  /** PyHessian's power-iteration settings. */
  power: { k: number; maxIter: number; tol: number };
  /**
   * Stated tolerances on the max relative difference (helpers.ts maxRelDiff), float32 on both sides. Measured
   * differences are 1e-7 ... 3e-6; the tolerances leave a margin of 10x or more for other BLAS kernels and
   * summation orders. Logits: 1e-4, as the head bias is centred (analysis-check.ts), which leaves logits far
   * smaller than the terms they are the difference of. Eigenvalues: 2e-3, since float32 rounding may stop the power iteration one product
   * earlier or later on one side, which moves an eigenvalue by up to tol (1e-3) relative.
   */
  tolerance: {
    logits: number;
    features: number;
    loss: number;
    gradient: number;
    hvp: number;
    eigenvalues: number;
  };
}

/** L2 coefficient c of the Hessian loss NLL + (c/2)·Σ‖p‖², as the paper protocol sets it (the recipe's weight decay). */
export const L2 = HESSIAN_PROTOCOLS.protocols.paper.settings.l2;

/** PyHessian's k and tolerance as the paper protocol sets them, with the quick protocol's products per eigenvalue (20, not 100). */
export const POWER = {
  k: HESSIAN_PROTOCOLS.protocols.paper.settings.k,
  tol: HESSIAN_PROTOCOLS.protocols.paper.settings.tol,
  maxIter: HESSIAN_PROTOCOLS.protocols.quick.settings.maxIter,
};
const LABEL_SMOOTHING = 0.1;

function normals(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/**
 * Moves every bias, norm and embedding parameter (and BatchNorm statistics) off its initial constant, so
 * that each one influences the outputs and the check sees its layout and its gradient.
 */
function perturb(model: Model, rng: Rng): void {
  for (const info of model.paramInfo) {
    if (info.role === 'weight' || info.role === 'position') continue;
    const v = model.params.get(info.name)!;
    const n = v.size;
    tf.tidy(() => v.assign(tf.add(v, tf.tensor(normals(rng, n, 0.1), v.shape))));
  }
  for (const [name, v] of model.buffers) {
    const n = v.size;
    const values = name.endsWith('running_var') ? Float32Array.from({ length: n }, () => 0.5 + rng.uniform()) : normals(rng, n, 0.1);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
}

/** Mixup of two classes per image, then label smoothing 0.1: the soft targets of the paper's training loss. */
export function softTargets(rng: Rng, batch: number, classes: number): Float32Array {
  const t = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) {
    const lam = rng.uniform();
    const a = rng.int(classes);
    const b = rng.int(classes);
    for (let k = 0; k < classes; k++) t[i * classes + k] = LABEL_SMOOTHING / classes;
    t[i * classes + a] += (1 - LABEL_SMOOTHING) * lam;
    t[i * classes + b] += (1 - LABEL_SMOOTHING) * (1 - lam);
  }
  return t;
}

/** Tensors' values end to end, in the given order. */
export function flatOf(ts: readonly tf.Tensor[]): Float32Array {
  const out = new Float32Array(ts.reduce((s, t) => s + t.size, 0));
  let off = 0;
  for (const t of ts) {
    out.set(t.dataSync() as Float32Array, off);
    off += t.size;
  }
  return out;
}

interface Prepared {
  model: Model;
  x: tf.Tensor4D;
  targets: tf.Tensor2D;
  v: Float64Array;
  eigenModel: Model;
  eigenX: tf.Tensor4D;
  eigenTargets: tf.Tensor2D;
  starts: Float64Array[];
  analysis: AnalysisInputs;
}

async function writeModelInputs(dir: string, name: string, model: Model, x: tf.Tensor4D, targets: tf.Tensor2D, extra: Arrays): Promise<{ checkpoint: string; inputs: string }> {
  const checkpoint = await saveCheckpoint(path.join(dir, `${name}-checkpoint`), { model });
  const inputs = path.join(dir, `${name}-inputs.safetensors`);
  await writeArrays(inputs, {
    x: { data: x.dataSync() as Float32Array, shape: x.shape },
    targets: { data: targets.dataSync() as Float32Array, shape: targets.shape },
    ...extra,
  });
  return { checkpoint, inputs };
}

export function crossCheckSuite(spec: CrossCheckSpec): void {
  const skip = skipUnlessTorch();
  describe(`PyTorch cross-check: ${spec.label}`, { skip }, () => {
    const agreement = new Agreement();
    let dir = '';
    let p: Prepared;
    let out: Map<string, SafeTensor>;
    let eigenOut: Map<string, SafeTensor>;
    let reference: Promise<unknown>;
    let report: unknown;

    const get = (m: Map<string, SafeTensor>, key: string): SafeTensor => {
      const t = m.get(key);
      assert.ok(t, `PyTorch output has no '${key}' (keys: ${[...m.keys()].slice(0, 8).join(', ')}, ...)`);
      return t;
    };
    const outputs = async () => {
      report ??= await reference;
      out ??= await readArrays(path.join(dir, 'model-output.safetensors'));
      eigenOut ??= await readArrays(path.join(dir, 'eigen-output.safetensors'));
      return { out, eigenOut };
    };
    const check = (quantity: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, tolerance: number): number => {
      const d = maxRelDiff(ours, theirs);
      agreement.record(spec.label, quantity, d, tolerance);
      assert.ok(d <= tolerance, `${spec.label} ${quantity}: max relative difference ${d.toExponential(2)} > tolerance ${tolerance}`);
      return d;
    };

    before(async () => {
      await initBackend({ backend: 'native', quiet: true });
      dir = await tempDir(spec.label);
      const rng = new Rng(20260);
      const model = createModel(spec.config, { seed: 1 });
      perturb(model, rng);
      const c = model.config;
      const x = tf.tensor4d(normals(rng, spec.batch * c.imageSize * c.imageSize * 3), [spec.batch, c.imageSize, c.imageSize, 3]);
      const targets = tf.tensor2d(softTargets(rng, spec.batch, c.numClasses), [spec.batch, c.numClasses]);
      const dim = model.paramInfo.reduce((s, i) => s + i.shape.reduce((a, b) => a * b, 1), 0);
      const v = Float64Array.from(normals(rng, dim));
      const analysis = prepareAnalysisInputs(model, rng);

      const eigenModel = createModel(spec.eigenConfig, { seed: 2 });
      perturb(eigenModel, rng);
      const e = eigenModel.config;
      const eigenX = tf.tensor4d(normals(rng, spec.batch * e.imageSize * e.imageSize * 3), [spec.batch, e.imageSize, e.imageSize, 3]);
      const eigenTargets = tf.tensor2d(softTargets(rng, spec.batch, e.numClasses), [spec.batch, e.numClasses]);
      const eigenDim = eigenModel.paramInfo.reduce((s, i) => s + i.shape.reduce((a, b) => a * b, 1), 0);
      const starts = Array.from({ length: spec.power.k }, () => Float64Array.from(normals(rng, eigenDim)));
      p = { model, x, targets, v, eigenModel, eigenX, eigenTargets, starts, analysis };

      const main = await writeModelInputs(dir, 'model', model, x, targets, {
        v: { data: Float32Array.from(v), shape: [dim] },
        ...analysis.arrays,
      });
      const eig = await writeModelInputs(dir, 'eigen', eigenModel, eigenX, eigenTargets, {
        v: { data: new Float32Array(eigenDim), shape: [eigenDim] },
        starts: { data: Float32Array.from(starts.flatMap((s) => Array.from(s))), shape: [spec.power.k, eigenDim] },
      });
      const job = {
        sections: [
          { name: 'model', ...main, output: path.join(dir, 'model-output.safetensors'), hessian: { l2: L2 }, ...analysis.job },
          { name: 'eigen', ...eig, output: path.join(dir, 'eigen-output.safetensors'), hessian: { l2: L2, power: spec.power } },
        ],
      };
      const jobFile = path.join(dir, 'job.json');
      await writeFileAtomic(jobFile, JSON.stringify(job, null, 1));
      // The reference runs while vitscope computes its side.
      reference = runReference(findTorchPython().python, jobFile);
      reference.catch(() => undefined); // awaited (and reported) by the tests
    });

    after(async () => {
      if (report) console.log(`# ${spec.label}: PyTorch side ${JSON.stringify(report)}`);
      if (agreement.rows.length > 0) console.log(`# Agreement with PyTorch (${spec.label})\n${await agreement.report()}`);
      if (p) {
        p.model.dispose();
        p.eigenModel.dispose();
        tf.dispose([p.x, p.targets, p.eigenX, p.eigenTargets]);
        p.analysis.dispose();
      }
      // VITSCOPE_CROSSCHECK_KEEP=1 keeps the exchanged files for inspection.
      if (dir && !process.env.VITSCOPE_CROSSCHECK_KEEP) await fs.rm(dir, { recursive: true, force: true });
      else if (dir) console.log(`# ${spec.label}: exchanged files kept in ${dir}`);
    });

    test('logits (evaluation mode) agree', async () => {
      const logits = p.model.forward(p.x, { training: false });
      const ours = logits.dataSync();
      logits.dispose();
      const { out } = await outputs();
      check('logits', ours, get(out, 'logits').data, spec.tolerance.logits);
    });

    test('every feature map of features() agrees, same names and NHWC shapes', async () => {
      const { out } = await outputs();
      const maps = p.model.features(p.x);
      let worst = 0;
      try {
        const theirs = [...out.keys()].filter((k) => k.startsWith('feature/')).map((k) => k.slice('feature/'.length));
        assert.deepEqual(maps.map((m) => m.name), theirs, 'feature-map names and order');
        for (const m of maps) {
          const t = get(out, `feature/${m.name}`);
          assert.deepEqual(m.tensor.shape, t.shape, `${m.name}: shape`);
          const d = maxRelDiff(m.tensor.dataSync(), t.data);
          assert.ok(d <= spec.tolerance.features, `${m.name}: max relative difference ${d.toExponential(2)} > ${spec.tolerance.features}`);
          worst = Math.max(worst, d);
        }
      } finally {
        tf.dispose(maps.map((m) => m.tensor));
      }
      agreement.record(spec.label, `feature maps (every block of features(), worst)`, worst, spec.tolerance.features);
    });

    test('loss (NLL on soft targets + L2) and its gradient agree', async () => {
      const names = selectParams(p.model);
      const fn = lossOfParams(p.model, p.x, p.targets, { l2: L2 });
      const point = names.map((n) => p.model.params.get(n)! as tf.Tensor);
      const { value, grads } = tf.tidy(() => {
        const g = tf.grads((...ps: tf.Tensor[]) => fn(ps));
        const value = fn(point);
        return { value: tf.keep(value), grads: g(point).map((t) => tf.keep(t)) };
      });
      const loss = value.dataSync()[0]!;
      const gradient = flatOf(grads);
      tf.dispose([value, ...grads]);
      const { out } = await outputs();
      check('loss', [loss], get(out, 'loss').data, spec.tolerance.loss);
      check('gradient', gradient, get(out, 'gradient').data, spec.tolerance.gradient);
    });

    test('Hessian-vector product against a fixed vector agrees', async () => {
      // the hessian command's operator: soft targets, (c/2)·‖θ‖² added as c·v, evaluation mode
      const op = modelHessianOperator(p.model, [{ x: p.x, y: p.targets }], { l2: L2 });
      const hv = await op.matvec(p.v);
      const { out } = await outputs();
      check('Hessian-vector product', hv, get(out, 'hvp').data, spec.tolerance.hvp);
    });

    test(`top-${spec.power.k} eigenvalues by PyHessian's power iteration (same start vectors) agree`, async () => {
      const op = modelHessianOperator(p.eigenModel, [{ x: p.eigenX, y: p.eigenTargets }], { l2: L2 });
      const r = await powerIteration(op, { ...spec.power, seed: 0, variant: 'pyhessian', startVectors: p.starts });
      const { eigenOut } = await outputs();
      const theirs = get(eigenOut, 'eigenvalues').data;
      const iters = get(eigenOut, 'eigen_iterations').data;
      console.log(`# ${spec.label} eigenvalues: vitscope ${r.values.map((x) => x.toPrecision(6)).join(', ')} (${r.iterations.join(', ')} products); ` +
        `PyHessian ${Array.from(theirs, (x) => x.toPrecision(6)).join(', ')} (${Array.from(iters).join(', ')} products)`);
      check(`top-${spec.power.k} eigenvalues`, r.values, theirs, spec.tolerance.eigenvalues);
    });

    analysisChecks({ label: spec.label, agreement, model: () => p.model, inputs: () => p.analysis, x: () => p.x, targets: () => p.targets, outputs: async () => (await outputs()).out, check });
  });
}
