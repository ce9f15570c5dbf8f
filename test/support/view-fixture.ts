// A results folder for the results browser's tests and scripts/view-fixture.ts, made by the real experiments on
// tiny presets (so its files are exactly what the commands write), plus the plan and units files of
// analyses in progress, which follow the units contract (plan.json, units/shard-<i>-of-<n>.jsonl, .lock).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { makeGeneratedDataset } from '../../src/data/index.ts';
import { getPreset, listPresets, registerPreset, type ModelConfig } from '../../src/models/index.ts';
import { runDataSize } from '../../src/experiments/datasize.ts';
import { runFourierExperiment } from '../../src/experiments/fourier.ts';
import { runHessianExperiment } from '../../src/experiments/hessian.ts';
import { runLandscapeExperiment } from '../../src/experiments/landscape.ts';
import { runNoiseExperiment } from '../../src/experiments/noise.ts';
import { runTrainExperiment } from '../../src/experiments/train.ts';
import { runVarianceExperiment } from '../../src/experiments/variance.ts';

// The analyses read 32x32 images from disk (the CIFAR-100 format), so the fixture's models are the tiny presets'
// shapes at 32x32: seconds per analysis on 2 cores. Registered here, not in presets.ts (no other test needs them).
const VIT = 'vit-view-test';
const RESNET = 'resnet-view-test';
function viewPreset(name: string, base: string, fields: Record<string, unknown>): void {
  if (listPresets().includes(name)) return;
  const { description: _d, ...config } = getPreset(base);
  registerPreset({ ...config, ...fields, preset: name } as ModelConfig, 'test only: the results browser fixture');
}
viewPreset(VIT, 'vit-ti', { imageSize: 32, patchSize: 8, dim: 8, depth: 2, heads: 2, mlpRatio: 2, dropPathRate: 0 });
viewPreset(RESNET, 'resnet-18', { imageSize: 32, stemWidth: 4, widths: [4, 8], stageBlocks: [1, 1], shortcut: 'B', dropPathRate: 0 });

const RECIPE = { batchSize: 16, evalBatchSize: 16, warmupEpochs: 0, mixup: 0, cutmix: 0, randAugmentOps: 0, download: false } as const;
const HESSIAN_FAST = {
  analyses: ['maxeig', 'spectrum'] as ('maxeig' | 'spectrum')[], params: 'all',
  batchSize: 4, batches: 6, k: 1, maxIter: 4, groups: 2, subsets: 2, subsetBatches: 1, lanczosSteps: 4, slqSteps: 4, slqRuns: 1, traceSamples: 2,
};

export interface ViewFixture {
  results: string;
  data: string;
  /** Run folder names by role. */
  runs: {
    trainShort: string; trainLong: string; hessianA: string; hessianB: string; fourierA: string; fourierB: string;
    noise: string; variance: string; landscape: string; datasize: string; running: string; sharded: string; stopped: string;
  };
}

/** Which analyses to compute (the browser test needs them all; a unit test may need fewer). */
export interface FixtureOptions {
  /** Also noise, variance and a landscape (a few seconds more). */
  all?: boolean;
  log?: (m: string) => void;
}

/** Builds the fixture under `root` (created): data/, results/ with finished, running, sharded and stopped runs. */
export async function makeViewFixture(root: string, opts: FixtureOptions = {}): Promise<ViewFixture> {
  const log = opts.log ?? (() => {});
  await initBackend({ backend: 'cpu', quiet: true });
  const data = path.join(root, 'data');
  const results = path.join(root, 'results');
  await fs.mkdir(results, { recursive: true });
  await makeGeneratedDataset({ out: data, train: 32, test: 16, seed: 3 });
  const runs: ViewFixture['runs'] = {
    trainShort: 'train-vit-short', trainLong: 'train-vit-long', hessianA: 'hessian-vit', hessianB: 'hessian-resnet',
    fourierA: 'fourier-vit', fourierB: 'fourier-resnet', noise: 'noise-both', variance: 'variance-both', landscape: 'landscape-vit', datasize: 'datasize-vit',
    running: 'hessian-running', sharded: 'noise-sharded', stopped: 'landscape-stopped',
  };
  const quiet = { log };
  await runTrainExperiment({ ...RECIPE, epochs: 1, model: VIT, data, results, run: runs.trainShort, formats: ['html'] }, quiet);
  await runTrainExperiment({ ...RECIPE, epochs: 3, seed: 2, model: VIT, data, results, run: runs.trainLong, formats: ['html'] }, quiet);
  const vitCkpt = path.join(results, runs.trainShort);
  const common = { data, results, seed: 1, formats: ['html' as const] };
  await runHessianExperiment({ ...common, run: runs.hessianA, checkpoints: [vitCkpt], labels: [VIT], ...HESSIAN_FAST }, quiet);
  await runHessianExperiment({ ...common, run: runs.hessianB, presets: [RESNET], ...HESSIAN_FAST, params: 'head' }, quiet);
  await runFourierExperiment({ ...common, run: runs.fourierA, checkpoints: [vitCkpt], labels: [VIT], images: 8, batchSize: 8 }, quiet);
  await runFourierExperiment({ ...common, run: runs.fourierB, presets: [RESNET], images: 8, batchSize: 8 }, quiet);
  if (opts.all) {
    await runNoiseExperiment({ ...common, run: runs.noise, presets: [VIT, RESNET], images: 8, frequencies: [0.1, 0.5, 0.9], groups: 2, batchSize: 8 }, quiet);
    await runVarianceExperiment({ ...common, run: runs.variance, presets: [VIT, RESNET], images: 8, batchSize: 8 }, quiet);
    await runDataSize({ train: { ...RECIPE, epochs: 1, data }, models: [VIT], fractions: [0.5, 1], runDir: path.join(results, runs.datasize), formats: ['html'] }, quiet);
    await runLandscapeExperiment({ ...common, run: runs.landscape, checkpoints: [vitCkpt], labels: [VIT], resolution: 5, images: 4, range: [-0.5, 0.5] }, quiet);
  }
  await writeUnitsRun(path.join(results, runs.running), { analysis: 'hessian', models: [VIT, RESNET], perModel: 4, shards: 1, done: [0, 1, 2], lockPid: process.pid });
  await writeUnitsRun(path.join(results, runs.sharded), { analysis: 'noise', models: [VIT], perModel: 6, shards: 2, done: [0, 2, 4, 1], lockPid: undefined });
  await fs.mkdir(path.join(results, runs.sharded, 'slurm', 'logs'), { recursive: true });
  await fs.writeFile(path.join(results, runs.sharded, 'slurm', 'job-id'), '4242\n');
  await writeUnitsRun(path.join(results, runs.stopped), { analysis: 'landscape', models: [RESNET], perModel: 5, shards: 1, done: [0, 1], lockPid: deadPid() });
  return { results, data, runs };
}

/** A pid that no process has here (the lock of a killed writer). */
export function deadPid(): number {
  for (let pid = 4_000_000; pid > 3_000_000; pid -= 7919) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
  throw new Error('deadPid: no free pid found');
}

export interface UnitsRunSpec {
  analysis: string;
  models: string[];
  perModel: number;
  shards: number;
  /** Positions in plan.units that have finished, in the order they finished. */
  done: number[];
  /** Writes .lock with this pid (the live writer), or none. */
  lockPid: number | undefined;
}

/** plan.json, units/shard-<i>-of-<n>.jsonl and .lock as UNITS-CONTRACT.md describes them. */
export async function writeUnitsRun(dir: string, spec: UnitsRunSpec): Promise<void> {
  await fs.mkdir(path.join(dir, 'units'), { recursive: true });
  // hessian's max-eigenvalue units as src/experiments/hessian.ts writes them (kind 'maxeig-batch', top-k in `values`)
  const kind = spec.analysis === 'hessian' ? 'maxeig-batch' : `${spec.analysis}-batch`;
  const units = spec.models.flatMap((model, m) => Array.from({ length: spec.perModel }, (_, k) => ({ index: m * spec.perModel + k, kind, model })));
  const created = Date.parse('2026-12-05T08:00:00Z');
  const plan = { analysis: spec.analysis, totalUnits: units.length, shards: spec.shards, units, settingsKey: 'fixture-settings', createdAt: new Date(created).toISOString() };
  await fs.writeFile(path.join(dir, 'plan.json'), JSON.stringify(plan, null, 2));
  const lines = new Map<number, string[]>();
  spec.done.forEach((p, order) => {
    const u = units[p]!;
    const shard = p % spec.shards;
    const record = {
      index: u.index, kind: u.kind, model: u.model, fingerprint: `fp-${u.model}`, settingsKey: 'fixture-settings', seconds: 12.5, backend: 'cpu', cpuKernel: 'fixture',
      finishedAt: new Date(created + (order + 1) * 60_000).toISOString(),
      result: spec.analysis === 'hessian' ? { values: [order % 3 === 0 ? -0.4 : 2 + order] } : { value: order },
    };
    lines.set(shard, [...(lines.get(shard) ?? []), JSON.stringify(record)]);
  });
  for (let s = 0; s < spec.shards; s++) await fs.writeFile(path.join(dir, 'units', `shard-${s}-of-${spec.shards}.jsonl`), (lines.get(s) ?? []).map((l) => l + '\n').join(''));
  if (spec.lockPid !== undefined)
    await fs.writeFile(path.join(dir, '.lock'), JSON.stringify({ pid: spec.lockPid, host: os.hostname(), started: new Date(created).toISOString(), purpose: `${spec.analysis} fixture` }) + '\n');
}

/** Appends one finished unit (a writer making progress), as the contract's writers do. */
export async function appendUnit(dir: string, shardFile: string, record: Record<string, unknown>): Promise<void> {
  await fs.appendFile(path.join(dir, 'units', shardFile), JSON.stringify(record) + '\n');
}
