// The train and datasize experiments as the CLI, `all` and the notebooks call them: typed settings in, typed result out.
import { test, before, after } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { checkDataSizeSettings, runDataSize } from '../../src/experiments/datasize.ts';
import { readSteps, runTrainExperiment } from '../../src/experiments/train.ts';
import { trainedModel } from '../../src/experiments/trained-model.ts';
import type { ProgressOptions } from '../../src/util/progress.ts';
import { tinyData } from '../train/helpers.ts';

let root = '';
before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-exp-'));
});
after(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const recipe = { epochs: 1, batchSize: 16, evalBatchSize: 16, warmupEpochs: 0, mixup: 0, cutmix: 0, randAugmentOps: 0, download: false } as const;

test('runTrainExperiment trains, reports progress, summarises the last epoch and writes the training curves', async () => {
  const bars: ProgressOptions[] = [];
  const progress = (o: ProgressOptions) => (bars.push(o), { update() {}, finish() {} });
  const r = await runTrainExperiment({ ...recipe, model: 'resnet-tiny-test', results: root, run: 'one', formats: ['html'] }, { progress, log: () => {} }, { data: tinyData(32, 16) });
  try {
    assert.equal(r.status, 'completed');
    assert.equal(r.metrics.length, 1);
    assert.equal(r.summary?.testAcc, r.metrics[0]!.test_acc);
    assert.ok(bars.some((b) => b.label.startsWith('epoch 1/1')), `progress labels: ${bars.map((b) => b.label).join(', ')}`);
    assert.ok(r.figures.some((f) => f.endsWith('training-curves.html')), `figures: ${r.figures.join(', ')}`);
    assert.ok(existsSync(path.join(root, 'one', 'figures', 'training-curves.json')));
    assert.ok(existsSync(path.join(root, 'one', 'figures', 'training-loss-steps.json')), 'per-step loss figure');
    assert.deepEqual(r.steps.map((s) => s.step), [1, 2], 'one loss per step (32 images, batch 16; steps counted after they are taken)');
    assert.deepEqual(readSteps(path.join(root, 'one')).map((s) => s.loss), r.steps.map((s) => s.loss), 'steps.csv holds the same losses');
    assert.ok(r.steps.every((s) => Number.isFinite(s.loss) && s.loss > 0));
  } finally {
    r.model.dispose();
  }
});

test('runDataSize trains one model per fraction on a subset of that size and records train NLL and test error', async () => {
  const runDir = path.join(root, 'ds');
  await fs.mkdir(runDir, { recursive: true });
  const r = await runDataSize({ train: { ...recipe }, models: ['resnet-tiny-test'], fractions: [0.25, 1], runDir, data: tinyData(64, 16) }, { log: () => {} });
  assert.equal(r.interrupted, false);
  assert.deepEqual(r.points.map((p) => [p.fraction, p.trainImages]), [[0.25, 16], [1, 64]]);
  for (const p of r.points) assert.ok(Number.isFinite(p.trainNll) && p.testError >= 0 && p.testError <= 1, JSON.stringify(p));
  const json = JSON.parse(await fs.readFile(path.join(runDir, 'datasize.json'), 'utf8')) as { points: unknown[] };
  assert.equal(json.points.length, 2);
  assert.ok(existsSync(path.join(runDir, 'figures', 'data-size.json')));
  assert.ok(!existsSync(path.join(runDir, 'runs', 'resnet-tiny-test-f1', 'figures')), 'sub-runs write no curves of their own');
});

test('datasize settings: an empty or out-of-range fraction and no model are refused, naming the setting and the value', () => {
  assert.throws(() => checkDataSizeSettings({ models: ['vit-cpu'], fractions: [] }), /'fractions' is empty, expected fractions in \(0, 1\]/);
  assert.throws(() => checkDataSizeSettings({ models: ['vit-cpu'], fractions: [0.5, 1.5] }), /'fractions' has 1\.5, expected fractions in \(0, 1\]/);
  assert.throws(() => checkDataSizeSettings({ models: [], fractions: [1] }), /'models' is empty/);
});

test('trainedModel trains a short run when the folder has no final checkpoint, then reads that checkpoint', async () => {
  const where = { results: root, run: 'analysed' };
  const first = await trainedModel({ ...recipe, model: 'vit-tiny-test' }, where, { log: () => {} }, { data: tinyData(32, 16) });
  const second = await trainedModel({ ...recipe, model: 'vit-tiny-test' }, where, { log: () => {} });
  try {
    assert.deepEqual([first.trainedNow, second.trainedNow], [true, false]);
    assert.equal(second.source, path.join(root, 'analysed', 'checkpoints', 'final'));
    for (const [name, p] of first.model.params) assert.deepEqual(second.model.params.get(name)!.dataSync(), p.dataSync(), `parameter ${name}`);
  } finally {
    first.model.dispose();
    second.model.dispose();
  }
});
