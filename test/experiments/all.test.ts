// The main job as an experiment (runAllExperiment: trains, then calls the analysis experiments), and commands that
// leave their option bags as they were (the hessian command's --all-checkpoints expands run folders without
// writing into its options).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { bareContext } from '../../src/cli/context.ts';
import { completeOptions } from '../../src/cli/options.ts';
import { command as hessian } from '../../src/cli/commands/hessian.ts';
import { command as variance } from '../../src/cli/commands/variance.ts';
import { makeGeneratedDataset } from '../../src/data/index.ts';
import { runAllExperiment } from '../../src/experiments/all.ts';

let tmp = '';
let data = '';

before(async () => {
  await initBackend({ backend: process.env.VITSCOPE_BACKEND === 'tensorflow' ? 'tensorflow' : 'auto', quiet: true });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vitscope-all-'));
  data = path.join(tmp, 'data');
  await makeGeneratedDataset({ out: data, train: 64, test: 16, seed: 2 });
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A deep freeze: any write into the option bag (or a list in it) throws. */
function frozen<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) Object.freeze(v);
  return Object.freeze(o);
}

test('runAllExperiment: trains, runs the asked analyses through the experiments, records stages, writes all.json and the report', async () => {
  const lines: string[] = [];
  const r = await runAllExperiment(
    { models: ['resnet-20'], epochs: 1, trainSize: 64, stepsPerEpoch: 2, analyses: ['fourier', 'variance', 'nope'], data, results: path.join(tmp, 'results'), run: 'all' },
    { log: (m) => lines.push(m) },
  );
  assert.equal(r.runDir, path.join(tmp, 'results', 'all'));
  assert.equal(r.interrupted, false);
  assert.deepEqual(r.failures, []);
  assert.deepEqual(r.stages.map((s) => `${s.stage} ${s.status}`), ['train resnet-20 ok', 'fourier ok', 'variance ok', 'nope skipped']);
  const all = JSON.parse(readFileSync(path.join(r.runDir, 'all.json'), 'utf8'));
  assert.deepEqual(all.training, r.training);
  assert.ok(r.training['resnet-20'] && r.training['resnet-20'].testAcc >= 0 && r.training['resnet-20'].testAcc <= 1);
  const fourier = JSON.parse(readFileSync(path.join(r.runDir, 'fourier', 'fourier.json'), 'utf8'));
  assert.deepEqual(fourier.models.map((m: { label: string }) => m.label), ['resnet-20']);
  assert.equal(fourier.models[0].source, path.join(r.runDir, 'train', 'resnet-20', 'checkpoints', 'final'));
  assert.ok(existsSync(path.join(r.runDir, 'variance', 'variance.json')));
  assert.ok(r.report && existsSync(r.report));
  assert.ok(lines.some((l) => /skipping nope/.test(l)), 'the unknown analysis is said to be skipped');
});

test('commands do not write into their options: hessian --all-checkpoints expands a run folder, variance runs from a frozen bag', async () => {
  const trainRun = path.join(tmp, 'results', 'all', 'train', 'resnet-20');
  if (!existsSync(trainRun)) {
    await runAllExperiment({ models: ['resnet-20'], epochs: 1, trainSize: 64, stepsPerEpoch: 2, analyses: [], data, results: path.join(tmp, 'results'), run: 'all' }, { log: () => {} });
  }
  const results = path.join(tmp, 'results');
  const opts = frozen(completeOptions(hessian, {
    checkpoint: [trainRun], 'all-checkpoints': true, analyses: ['maxeig'], params: 'head', data, results, run: 'h',
    'batch-size': 2, batches: 1, k: 1, 'max-iter': 2, groups: 1,
  }));
  const copy = structuredClone(opts);
  await hessian.run(opts, bareContext());
  assert.deepEqual(opts, copy);
  const json = JSON.parse(readFileSync(path.join(results, 'h', 'hessian.json'), 'utf8'));
  // every checkpoint of the run, in tag order
  assert.deepEqual(json.models.map((m: { source: string }) => path.basename(m.source)), ['epoch-1', 'final']);

  const vopts = frozen(completeOptions(variance, { checkpoint: [trainRun], data, results, run: 'v', images: 2 }));
  await variance.run(vopts, bareContext());
  assert.ok(existsSync(path.join(results, 'v', 'variance.json')));
});
