// The cross-check against timm itself (issue 20): timm.create_model builds each family's model
// (py/timm_reference.py, in the pinned timm's virtual environment), saves it as the authors (.pth.tar,
// {name, state_dict}, timm <= 0.6 keys) or timm users (safetensors, torch.save of the state dict) do; vitscope
// imports the file with importCheckpoint and compares, float32 on both sides: logits, every feature map of
// features(), the loss NLL + (c/2)·Σ‖p‖² on soft targets, its gradient and one Hessian-vector product.
// Gradient, the vector v and Hv come back as state dicts in the checkpoint's own format and key layout, and
// the importer maps them too, so the test repeats none of the name maps it checks. Parameter counts of the
// real presets are compared with timm's models of the same configuration.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { countParams, getPreset, type Model, type ModelConfig } from '../../src/models/index.ts';
import { importCheckpoint } from '../../src/models/import/index.ts';
import { selectParams } from '../../src/models/flat-params.ts';
import { lossOfParams } from '../../src/train/loss-of-params.ts';
import { modelHessianOperator } from '../../src/hessian/model-operator.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import type { SafeTensor } from '../../src/models/safetensors.ts';
import { Agreement, maxRelDiff, readArrays, runReference, tempDir } from './helpers.ts';
import { flatOf, L2 } from './model-check.ts';
import { findTimmPython, skipUnlessTimm, TIMM_VERSION } from './timm-python.ts';

/** How the file is saved: the authors' release (.pth.tar, {name, state_dict}, timm <= 0.6 keys) or timm >= 0.9's. */
export type TimmFileFormat = 'authors' | 'torch' | 'safetensors';

export interface TimmCase {
  /** The model column of the agreement table, e.g. 'ViT-Ti CIFAR'. */
  label: string;
  /** timm's model name and create_model keyword arguments. */
  timm: string;
  overrides: Record<string, unknown>;
  /** The vitscope preset or configuration the file is imported into. */
  arch: string | ModelConfig;
  format: TimmFileFormat;
  /**
   * 'all': logits, feature maps, loss, gradient, Hessian-vector product; 'forward': logits and feature maps
   * (real-size models whose products would cost CI seconds); 'import': the file imports, parameter for parameter.
   */
  quantities: 'all' | 'forward' | 'import';
  batch: number;
}

export interface TimmCount {
  /** A registered vitscope preset; its closed-form parameter count (and numClasses) is compared with timm's. */
  preset: string;
  numClasses: number;
  timm: string;
  overrides: Record<string, unknown>;
}

export interface TimmSuiteSpec {
  /** The family's key in py/timm_reference.py (feature taps, timm <= 0.6 layout). */
  family: string;
  title: string;
  cases: TimmCase[];
  counts: TimmCount[];
  /**
   * Stated tolerances on the max relative difference (helpers.ts maxRelDiff), float32 on both sides, the
   * PyTorch cross-check's (model-check.ts): logits 1e-4, feature maps 1e-5, loss 1e-6, gradient and
   * Hessian-vector product 1e-4.
   */
  tolerance?: Partial<Tolerance>;
}

interface Tolerance {
  logits: number;
  features: number;
  loss: number;
  gradient: number;
  hvp: number;
}

const TOLERANCE: Tolerance = { logits: 1e-4, features: 1e-5, loss: 1e-6, gradient: 1e-4, hvp: 1e-4 };

interface CaseReport {
  params: number;
  files: { checkpoint: string; gradient: string; vector: string; hvp: string };
  features?: string[];
  /** Time the timm side spent on the case (build, save, forward, products). */
  seconds: number;
}

interface Report {
  timm: string;
  torch: string;
  cases: Record<string, CaseReport>;
  counts: number[];
}

/** Parameters in the model's order, one flat vector (the Hessian operator's order and layouts). */
function flatParams(model: Model, order: readonly string[]): Float32Array {
  return flatOf(order.map((n) => model.params.get(n)!));
}

/** A state dict in the case's format and layout (gradient, v, Hv) imported as the case's preset: its parameters, flat. */
async function importedFlat(file: string, arch: string | ModelConfig, order: readonly string[]): Promise<Float32Array> {
  const { model } = await importCheckpoint({ from: file, arch });
  try {
    return flatParams(model, order);
  } finally {
    model.dispose();
  }
}

export function timmCrossCheckSuite(spec: TimmSuiteSpec): void {
  const skip = skipUnlessTimm();
  const tol = { ...TOLERANCE, ...spec.tolerance };
  describe(`timm ${TIMM_VERSION} cross-check: ${spec.title}`, { skip }, () => {
    const agreement = new Agreement();
    let dir = '';
    let report: Report;

    const check = (label: string, quantity: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, tolerance: number): void => {
      const d = maxRelDiff(ours, theirs);
      agreement.record(label, quantity, d, tolerance);
      assert.ok(d <= tolerance, `${label} ${quantity}: max relative difference ${d.toExponential(2)} > tolerance ${tolerance}`);
    };

    before(async () => {
      await initBackend({ backend: 'native', quiet: true });
      dir = await tempDir(`timm-${spec.family}`);
      const job = {
        cases: spec.cases.map((c, i) => ({
          label: c.label,
          timm: c.timm,
          overrides: c.overrides,
          family: spec.family,
          format: c.format,
          full: c.quantities !== 'import',
          grad: c.quantities === 'all',
          batch: c.batch,
          imageSize: imageSizeOf(c.arch),
          seed: 20260 + i,
          l2: L2,
          dir: path.join(dir, `case-${i}`),
        })),
        counts: spec.counts.map((c) => ({ timm: c.timm, overrides: c.overrides })),
      };
      const jobFile = path.join(dir, 'job.json');
      await writeFileAtomic(jobFile, JSON.stringify(job, null, 1));
      report = (await runReference(findTimmPython().python, jobFile, 'timm_reference.py')) as Report;
    });

    after(async () => {
      if (report) {
        const seconds = Object.entries(report.cases).map(([label, r]) => `${label} ${r.seconds}s`).join(', ');
        console.log(`# ${spec.title}: timm ${report.timm} over torch ${report.torch}; timm side: ${seconds}`);
      }
      if (agreement.rows.length > 0) console.log(`# Agreement with timm (${spec.title})\n${await agreement.report()}`);
      // VITSCOPE_CROSSCHECK_KEEP=1 keeps the exchanged files for inspection.
      if (dir && !process.env.VITSCOPE_CROSSCHECK_KEEP) await fs.rm(dir, { recursive: true, force: true });
      else if (dir) console.log(`# ${spec.title}: exchanged files kept in ${dir}`);
    });

    for (const [i, c] of spec.counts.entries()) {
      test(`preset ${c.preset} has the parameter count of timm's ${c.timm}${overridesText(c.overrides)}`, () => {
        const theirs = report.counts[i]!;
        const ours = countParams(c.preset, { numClasses: c.numClasses });
        agreement.record(`${c.preset}`, `parameters (timm ${theirs.toLocaleString('en-US')})`, Math.abs(ours - theirs), 0);
        assert.equal(ours, theirs, `${c.preset}: vitscope ${ours.toLocaleString('en-US')} parameters, timm's ${c.timm} ${theirs.toLocaleString('en-US')}`);
      });
    }

    for (const c of spec.cases) caseTests(c, () => report.cases[c.label]!, check, agreement, tol);
  });
}

function imageSizeOf(arch: string | ModelConfig): number {
  return typeof arch === 'string' ? getPreset(arch).imageSize : arch.imageSize;
}

function overridesText(o: Record<string, unknown>): string {
  const parts = Object.entries(o).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? `(${parts.join(', ')})` : '';
}

/** The file format as the agreement table shows it beside the case's label. */
const FORMAT_SHORT: Record<TimmFileFormat, string> = { authors: "authors' .pth.tar, timm 0.5 keys", torch: 'torch.save', safetensors: 'safetensors' };

const FORMAT_TEXT: Record<TimmFileFormat, string> = {
  authors: "the authors' .pth.tar ({name, state_dict}, timm <= 0.6 keys)",
  torch: "torch.save of timm's state dict",
  safetensors: "timm's safetensors",
};

function caseTests(
  c: TimmCase,
  reportOf: () => CaseReport,
  check: (label: string, quantity: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, tolerance: number) => void,
  agreement: Agreement,
  tol: Tolerance,
): void {
  const row = `${c.label} [${FORMAT_SHORT[c.format]}]`;
  describe(`${c.label}: timm's ${c.timm}${overridesText(c.overrides)} saved as ${FORMAT_TEXT[c.format]}`, () => {
    let model: Model | undefined;
    let io: Map<string, SafeTensor>;
    let x: tf.Tensor4D;
    let targets: tf.Tensor2D;
    const get = (key: string): SafeTensor => {
      const t = io.get(key);
      assert.ok(t, `timm output has no '${key}' (keys: ${[...io.keys()].slice(0, 8).join(', ')}, ...)`);
      return t;
    };

    after(() => {
      model?.dispose();
      if (x) tf.dispose([x, targets]);
    });

    test('the file imports with importCheckpoint, with timm\'s parameter count', async () => {
      const r = reportOf();
      const imported = await importCheckpoint({ from: r.files.checkpoint, arch: c.arch });
      model = imported.model;
      const ours = model.paramInfo.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
      assert.equal(ours, r.params, `${c.label}: imported model has ${ours} parameters, timm's ${r.params}`);
      if (c.quantities !== 'import') {
        io = await readArrays(path.join(path.dirname(r.files.checkpoint), 'io.safetensors'));
        const xs = get('x');
        x = tf.tensor4d(xs.data as Float32Array, xs.shape as [number, number, number, number]);
        const ts = get('targets');
        targets = tf.tensor2d(ts.data as Float32Array, ts.shape as [number, number]);
      }
    });

    if (c.quantities === 'import') return;

    test('logits (evaluation mode) agree', () => {
      assert.ok(model, 'the import failed');
      const logits = model.forward(x, { training: false });
      const ours = logits.dataSync();
      logits.dispose();
      check(row, 'logits', ours, get('logits').data, tol.logits);
    });

    test('every feature map of features() agrees, same names and NHWC shapes', () => {
      assert.ok(model, 'the import failed');
      const maps = model.features(x);
      let worst = 0;
      try {
        const theirs = reportOf().features ?? [];
        assert.deepEqual(maps.map((m) => m.name), theirs, 'feature-map names and order (vitscope features() vs the timm module taps)');
        for (const m of maps) {
          const t = get(`feature/${m.name}`);
          assert.deepEqual(m.tensor.shape, t.shape, `${m.name}: shape`);
          const d = maxRelDiff(m.tensor.dataSync(), t.data);
          assert.ok(d <= tol.features, `${m.name}: max relative difference ${d.toExponential(2)} > ${tol.features}`);
          worst = Math.max(worst, d);
        }
      } finally {
        tf.dispose(maps.map((m) => m.tensor));
      }
      agreement.record(row, 'feature maps (every block of features(), worst)', worst, tol.features);
    });

    if (c.quantities !== 'all') return;

    test('loss (NLL on soft targets + L2) and its gradient agree', async () => {
      assert.ok(model, 'the import failed');
      const m = model;
      const names = selectParams(m);
      const fn = lossOfParams(m, x, targets, { l2: L2 });
      const point = names.map((n) => m.params.get(n)! as tf.Tensor);
      const { value, grads } = tf.tidy(() => {
        const g = tf.grads((...ps: tf.Tensor[]) => fn(ps));
        const value = fn(point);
        return { value: tf.keep(value), grads: g(point).map((t) => tf.keep(t)) };
      });
      const loss = value.dataSync()[0]!;
      const gradient = flatOf(grads);
      tf.dispose([value, ...grads]);
      check(row, 'loss', [loss], get('loss').data, tol.loss);
      check(row, 'gradient', gradient, await importedFlat(reportOf().files.gradient, c.arch, names), tol.gradient);
    });

    test('Hessian-vector product against timm-drawn v agrees', async () => {
      assert.ok(model, 'the import failed');
      const names = selectParams(model);
      const r = reportOf();
      const v = Float64Array.from(await importedFlat(r.files.vector, c.arch, names));
      const op = modelHessianOperator(model, [{ x, y: targets }], { l2: L2 });
      try {
        const hv = await op.matvec(v);
        check(row, 'Hessian-vector product', hv, await importedFlat(r.files.hvp, c.arch, names), tol.hvp);
      } finally {
        op.dispose();
      }
    });
  });
}
