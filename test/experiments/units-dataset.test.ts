// Hessian units of work on image folders (the Dataset API): each model's batches are drawn lazily in its own input
// transform (two models of different input sizes in one run), sharded + merged equals unsharded bit for bit, the
// transform is part of the settings a run continues with, and unlabelled images are refused before a run folder
// exists. Only the timing fields (ms, seconds) may differ.
import '../support/presets.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/backend/select.ts';
import { runHessianExperiment, type HessianExperimentSettings } from '../../src/experiments/hessian.ts';
import { getPreset, registerPreset, type ModelConfig } from '../../src/models/index.ts';
import { ExpectedError } from '../../src/util/errors.ts';
import { OptionError } from '../../src/util/settings.ts';

// a second input size beside the 8 px test presets: the two models need different transforms of the same images
const { description: _d, ...resnetTiny } = getPreset('resnet-tiny-test');
registerPreset({ ...resnetTiny, imageSize: 12, preset: 'resnet-tiny-12-test' } as ModelConfig, 'test only: resnet-tiny-test at 12x12');

let root = '';
let labelled = '';
let results = '';

async function writeImages(dir: string, classes: number, perClass: number, flat = false): Promise<void> {
  for (let c = 0; c < classes; c++) {
    const sub = flat ? dir : path.join(dir, `class-${c}`);
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const w = 17 + 5 * i;
      const h = 13 + 4 * c;
      const px = Buffer.alloc(w * h * 3, 0).map((_, k) => (k * (c + 5) + i * 37) % 256);
      const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
      writeFileSync(path.join(sub, `${c}-${i}.${i % 2 ? 'png' : 'jpg'}`), await (i % 2 ? img.png() : img.jpeg()).toBuffer());
    }
  }
}

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  root = mkdtempSync(path.join(tmpdir(), 'vitscope-units-dataset-'));
  labelled = path.join(root, 'images');
  results = path.join(root, 'results');
  await writeImages(labelled, 3, 4);
});
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

// Every unit kind but timing: two max-eigenvalue batches, and Lanczos, SLQ and trace of two subsets (8 units a model).
const protocol = {
  analyses: ['maxeig', 'spectrum'] as ('maxeig' | 'spectrum')[], params: 'head', batchSize: 2, batches: 2, k: 1, maxIter: 3, groups: 2,
  subsets: 2, subsetBatches: 1, lanczosSteps: 3, slqSteps: 2, slqRuns: 1, traceSamples: 1,
};
function settings(run: string, extra: Partial<HessianExperimentSettings> = {}): HessianExperimentSettings {
  return { data: labelled, results, run, seed: 3, presets: ['vit-tiny-test', 'resnet-tiny-12-test'], formats: [], ...protocol, ...extra };
}
const quiet = { log: () => {} };

function summary(run: string): string {
  return JSON.stringify(JSON.parse(readFileSync(path.join(results, run, 'hessian.json'), 'utf8')), (k, v: unknown) => (k === 'ms' || k === 'seconds' ? undefined : v));
}

test('an image folder, two input sizes: each model in its own transform; two shards + merge = unsharded bit for bit', async () => {
  const ref = await runHessianExperiment(settings('reference'), quiet);
  assert.equal(ref.status, 'complete');
  assert.deepEqual(ref.units, { done: 16, total: 16 });
  assert.deepEqual(ref.models.map((m) => [m.data?.source, m.preprocessing?.name, m.preprocessing?.size]), [['image-folder', 'timm-eval', 8], ['image-folder', 'timm-eval', 12]]);
  for (const m of ref.models) {
    assert.ok(m.maxEigenvalueSpectrum!.eigenvalues.every((v) => Number.isFinite(v)), `${m.label}: finite eigenvalues`);
    assert.ok(Number.isFinite(m.spectrum!.trace.mean), `${m.label}: a finite trace`);
  }
  // presets take the folder's class count (3), so the head has 3 outputs
  assert.equal(ref.models[0]!.dim, 8 * 3 + 3);
  const statuses: string[] = [];
  for (const shard of ['1/2', '0/2']) statuses.push((await runHessianExperiment(settings('sharded', { shard }), quiet)).status);
  assert.deepEqual(statuses, ['shard-done', 'complete']);
  assert.equal(summary('sharded'), summary('reference'));
});

test('the transform is a setting of the run: --resume with another --preprocess is refused naming settingsKey', async () => {
  await assert.rejects(
    runHessianExperiment(settings('reference', { resume: true, preprocess: 'authors-fourier' }), quiet),
    (err: unknown) => err instanceof OptionError && /plan\.json: field 'settingsKey' is \w+, these settings give \w+/.test(err.message),
  );
});

test('unlabelled images: the Hessian of the loss is refused before a run folder exists', async () => {
  const flat = path.join(root, 'flat');
  await writeImages(flat, 2, 3, true);
  await assert.rejects(
    runHessianExperiment(settings('unlabelled', { data: flat }), quiet),
    (err: unknown) => err instanceof ExpectedError && /found unlabelled images; the Hessian of the loss needs labels/.test(err.message),
  );
  assert.equal(existsSync(path.join(results, 'unlabelled')), false);
});
