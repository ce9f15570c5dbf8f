// The `hessian` experiment command end to end on a tiny generated dataset with minimal settings.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { makeGeneratedDataset } from '../../src/data/index.ts';
import { command, sampleSizeAdvice } from '../../src/cli/commands/hessian.ts';
import { bareContext } from '../../src/cli/context.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

test('sampleSizeAdvice: batches needed scale with (sd/mean)²', () => {
  const a = sampleSizeAdvice([9, 10, 11, 10]);
  const b = sampleSizeAdvice([8, 10, 12, 10]);
  assert.ok(Math.abs(b.batchesFor10pct / a.batchesFor10pct - 4) < 0.5, `${a.batchesFor10pct} ${b.batchesFor10pct}`);
  assert.ok(a.batchesFor5pct >= 4 * a.batchesFor10pct - 4);
});

test('hessian command: writes hessian.json (eigenvalues, SLQ, trace, settings, indices, timings) and figures', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vitscope-hessian-'));
  try {
    const data = path.join(dir, 'data');
    await makeGeneratedDataset({ out: data, train: 40, test: 10, seed: 1 });
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    await command.run(
      {
        model: ['resnet-20'], data, results: path.join(dir, 'results'), run: 'h', seed: 3, formats: ['html'],
        analyses: ['maxeig', 'spectrum'], 'batch-size': 2, batches: 2, k: 1, 'max-iter': 2, groups: 2,
        subsets: 2, 'subset-batches': 1, 'lanczos-steps': 2, 'slq-steps': 2, 'slq-runs': 1, 'trace-samples': 2, params: 'head',
      },
      bareContext({ lines }),
    );
    assert.equal(tf.memory().numTensors, before, 'tensors leaked by the command');
    const json = JSON.parse(await readFile(path.join(dir, 'results', 'h', 'hessian.json'), 'utf8'));
    assert.equal(json.settings.seed, 3);
    assert.equal(json.settings.batchSize, 2);
    const m = json.models[0];
    assert.equal(m.preset, 'resnet-20');
    assert.deepEqual(m.paramNames, ['head.kernel', 'head.bias']);
    const me = m.maxEigenvalueSpectrum;
    assert.equal(me.variant, 'vitscope', "the quick protocol runs vitscope's power iteration");
    assert.equal(me.eigenvalues.length, 2);
    assert.ok(me.nep >= 0 && me.nep <= 1);
    const maxIdx = me.perBatch.flatMap((p: { indices: number[] }) => p.indices);
    const specIdx = m.spectrum.subsets.flatMap((s: { indices: number[] }) => s.indices);
    assert.equal(maxIdx.length, 4);
    assert.equal(specIdx.length, 4);
    assert.equal(new Set([...maxIdx, ...specIdx]).size, 8, 'batches and subsets must be disjoint');
    for (const s of m.spectrum.subsets) {
      assert.equal(s.slq.length, 1);
      assert.ok(Math.abs(s.slq[0].weights.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-9);
      assert.equal(s.trace.values.length, 2);
    }
    assert.ok(Number.isFinite(m.spectrum.trace.mean) && Number.isFinite(m.spectrum.top[0].mean));
    assert.ok(lines.some((l) => /Hessian-vector product \d+/.test(l)), 'progress per product');
    assert.ok(existsSync(path.join(dir, 'results', 'h', 'figures', 'hessian-spectral-density.html')));
    assert.ok(existsSync(path.join(dir, 'results', 'h', 'figures', 'hessian-max-eigenvalue-spectrum.html')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("hessian --protocol paper: the training pipeline's soft targets, every setting and a per-sign KDE in hessian.json", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vitscope-hessian-paper-'));
  try {
    const data = path.join(dir, 'data');
    await makeGeneratedDataset({ out: data, train: 40, test: 10, seed: 1 });
    await command.run(
      {
        model: ['resnet-20'], data, results: path.join(dir, 'results'), run: 'hp', seed: 2, formats: ['html'], protocol: 'paper',
        analyses: ['maxeig'], 'batch-size': 2, batches: 3, fraction: 0, k: 2, 'max-iter': 3, groups: 1, params: 'head',
      },
      bareContext({ lines: [] }),
    );
    const json = JSON.parse(await readFile(path.join(dir, 'results', 'hp', 'hessian.json'), 'utf8'));
    const s = json.settings;
    assert.equal(s.protocol, 'paper');
    assert.deepEqual([s.augment, s.mix, s.labelSmoothing, s.l2, s.tol, s.subsets, s.power], ['paper', true, 0.1, 0.05, 1e-3, 5, 'pyhessian']);
    assert.deepEqual([...s.overridden].sort(), ['batchSize', 'batches', 'fraction', 'groups', 'k', 'maxIter']);
    assert.deepEqual(s.mixConfig, { mixupAlpha: 1, cutmixAlpha: 0.8, prob: 1, switchProb: 0.5 });
    const me = json.models[0].maxEigenvalueSpectrum;
    assert.equal(me.variant, 'pyhessian', "the paper protocol runs PyHessian's power iteration");
    assert.equal(me.eigenvalues.length, 6);
    // the KDE of each sign holds that side's eigenvalues only, as the figure draws them
    const pos = me.eigenvalues.filter((v: number) => v >= 0).length;
    if (pos > 0) assert.equal(me.kde.positive.count, pos);
    else assert.equal(me.kde.positive, null);
    assert.equal(me.kde.negative?.count ?? 0, 6 - pos);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
