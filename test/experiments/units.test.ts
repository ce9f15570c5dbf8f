// Long analyses as units of work (src/io/unit-store.ts, src/experiments/unit-runner.ts): sharded + merged equals
// unsharded bit for bit; units of other settings or weights are refused by name; a stop signal ends a run between
// units and --resume completes it; SIGKILL at each fault point of a unit's life, then --resume, gives the same
// hessian.json as a run never interrupted. Only the timing fields (ms, seconds) may differ.
import { after, before, test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { runHessianExperiment, planHessianExperiment, type HessianExperimentSettings } from '../../src/experiments/hessian.ts';
import { runDataSize } from '../../src/experiments/datasize.ts';
import { runLandscapeExperiment, type LandscapeExperimentSettings } from '../../src/experiments/landscape.ts';
import { runNoiseExperiment, type NoiseExperimentSettings } from '../../src/experiments/noise.ts';
import { mergeRun } from '../../src/experiments/merge.ts';
import { FAULT_ANNOUNCE, FAULT_ENV } from '../../src/io/fault-points.ts';
import { parseShard, readUnitProgress, readUnits, unitsFile } from '../../src/io/unit-store.ts';
import { createModel, saveCheckpoint } from '../../src/models/index.ts';
import { OptionError } from '../../src/util/settings.ts';
import { runCli, writeTinyCifar } from '../robustness/helpers.ts';
import { tinyData } from '../train/helpers.ts';

const backend = await initBackend({ backend: 'native', quiet: true }).catch(() => initBackend({ backend: 'cpu', quiet: true }));
let root = '';
let data = '';
let results = '';
let ckpt = '';

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'vitscope-units-'));
  data = path.join(root, 'data');
  results = path.join(root, 'results');
  await writeTinyCifar(data, 64, 8, 3);
  ckpt = path.join(root, 'ckpt');
  const model = createModel('resnet-20', { numClasses: 100, seed: 4 });
  await saveCheckpoint(ckpt, { model });
  model.dispose();
});
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

// Every unit kind: max-eigenvalue batches, Lanczos, two SLQ runs and the trace of two subsets (11 units; the Lanczos
// unit has other steps than an SLQ run, so it is not SLQ run 0: test/hessian/slq-shared.test.ts has that case).
const protocol = {
  params: 'head', batchSize: 4, batches: 3, k: 2, maxIter: 5, groups: 2, subsets: 2, subsetBatches: 2, lanczosSteps: 4, slqSteps: 3, slqRuns: 2, traceSamples: 2,
};
function settings(run: string, extra: Partial<HessianExperimentSettings> = {}): HessianExperimentSettings {
  return { data, results, run, seed: 1, checkpoints: [ckpt], analyses: ['maxeig', 'spectrum'], ...protocol, ...extra };
}
const quiet = { log: () => {} };

/** The summary JSON without its timing fields, as text: equal texts are bit-identical numbers. */
function summary(run: string, name = 'hessian'): string {
  const file = path.join(results, run, `${name}.json`);
  return JSON.stringify(JSON.parse(readFileSync(file, 'utf8')), (k, v: unknown) => (k === 'ms' || k === 'seconds' ? undefined : v));
}

let reference = '';
async function referenceSummary(): Promise<string> {
  if (!reference) {
    const r = await runHessianExperiment(settings('reference'), quiet);
    assert.equal(r.status, 'complete');
    assert.deepEqual(r.units, { done: 11, total: 11 });
    reference = summary('reference');
  }
  return reference;
}

test('parseShard reads i/n and refuses anything else naming the option', () => {
  assert.deepEqual(parseShard('3/64'), { index: 3, count: 64 });
  for (const bad of ['64/64', '1/0', '-1/2', 'a/b', '3'])
    assert.throws(() => parseShard(bad), (e: Error) => e instanceof OptionError && /option '--shard' is .*expected i\/n with 0 <= i < n/.test(e.message));
});

test('three shards, the last merging by itself, give the unsharded hessian.json bit for bit', async () => {
  const ref = await referenceSummary();
  const statuses: string[] = [];
  for (const shard of ['1/3', '0/3', '2/3']) statuses.push((await runHessianExperiment(settings('sharded', { shard }), quiet)).status);
  assert.deepEqual(statuses, ['shard-done', 'shard-done', 'complete']);
  const files = readdirSync(path.join(results, 'sharded', 'units')).sort();
  assert.deepEqual(files, ['shard-0-of-3.jsonl', 'shard-1-of-3.jsonl', 'shard-2-of-3.jsonl']);
  assert.equal(summary('sharded'), ref);
  const progress = readUnitProgress(path.join(results, 'sharded'));
  assert.equal(progress.status, 'finished');
  assert.deepEqual(progress.shards.map((s) => [s.done, s.total, s.complete]), [[4, 4, true], [4, 4, true], [3, 3, true]]);
  // every record says what computed it
  const rec = readUnits(path.join(results, 'sharded'))[0]!.record;
  assert.equal(rec.backend, backend.name);
  assert.ok(rec.cpuKernel.length > 0 && rec.fingerprint.length === 16 && rec.settingsKey.length === 16);
  // merge by command reduces to the same numbers again
  await mergeRun(path.join(results, 'sharded'), quiet);
  assert.equal(summary('sharded'), ref);
});

test('merge refuses units of other settings or other weights, naming each; a shard on other weights is refused', async () => {
  await runHessianExperiment(settings('mixed', { shard: '0/2' }), quiet);
  await runHessianExperiment(settings('other-seed', { shard: '1/2', seed: 2 }), quiet);
  const runDir = path.join(results, 'mixed');
  // a shard file copied from a run with other settings
  writeFileSync(unitsFile(runDir, { index: 1, count: 2 }), readFileSync(unitsFile(path.join(results, 'other-seed'), { index: 1, count: 2 })));
  await assert.rejects(mergeRun(runDir, quiet), (e: Error) => {
    assert.ok(e instanceof OptionError, e.message);
    assert.match(e.message, /5 units do not belong to this run/);
    assert.match(e.message, /units\/shard-1-of-2\.jsonl:1 \(unit 1, maxeig-batch, model '[^']+'\): settings key \w+, the run's is \w+ \(computed with other settings\)/);
    return true;
  });
  // a unit whose weights differ (its fingerprint edited, as if computed on another checkpoint)
  rmSync(unitsFile(runDir, { index: 1, count: 2 }));
  const own = readFileSync(unitsFile(runDir, { index: 0, count: 2 }), 'utf8').split('\n')[0]!;
  const foreign = JSON.parse(own) as { fingerprint: string };
  foreign.fingerprint = '0123456789abcdef';
  appendFileSync(unitsFile(runDir, { index: 1, count: 2 }), JSON.stringify(foreign) + '\n');
  await assert.rejects(mergeRun(runDir, quiet), /shard-1-of-2\.jsonl:1 \(unit 0, .*model fingerprint 0123456789abcdef, the run's is \w+ \(computed on other weights\)/);
  // missing units are listed
  rmSync(unitsFile(runDir, { index: 1, count: 2 }));
  await assert.rejects(mergeRun(runDir, quiet), /5 of 11 units missing \(indices 1, 3, 5, 7, 9\)/);
  // a shard started on other weights is refused before it computes anything
  const other = path.join(root, 'ckpt-other');
  const model = createModel('resnet-20', { numClasses: 100, seed: 99 });
  await saveCheckpoint(other, { model });
  model.dispose();
  await assert.rejects(runHessianExperiment(settings('mixed', { shard: '1/2', checkpoints: [other] }), quiet), /plan\.json: models are .*expected the same weights the run was started with/);
  assert.equal(existsSync(unitsFile(runDir, { index: 1, count: 2 })), false);
});

test('the stop signal ends a run between units; --resume completes it bit-identically', async () => {
  const ref = await referenceSummary();
  const stop = new AbortController();
  const r = await runHessianExperiment(settings('stopped'), { log: (m) => { if (/Hessian-vector product/.test(m) && !/plan/.test(m)) stop.abort(); }, signal: stop.signal });
  assert.equal(r.status, 'stopped');
  assert.deepEqual(r.units, { done: 1, total: 11 }, 'the unit in flight finishes, none after it starts');
  assert.equal(existsSync(path.join(results, 'stopped', 'hessian.json')), false);
  assert.equal(readUnitProgress(path.join(results, 'stopped')).status, 'stopped');
  const resumed = await runHessianExperiment(settings('stopped', { resume: true }), quiet);
  assert.equal(resumed.status, 'complete');
  assert.equal(summary('stopped'), ref);
});

test('the plan: units by kind, products, a measured time per product and the estimate for n shards', async () => {
  const lines: string[] = [];
  const p = await planHessianExperiment(settings('plan-only', { planShards: 4 }), { log: (m) => lines.push(m) });
  assert.equal(p.plan.totalUnits, 11);
  assert.equal(p.products, 3 * 2 * 5 + 2 * (4 * 2 + 2 * 3 * 2 + 2 * 2));
  assert.ok(Object.values(p.secondsPerProduct)[0]! > 0);
  assert.ok(p.hoursSharded < p.hours && p.hoursSharded >= p.hours / 4);
  assert.match(lines.join('\n'), /11 units \(3 maxeig-batch, 2 spectrum-lanczos, 4 spectrum-slq, 2 spectrum-trace\)/);
  assert.equal(existsSync(path.join(results, 'plan-only')), false, '--plan writes nothing');
});

// noise: 2 image ranges × (clean + 3 bands) = 8 units; landscape: 3 rows, or 2 rows and the centre (no (0, 0) on a 2-point grid).
function noiseSettings(run: string, extra: Partial<NoiseExperimentSettings> = {}): NoiseExperimentSettings {
  return { data, results, run, seed: 1, checkpoints: [ckpt], frequencies: [0.1, 0.5, 0.9], images: 8, batchSize: 2, groups: 2, unitBatches: 2, ...extra };
}
function landscapeSettings(run: string, extra: Partial<LandscapeExperimentSettings> = {}): LandscapeExperimentSettings {
  return { data, results, run, seed: 1, checkpoints: [ckpt], resolution: 3, images: 8, batchSize: 4, ...extra };
}

test('noise and landscape: units; sharded + merged = unsharded bit for bit; the unit split does not change the numbers', async () => {
  const whole = await runNoiseExperiment(noiseSettings('noise-whole'), quiet);
  assert.equal(whole.status, 'complete');
  assert.deepEqual(whole.units, { done: 8, total: 8 });
  for (const shard of ['0/2', '1/2']) await runNoiseExperiment(noiseSettings('noise-sharded', { shard }), quiet);
  assert.equal(summary('noise-sharded', 'noise'), summary('noise-whole', 'noise'));
  await runNoiseExperiment(noiseSettings('noise-one-unit', { unitBatches: 0 }), quiet);
  assert.deepEqual(JSON.parse(summary('noise-one-unit', 'noise')).models, JSON.parse(summary('noise-whole', 'noise')).models);

  for (const resolution of [3, 2]) {
    const name = `landscape-${resolution}`;
    const r = await runLandscapeExperiment(landscapeSettings(`${name}-whole`, { resolution }), quiet);
    assert.equal(r.status, 'complete');
    assert.equal(r.units.total, 3, `${resolution} rows${resolution === 2 ? ' and the centre' : ''}`);
    for (const shard of ['2/3', '0/3', '1/3']) await runLandscapeExperiment(landscapeSettings(`${name}-sharded`, { resolution, shard }), quiet);
    assert.equal(summary(`${name}-sharded`, 'landscape'), summary(`${name}-whole`, 'landscape'));
    assert.ok(Number.isFinite(r.models[0]!.summary.centreLoss));
  }
});

test('datasize: one unit per (model, fraction); two shards, the last merging, give the unsharded datasize.json', async () => {
  const recipe = { epochs: 1, batchSize: 16, evalBatchSize: 16, warmupEpochs: 0, mixup: 0, cutmix: 0, randAugmentOps: 0, download: false } as const;
  const study = (runDir: string, shard?: { index: number; count: number }) =>
    runDataSize({ train: { ...recipe }, models: ['resnet-tiny-test'], fractions: [0.25, 0.5, 1], runDir, data: tinyData(64, 16), shard }, quiet);
  const whole = await study(path.join(results, 'ds-whole'));
  assert.equal(whole.status, 'complete');
  assert.deepEqual(whole.points.map((p) => p.fraction), [0.25, 0.5, 1]);
  assert.equal((await study(path.join(results, 'ds-sharded'), { index: 1, count: 2 })).status, 'shard-done');
  assert.equal(existsSync(path.join(results, 'ds-sharded', 'datasize.json')), false, 'no summary before every unit is in');
  assert.equal((await study(path.join(results, 'ds-sharded'), { index: 0, count: 2 })).status, 'complete');
  assert.equal(readFileSync(path.join(results, 'ds-sharded', 'datasize.json'), 'utf8'), readFileSync(path.join(results, 'ds-whole', 'datasize.json'), 'utf8'));
});

const COMMON_FLAGS = (run: string, resume: boolean): string[] => [
  '--checkpoint', ckpt, '--data', data, '--results', results, '--run', run, '--seed', '1', '--backend', backend.name, ...(resume ? ['--resume'] : []),
];
const HESSIAN_FLAGS = [
  'hessian', '--analyses', 'maxeig,spectrum', '--params', 'head', '--batch-size', '4', '--batches', '3', '--k', '2', '--max-iter', '5', '--groups', '2',
  '--subsets', '2', '--subset-batches', '2', '--lanczos-steps', '4', '--slq-steps', '3', '--slq-runs', '2', '--trace-samples', '2',
];
const NOISE_FLAGS = ['noise', '--frequencies', '0.1,0.5,0.9', '--images', '8', '--batch-size', '2', '--groups', '2', '--unit-batches', '2'];
const LANDSCAPE_FLAGS = ['landscape', '--resolution', '3', '--images', '8', '--batch-size', '4'];

/** SIGKILL at each pause, then --resume: the summary equals `reference`; `stored` says how many units the kill left. */
async function killAndResume(analysis: string, flags: string[], reference: string, pauses: Record<string, number>): Promise<void> {
  for (const [pause, stored] of Object.entries(pauses)) {
    const run = `kill-${analysis}-${pause.split(':')[0]}`;
    const child = runCli([...flags, ...COMMON_FLAGS(run, false)], { [FAULT_ENV]: pause });
    await child.waitFor(`${FAULT_ANNOUNCE} ${pause.replace(':', ' #')}`);
    child.kill('SIGKILL');
    assert.equal((await child.exited).signal, 'SIGKILL');
    const runDir = path.join(results, run);
    const units = readFileSync(unitsFile(runDir, { index: 0, count: 1 }), 'utf8');
    if (pause.startsWith('unit-half-written')) assert.ok(!units.endsWith('\n'), 'a half-written line was left');
    assert.equal(readUnits(runDir).length, stored, `${analysis}: units on disk after SIGKILL at ${pause}`);
    assert.equal(existsSync(path.join(runDir, `${analysis}.json`)), false);
    const again = runCli([...flags, ...COMMON_FLAGS(run, true)]);
    const end = await again.exited;
    assert.equal(end.code, 0, again.stderr());
    assert.equal(summary(run, analysis), reference, `${analysis}: after SIGKILL at ${pause}`);
    assert.equal(readUnits(runDir).length, readUnitProgress(runDir).total, 'each unit stored once');
  }
}

test('SIGKILL at each fault point of a unit (computed, half-written, appended, merging), then --resume: bit-identical (hessian, noise, landscape)', async () => {
  await killAndResume('hessian', HESSIAN_FLAGS, await referenceSummary(), { 'unit-computed:2': 1, 'unit-half-written:5': 4, 'unit-appended:9': 9, 'merge-summary:1': 11 });
  await runNoiseExperiment(noiseSettings('noise-reference'), quiet);
  await killAndResume('noise', NOISE_FLAGS, summary('noise-reference', 'noise'), { 'unit-computed:3': 2, 'unit-half-written:4': 3, 'unit-appended:6': 6, 'merge-summary:1': 8 });
  await runLandscapeExperiment(landscapeSettings('landscape-reference'), quiet);
  await killAndResume('landscape', LANDSCAPE_FLAGS, summary('landscape-reference', 'landscape'), { 'unit-computed:1': 0, 'unit-half-written:2': 1, 'unit-appended:2': 2, 'merge-summary:1': 3 });
});
