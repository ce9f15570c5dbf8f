import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { promises as fs, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import type { Model } from '../../src/models/model.ts';
import { train, TrainingDivergedError, type TrainHooks } from '../../src/train/train.ts';
import type { TrainConfig } from '../../src/train/config.ts';
import { METRIC_COLUMNS, readMetrics } from '../../src/train/metrics-log.ts';
import { readLatest } from '../../src/train/checkpoint.ts';
import { loadCheckpoint } from '../../src/models/index.ts';
import { tinyData } from './helpers.ts';

await initBackend({ backend: 'cpu', quiet: true });
const root = mkdtempSync(path.join(tmpdir(), 'vitscope-train-'));
const data = tinyData(64, 32, 4);
const quiet: TrainHooks = { data, log: () => {} };

function snapshot(model: Model): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of model.params) out.set(`p:${k}`, v.dataSync() as Float32Array);
  for (const [k, v] of model.buffers) out.set(`b:${k}`, v.dataSync() as Float32Array);
  return out;
}

function assertBitEqual(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, x] of a) {
    const y = b.get(k)!;
    const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const yb = new Uint32Array(y.buffer, y.byteOffset, y.length);
    assert.deepEqual(xb, yb, `parameter ${k} differs`);
  }
}

const recipes: [string, Partial<TrainConfig>][] = [
  // Everything stochastic on: augmentation with RandAugment, mixup/CutMix, drop path, smoothing, AdamW, cosine.
  ['vit, adamw, mixup/cutmix, drop path', { model: 'vit-tiny-test', dropPath: 0.2, optimizer: 'adamw', lr: 3e-3, warmupEpochs: 1, randAugmentOps: 2 }],
  // BatchNorm buffers and SGD momentum slots.
  ['resnet, sgd, step schedule', { model: 'resnet-tiny-test', optimizer: 'sgd', lr: 0.05, weightDecay: 5e-4, schedule: 'step', milestones: [1], gamma: 0.2, warmupEpochs: 0.5, mixup: 0, cutmix: 0, randAugmentOps: 0 }],
];

for (const [label, recipe] of recipes) {
  test(`a run interrupted after k steps and resumed equals an uninterrupted run to the bit (${label})`, async () => {
    const base: Partial<TrainConfig> = { ...recipe, epochs: 2, batchSize: 16, evalBatchSize: 16, seed: 5, results: root, checkpointAt: ['warmup'] };
    const full = await train({ ...base, run: `full-${recipe.model}` }, quiet);
    assert.equal(full.status, 'completed');
    assert.equal(full.step, 8);
    const ref = snapshot(full.model);
    full.model.dispose();

    const controller = new AbortController();
    const k = 3;
    const run = `resumed-${recipe.model}`;
    const first = await train({ ...base, run }, { ...quiet, signal: controller.signal, onStep: (s) => (s.step === k ? controller.abort() : undefined) });
    assert.equal(first.status, 'interrupted');
    assert.equal(first.step, k);
    assert.ok(first.checkpoint?.endsWith('interrupted'));
    // The interrupted run's parameters differ from the finished run's: the comparison below is not vacuous.
    assert.throws(() => assertBitEqual(snapshot(first.model), ref));
    first.model.dispose();
    assert.deepEqual(await readLatest(path.join(root, run)), { tag: 'interrupted', step: k, epoch: 0 });

    const second = await train({ ...base, run, resume: true }, quiet);
    assert.equal(second.status, 'completed');
    assert.equal(second.step, 8);
    assertBitEqual(snapshot(second.model), ref);
    second.model.dispose();
    // Same per-epoch statistics apart from timings.
    const strip = (rows: typeof full.metrics) => rows.map((r) => ({ ...r, images_per_sec: 0, epoch_seconds: 0, eval_seconds: 0 }));
    assert.deepEqual(strip(second.metrics), strip(full.metrics));
    const tags = (await fs.readdir(path.join(root, run, 'checkpoints'))).sort();
    assert.deepEqual(tags, ['epoch-1', 'epoch-2', 'final', 'latest.json', 'warmup']);
  });
}

test('metrics.csv and metrics.jsonl parse, one row per epoch with every column', async () => {
  const run = 'metrics';
  const r = await train({ model: 'vit-tiny-test', epochs: 2, batchSize: 16, lr: 3e-3, warmupEpochs: 0, mixup: 0, cutmix: 0, seed: 1, results: root, run, keepLast: 1 }, quiet);
  r.model.dispose();
  const rows = await readMetrics(path.join(root, run));
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((x) => x.epoch), [1, 2]);
  for (const row of rows) {
    for (const c of METRIC_COLUMNS) assert.ok(Number.isFinite(row[c]), `${c} = ${row[c]}`);
    assert.ok(row.test_acc >= 0 && row.test_acc <= 1 && row.test_top5 >= row.test_acc);
    assert.ok(row.test_ece >= 0 && row.test_ece <= 1);
    assert.ok(row.images_per_sec > 0);
  }
  const csv = (await fs.readFile(path.join(root, run, 'metrics.csv'), 'utf8')).trim().split('\n');
  assert.deepEqual(csv[0]!.split(','), [...METRIC_COLUMNS]);
  assert.equal(csv.length, 3);
  for (const line of csv.slice(1)) {
    const cells = line.split(',').map(Number);
    assert.equal(cells.length, METRIC_COLUMNS.length);
    assert.ok(cells.every(Number.isFinite), line);
  }
  const cfg = JSON.parse(await fs.readFile(path.join(root, run, 'config.json'), 'utf8'));
  assert.equal(cfg.model, 'vit-tiny-test');
  assert.equal(cfg.resolved.stepsPerEpoch, 4);
  // keep-last 1: only the newest epoch checkpoint survives, plus final.
  const tags = (await fs.readdir(path.join(root, run, 'checkpoints'))).sort();
  assert.deepEqual(tags, ['epoch-2', 'final', 'latest.json']);
});

test('a NaN/infinite loss stops the run naming the step and keeps the last good checkpoint', async () => {
  const run = 'diverge';
  // A sane first epoch, then the step schedule multiplies the rate by 1e12.
  const cfg: Partial<TrainConfig> = {
    model: 'vit-tiny-test', epochs: 3, batchSize: 16, optimizer: 'sgd', lr: 0.01, schedule: 'step', milestones: [1], gamma: 1e12,
    warmupEpochs: 0, clipNorm: 0, mixup: 0, cutmix: 0, seed: 2, results: root, run, checkpointAt: [],
  };
  let err: unknown;
  try {
    const r = await train(cfg, quiet);
    r.model.dispose();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof TrainingDivergedError, `expected divergence, got ${String(err)}`);
  assert.ok(err.step >= 4, `diverged at step ${err.step}, during the sane epoch`);
  assert.match(err.message, new RegExp(`at step ${err.step} `));
  assert.match(err.message, /(NaN|Infinity)/);
  assert.ok(err.lastCheckpoint?.endsWith(path.join('checkpoints', 'epoch-1')), String(err.lastCheckpoint));
  assert.equal((await readLatest(path.join(root, run)))?.tag, 'epoch-1');
  assert.ok(!existsSync(path.join(root, run, 'checkpoints', 'final')));
  assert.ok(!existsSync(path.join(root, run, 'checkpoints', 'interrupted')));
  const loaded = await loadCheckpoint(err.lastCheckpoint!);
  for (const v of loaded.model.params.values()) assert.ok(Array.from(v.dataSync()).every(Number.isFinite));
  loaded.model.dispose();
  assert.equal(tf.memory().numTensors < 10000, true);
});

test('an abort from outside the loop (a timer, as a signal handler) is seen between steps, not only at epoch end', async () => {
  const controller = new AbortController();
  const r = await train(
    { model: 'vit-tiny-test', epochs: 1, batchSize: 8, lr: 1e-3, warmupEpochs: 0, mixup: 0, cutmix: 0, seed: 3, results: root, run: 'async-abort', checkpointAt: [] },
    { ...quiet, signal: controller.signal, onStep: (s) => (s.step === 1 ? setImmediate(() => controller.abort()) : undefined) },
  );
  r.model.dispose();
  assert.equal(r.status, 'interrupted');
  assert.ok(r.step >= 1 && r.step < 8, `stopped at step ${r.step} of 8`);
  assert.equal((await readLatest(path.join(root, 'async-abort')))?.tag, 'interrupted');
});
