// report.html opens with the key numbers next to the paper's, read from the analyses' JSON files of a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runSummary } from '../../src/plots/summary.ts';
import { writeReport } from '../../src/plots/report.ts';

test('the run summary reads accuracy, NEP/APE, Δ@π by kind, noise drops and variance, each with the paper value', async () => {
  const run = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-summary-'));
  try {
    const put = async (rel: string, v: unknown) => {
      await fs.mkdir(path.dirname(path.join(run, rel)), { recursive: true });
      await fs.writeFile(path.join(run, rel), JSON.stringify(v));
    };
    await put('all.json', { training: { 'vit-cpu': { testAcc: 0.123 }, 'resnet-20': null } });
    await put('hessian/hessian.json', { models: [{ label: 'vit-cpu (final)', maxEigenvalueSpectrum: { nep: 0.25, ape: 12.5 } }] });
    await put('fourier/fourier.json', { models: [{ label: 'resnet-20', blocks: [{ kind: 'conv', deltaAtHighest: -3 }, { kind: 'conv', deltaAtHighest: -1 }, { kind: 'pool', deltaAtHighest: -2 }] }] });
    await put('noise/noise.json', { models: [{ label: 'vit-cpu', frequency: [0.1, 0.5, 0.9], accuracyChange: [-5, -3, -1.25] }] });
    await put('variance/variance.json', { models: [{ label: 'resnet-20', blocks: [{ variance: 0.5 }, { variance: 0.02 }] }] });
    const rows = await runSummary(run);
    const by = (q: RegExp) => rows.find((r) => q.test(r.quantity))!;
    assert.deepEqual(by(/accuracy$/), { quantity: 'test accuracy', model: 'vit-cpu', ours: '12.3 %', paper: '66.5 % (ViT-Ti, CIFAR-100)' });
    assert.equal(by(/NEP/).ours, 'NEP 25.0 %, APE 12.5');
    assert.equal(by(/Δ log amplitude/).ours, 'conv -2.00, pool -2.00');
    assert.match(by(/Δ log amplitude/).paper, /−6\.6 → −1\.0/);
    assert.equal(by(/noise/).ours, '-5.0 % at 0.1π, -1.3 % at 0.9π');
    assert.equal(by(/variance/).ours, '0.0200 … 0.500');
    assert.equal(rows.length, 5, 'resnet-20 without training numbers gives no accuracy row');
    const html = await fs.readFile(await writeReport(run), 'utf8');
    assert.ok(html.indexOf("Key numbers next to the paper's") > 0 && html.indexOf("Key numbers next to the paper's") < html.indexOf('<section id="raw-tables"'), 'the summary comes first');
  } finally {
    await fs.rm(run, { recursive: true, force: true });
  }
});

test('a run without analysis files has no summary (and a half-written JSON file is left out, not fatal)', async () => {
  const run = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-summary-'));
  try {
    await fs.writeFile(path.join(run, 'noise.json'), '{"models": [');
    assert.deepEqual(await runSummary(run), []);
  } finally {
    await fs.rm(run, { recursive: true, force: true });
  }
});
