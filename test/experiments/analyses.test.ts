// The analysis experiments as `all`, the notebooks and the tests call them: typed settings in, a typed result out
// that is what the JSON file holds; bad settings are refused before anything is loaded or written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { makeGeneratedDataset } from '../../src/data/index.ts';
import { runFourierExperiment } from '../../src/experiments/fourier.ts';
import { runHessianExperiment } from '../../src/experiments/hessian.ts';
import { checkImportSettings } from '../../src/experiments/import.ts';
import { runLandscapeExperiment } from '../../src/experiments/landscape.ts';
import { runNoiseExperiment } from '../../src/experiments/noise.ts';
import { runVarianceExperiment } from '../../src/experiments/variance.ts';
import type { AnalysisSettings } from '../../src/experiments/analysis-support.ts';
import { createModel, saveCheckpoint } from '../../src/models/index.ts';
import { OptionError } from '../../src/util/settings.ts';

let tmp = '';
let data = '';
let ckpt = '';
let results = '';

before(async () => {
  await initBackend({ backend: process.env.VITSCOPE_BACKEND === 'tensorflow' ? 'tensorflow' : 'auto', quiet: true });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vitscope-analysis-exp-'));
  data = path.join(tmp, 'data');
  results = path.join(tmp, 'results');
  await makeGeneratedDataset({ out: data, train: 24, test: 12, seed: 5 });
  ckpt = path.join(tmp, 'ckpt');
  const model = createModel('resnet-20', { numClasses: 100, seed: 6 });
  await saveCheckpoint(ckpt, { model });
  model.dispose();
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The JSON file as read back (NaN and Infinity are written as null). */
function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The result without the fields that are not in the file, as JSON would give it back. */
function asWritten<T extends { runDir: string; figures: string[] }>(result: T): unknown {
  const { runDir: _runDir, figures: _figures, status: _status, units: _units, ...report } = result as T & { status?: unknown; units?: unknown };
  return JSON.parse(JSON.stringify(report));
}

function common(run: string): AnalysisSettings {
  return { data, results, run, seed: 1 };
}

test('runFourierExperiment: typed result equals fourier.json; a checkpoint and a preset, labels, figures', async () => {
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const r = await runFourierExperiment(
    { ...common('f'), checkpoints: [ckpt], presets: ['resnet-20'], labels: ['trained', 'fresh'], protocol: 'vitscope', images: 4, batchSize: 3 },
    { log: (m) => lines.push(m) },
  );
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(r.runDir, path.join(results, 'f'));
  assert.deepEqual(readJson(path.join(r.runDir, 'fourier.json')), asWritten(r));
  assert.equal(r.settings.diagonal, 'nyquist');
  assert.deepEqual(r.settings.overridden, ['images', 'batchSize']);
  assert.deepEqual(r.models.map((m) => m.label), ['trained', 'fresh']);
  assert.equal(r.models[0]!.source, path.resolve(ckpt));
  assert.equal(r.data.images, 4);
  assert.equal(r.data.seed, 1);
  // resnet-20's stem map is 32 x 32: with the Nyquist point 17 frequencies, 0 … π
  assert.equal(r.models[0]!.blocks[0]!.relative.length, 17);
  assert.ok(r.figures.some((f) => f.endsWith('fourier-depth.html')), r.figures.join(', '));
  assert.ok(r.figures.every((f) => existsSync(f)));
  assert.ok(lines.some((l) => l.startsWith('[fourier] trained')), 'progress goes to the log');
});

test('runVarianceExperiment: typed result equals variance.json, one positive variance per block', async () => {
  const r = await runVarianceExperiment({ ...common('v'), presets: ['resnet-20'], images: 4, logY: true }, { log: () => {} });
  assert.deepEqual(readJson(path.join(r.runDir, 'variance.json')), asWritten(r));
  assert.equal(r.protocol, 'paper');
  const v = r.models[0]!.blocks.map((b) => b.variance);
  assert.ok(v.length >= 5 && v.every((x) => Number.isFinite(x) && x > 0), v.join(', '));
  assert.equal(readFileSync(path.join(r.runDir, 'variance-depth.csv'), 'utf8').trim().split('\n').length, 1 + v.length);
});

test('runNoiseExperiment: typed result equals noise.json; the same noise for identical models', async () => {
  const r = await runNoiseExperiment({ ...common('n'), presets: ['resnet-20', 'resnet-20'], images: 6, frequencies: [0.3, 0.9], groups: 2, scale: 1 }, { log: () => {} });
  assert.deepEqual(readJson(path.join(r.runDir, 'noise.json')), asWritten(r));
  assert.equal(r.settings.seed, 1);
  assert.deepEqual(r.settings.frequencies, [0.3, 0.9]);
  assert.deepEqual(r.models[0]!.accuracyChange, r.models[1]!.accuracyChange);
  assert.notEqual(r.models[0]!.label, r.models[1]!.label);
  assert.equal(r.models[0]!.preset, 'resnet-20');
});

test('runLandscapeExperiment: typed result equals landscape.json (clipped NaN written as null); centre is the loss at 0', async () => {
  const r = await runLandscapeExperiment({ ...common('l'), checkpoints: [ckpt], resolution: 3, images: 2, range: [-0.5, 0.5], clip: 1e-9 }, { log: () => {} });
  const written = readJson(path.join(r.runDir, 'landscape.json')) as { models: { clipped: (number | null)[][] }[] };
  assert.deepEqual(written, asWritten(r));
  const s = r.models[0]!;
  assert.deepEqual(s.x, [-0.5, 0, 0.5]);
  assert.deepEqual(r.settings.range, [-0.5, 0.5]);
  assert.equal(s.loss[1]![1], s.centre.loss);
  assert.equal(s.summary.centreLoss, s.centre.loss);
  // every point above the minimum is dropped by the tiny clip: NaN in memory, null in the file
  const dropped = s.clipped.flat().filter((z) => Number.isNaN(z)).length;
  assert.equal(written.models[0]!.clipped.flat().filter((z) => z === null).length, dropped);
  assert.ok(dropped >= 1);
});

test('runHessianExperiment: typed result equals hessian.json; max-eigenvalue batches and spectrum subsets are disjoint', async () => {
  const r = await runHessianExperiment(
    {
      ...common('h'), presets: ['resnet-20'], analyses: ['maxeig', 'spectrum'], params: 'head',
      batchSize: 2, batches: 2, k: 1, maxIter: 2, groups: 2, subsets: 2, subsetBatches: 1, lanczosSteps: 2, slqSteps: 2, slqRuns: 1, traceSamples: 2,
    },
    { log: () => {} },
  );
  assert.deepEqual(readJson(path.join(r.runDir, 'hessian.json')), asWritten(r));
  assert.equal(r.settings.protocol, 'quick');
  assert.equal(r.settings.seed, 1);
  assert.equal(r.settings.params, 'head');
  const m = r.models[0]!;
  assert.deepEqual(m.paramNames, ['head.kernel', 'head.bias']);
  assert.equal(m.timing, undefined, 'timing was not asked for');
  const maxIdx = m.maxEigenvalueSpectrum!.perBatch.flatMap((p) => p.indices);
  const specIdx = m.spectrum!.subsets.flatMap((s) => s.indices);
  assert.equal(new Set([...maxIdx, ...specIdx]).size, maxIdx.length + specIdx.length);
  assert.equal(m.maxEigenvalueSpectrum!.sampleSize.n, 2);
  assert.ok(r.figures.some((f) => f.endsWith('hessian-max-eigenvalue-spectrum.html')));
});

test('bad settings are refused naming the option, what was found and what is expected, before anything is written', async () => {
  const refused = async (run: Promise<unknown>, pattern: RegExp): Promise<void> => {
    await assert.rejects(run, (err: Error) => {
      assert.ok(err instanceof OptionError, `${err.name}: ${err.message}`);
      assert.match(err.message, pattern);
      return true;
    });
  };
  const base = { ...common('bad'), presets: ['resnet-20'] };
  await refused(runFourierExperiment({ ...base, images: 0 }), /fourier: option '--images' is 0, expected an integer >= 1/);
  await refused(runFourierExperiment({ ...base, batchSize: 2.5 }), /fourier: option '--batch-size' is 2.5, expected an integer/);
  await refused(runVarianceExperiment({ ...base, protocol: 'vitscope' as 'paper' }), /variance: option '--protocol' is "vitscope", expected one of paper/);
  await refused(runVarianceExperiment({ ...base, imgs: 4 } as AnalysisSettings), /variance: unknown setting 'imgs'/);
  await refused(runNoiseExperiment({ ...base, frequencies: [0.5, 1.5] }), /noise: option '--frequencies' is 1.5, expected a number >= 0 and <= 1/);
  await refused(runNoiseExperiment({ ...base, noise: 'pink' as 'rms' }), /noise: option '--noise' is "pink", expected one of sign, rms/);
  await refused(runLandscapeExperiment({ ...base, range: [1, -1] }), /landscape: option '--range' is \[1,-1\], expected min,max with max > min/);
  await refused(runLandscapeExperiment({ ...base, resolution: 0 }), /landscape: option '--resolution' is 0/);
  await refused(runHessianExperiment({ ...base, analyses: ['maxeig', 'trace' as 'maxeig'] }), /hessian: option '--analyses' has 'trace', expected one of maxeig, spectrum, timing/);
  await refused(runHessianExperiment({ ...base, tol: 0 }), /hessian: option '--tol' is 0, expected a number > 0/);
  await refused(runHessianExperiment({ ...base, params: '' }), /hessian: option '--params' is ""/);
  await refused(runFourierExperiment({ ...common('bad') }), /fourier: option '--checkpoint' \(or '--preset'\) is missing/);
  await refused(runFourierExperiment({ ...base, labels: ['a', 'b'] }), /fourier: option '--label' has 2 entries, expected one per model \(1\)/);
  await refused(runFourierExperiment({ ...base, formats: ['pdf' as 'svg'] }), /fourier: option '--formats' has 'pdf', expected one of html, svg, png/);
  assert.throws(() => checkImportSettings({ arch: 'resnet-50' }), /import: option '--from' is missing/);
  assert.throws(() => checkImportSettings({ from: 'x.pt', arch: 'resnet-50', source: 'keras' }), /import: option '--source' is 'keras', expected one of /);
  assert.ok(!existsSync(path.join(results, 'bad')), 'no run folder for refused settings');
});
