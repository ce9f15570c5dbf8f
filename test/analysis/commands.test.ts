// End-to-end runs of the four analysis commands on a tiny generated dataset (few images, coarse grids).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { completeOptions } from '../../src/cli/options.ts';
import { bareContext } from '../../src/cli/context.ts';
import type { Command, OptionValues } from '../../src/cli/command.ts';
import { makeGeneratedDataset } from '../../src/data/index.ts';
import { createModel, saveCheckpoint } from '../../src/models/index.ts';
import { command as fourier } from '../../src/cli/commands/fourier.ts';
import { command as variance } from '../../src/cli/commands/variance.ts';
import { command as noise } from '../../src/cli/commands/noise.ts';
import { command as landscape } from '../../src/cli/commands/landscape.ts';

let tmp = '';
let dataDir = '';
let ckpt = '';

before(async () => {
  // The fastest backend available (native, wasm or cpu): these runs do real forward passes.
  await initBackend({ backend: process.env.VITSCOPE_BACKEND === 'tensorflow' ? 'tensorflow' : 'auto', quiet: true });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vitscope-analysis-'));
  dataDir = path.join(tmp, 'data');
  await makeGeneratedDataset({ out: dataDir, train: 30, test: 30, seed: 3 });
  ckpt = path.join(tmp, 'ckpt');
  const model = createModel('resnet-20', { numClasses: 100, seed: 4 });
  await saveCheckpoint(ckpt, { model });
  model.dispose();
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function run(cmd: Command, opts: OptionValues): Promise<{ runDir: string; lines: string[] }> {
  const lines: string[] = [];
  const runDir = path.join(tmp, 'results', String(opts.run));
  await cmd.run(completeOptions(cmd, { data: dataDir, results: path.join(tmp, 'results'), ...opts }), bareContext({ lines }));
  return { runDir, lines };
}

function csvRows(file: string): string[][] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));
}

test('fourier: a checkpoint and a preset on one figure, JSON and CSV per block', async () => {
  const { runDir } = await run(fourier, { run: 'f', checkpoint: [ckpt], preset: ['resnet-20'], label: ['trained', 'fresh'], images: 4, 'batch-size': 3 });
  const json = JSON.parse(readFileSync(path.join(runDir, 'fourier.json'), 'utf8'));
  assert.deepEqual(json.models.map((m: { label: string }) => m.label), ['trained', 'fresh']);
  assert.equal(json.models[0].source, path.resolve(ckpt));
  const blocks = json.models[0].blocks;
  assert.ok(blocks.length >= 5);
  assert.equal(blocks[0].depth, 0);
  assert.equal(blocks.at(-1).depth, 1);
  // Same weights (seed 4 vs preset seed 0 differ), so the curves differ between the two models.
  assert.notDeepEqual(blocks.map((b: { deltaAtHighest: number }) => b.deltaAtHighest), json.models[1].blocks.map((b: { deltaAtHighest: number }) => b.deltaAtHighest));
  const rows = csvRows(path.join(runDir, 'fourier-depth.csv'));
  assert.equal(rows.length, 1 + 2 * blocks.length);
  assert.ok(existsSync(path.join(runDir, 'figures', 'fourier-depth.html')));
  assert.ok(existsSync(path.join(runDir, 'figures', 'relative-log-amplitude-trained.html')));
});

test('variance: one value per block, written to CSV and a figure', async () => {
  const { runDir } = await run(variance, { run: 'v', preset: ['resnet-20'], images: 4 });
  const json = JSON.parse(readFileSync(path.join(runDir, 'variance.json'), 'utf8'));
  const v = json.models[0].blocks.map((b: { variance: number }) => b.variance);
  assert.ok(v.every((x: number) => Number.isFinite(x) && x > 0));
  assert.equal(csvRows(path.join(runDir, 'variance-depth.csv')).length, 1 + v.length);
  assert.ok(existsSync(path.join(runDir, 'figures', 'feature-map-variance.html')) || existsSync(path.join(runDir, 'figures')));
});

test('noise: accuracy change per band with a CI, same noise for every model', async () => {
  const { runDir } = await run(noise, { run: 'n', preset: ['resnet-20', 'resnet-20'], images: 6, frequencies: ['0.5', '0.9'], groups: 2, scale: 1 });
  const json = JSON.parse(readFileSync(path.join(runDir, 'noise.json'), 'utf8'));
  assert.equal(json.models.length, 2);
  assert.notEqual(json.models[0].label, json.models[1].label);
  // Identical models and identical noise: identical results.
  assert.deepEqual(json.models[0].accuracyChange, json.models[1].accuracyChange);
  assert.deepEqual(json.models[0].frequency, [0.5, 0.9]);
  const r = json.models[0];
  r.accuracyChange.forEach((c: number, i: number) => assert.ok(r.changeLower[i] <= c && c <= r.changeUpper[i]));
  assert.equal(csvRows(path.join(runDir, 'noise.csv')).length, 1 + 4);
});

test('landscape: grid of losses with the model loss at the centre', async () => {
  const { runDir } = await run(landscape, { run: 'l', checkpoint: [ckpt], resolution: 3, images: 2, range: ['-0.5', '0.5'] });
  const json = JSON.parse(readFileSync(path.join(runDir, 'landscape.json'), 'utf8'));
  const s = json.models[0];
  assert.deepEqual(s.x, [-0.5, 0, 0.5]);
  assert.equal(s.loss.length, 3);
  assert.equal(s.loss[1][1], s.centre.loss);
  assert.equal(csvRows(path.join(runDir, 'landscape.csv')).length, 1 + 9);
});

test('missing models and mismatched labels are explained', async () => {
  await assert.rejects(run(variance, { run: 'x' }), /'--checkpoint'.*missing/);
  await assert.rejects(run(variance, { run: 'x', preset: ['resnet-20'], label: ['a', 'b'] }), /'--label' has 2 entries/);
  await assert.rejects(run(variance, { run: 'x', checkpoint: [path.join(tmp, 'nope')] }), /is not a directory/);
});

test("--protocol paper: each result records the protocol and the authors' settings, explicit options override them", async () => {
  const f = JSON.parse(readFileSync(path.join((await run(fourier, { run: 'pf', preset: ['resnet-20'], protocol: 'paper', images: 2 })).runDir, 'fourier.json'), 'utf8'));
  assert.equal(f.protocol, 'paper');
  assert.equal(f.settings.diagonal, 'authors');
  assert.deepEqual(f.settings.overridden, ['images']);
  // resnet-20's stem map is 32 x 32: the authors' diagonal ends at 15/16 π, drawn at 1
  const stem = f.models[0].blocks[0];
  assert.equal(stem.relative.length, 16);
  assert.equal(stem.highestFrequency, 30 / 32);
  assert.equal(stem.plotFrequency.at(-1), 1);
  const own = JSON.parse(readFileSync(path.join((await run(fourier, { run: 'pf2', preset: ['resnet-20'], protocol: 'vitscope', images: 2 })).runDir, 'fourier.json'), 'utf8'));
  assert.equal(own.settings.diagonal, 'nyquist');
  assert.equal(own.models[0].blocks[0].relative.length, 17);

  const v = JSON.parse(readFileSync(path.join((await run(variance, { run: 'pv', preset: ['resnet-20'], protocol: 'paper', images: 2 })).runDir, 'variance.json'), 'utf8'));
  assert.equal(v.protocol, 'paper');
  assert.equal(v.settings.split, 'test');

  const n = JSON.parse(readFileSync(path.join((await run(noise, { run: 'pn', preset: ['resnet-20'], protocol: 'paper', images: 4, groups: 1, frequencies: ['0.9'] })).runDir, 'noise.json'), 'utf8'));
  assert.equal(n.protocol, 'paper');
  assert.deepEqual([n.settings.noise, n.settings.mask, n.settings.scale, n.settings.bandwidth], ['sign', 'authors', 0.7, 0.2 / Math.PI]);
  assert.deepEqual(n.settings.frequencies, [0.9]);

  const l = JSON.parse(readFileSync(path.join((await run(landscape, { run: 'pl', preset: ['resnet-20'], protocol: 'paper', resolution: 3, images: 4, clip: 1e-9 })).runDir, 'landscape.json'), 'utf8'));
  assert.equal(l.protocol, 'paper');
  assert.deepEqual([l.settings.normalization, l.settings.l2, l.settings.labelSmoothing, l.settings.augment, l.settings.mix], ['authors', 0.05, 0.1, 'paper', true]);
  const s = l.models[0];
  // loss = NLL + 0.05 Σ‖p‖₂ and the clipped surface is loss − min with points above the clip dropped (null)
  assert.ok(s.centre.loss > s.centre.nll);
  const min = Math.min(...s.loss.flat());
  s.clipped.flat().forEach((z: number | null, i: number) => {
    const d = s.loss.flat()[i] - min;
    if (d > 1e-9) assert.equal(z, null);
    else assert.ok(Math.abs((z as number) - d) < 1e-12);
  });
  await assert.rejects(run(landscape, { run: 'x', preset: ['resnet-20'], protocol: 'nope' }), /landscape: option '--protocol' .*nope.*expected one of paper, quick/);
});
