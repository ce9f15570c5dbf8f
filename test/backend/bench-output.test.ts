// `npm run bench -- --quick` on the cpu backend with a tiny model: stdout must be JSON lines only, each
// with the fields the brief requires, and the numbers must be positive and finite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('bench/run.ts --quick prints parseable JSON lines with the required fields', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--backends', 'cpu', '--models', 'vit-tiny-test', '--steps', '1', '--warmup', '0'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  assert.ok(lines.length > 0, 'some output');
  const records = lines.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new assert.AssertionError({ message: `stdout line ${i + 1} is not JSON: ${l}` });
    }
  });
  const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  const sgemm = records.filter((x) => x.bench === 'sgemm');
  const conv = records.filter((x) => x.bench === 'conv2d');
  const steps = records.filter((x) => x.bench === 'train_step' && x.backend === 'cpu');
  assert.ok(sgemm.length >= 1 && conv.length >= 1, 'sgemm and conv2d measured');
  for (const m of [...sgemm, ...conv]) {
    assert.equal(m.backend, 'cpu');
    assert.equal(typeof m.shape, 'string');
    assert.ok(positive(m.gflops), `gflops of ${JSON.stringify(m)}`);
  }
  assert.equal(steps.length, 1, 'one train_step for one model and one batch');
  const s = steps[0]!;
  assert.equal(s.model, 'vit-tiny-test');
  assert.ok(positive(s.batch) && positive(s.img_per_s) && positive(s.params), JSON.stringify(s));
  assert.ok('torch_img_per_s' in s && 'ratio' in s, 'torch fields present (null without a reference)');
  assert.equal(s.ratio, null, 'no PyTorch twin of the test preset, so no ratio');
});

test('bench/table.ts: medians over rounds, the ratio from the summary line, PyTorch per thread count', async () => {
  const { tables } = await import('../../bench/table.ts');
  const recs = [
    { bench: 'train_step', model: 'm', backend: 'torch', batch: 8, round: 1, threads: 1, img_per_s: 10 },
    { bench: 'train_step', model: 'm', backend: 'torch', batch: 8, round: 1, threads: 2, img_per_s: 30 },
    { bench: 'train_step', model: 'm', backend: 'native', batch: 8, round: 1, img_per_s: 33, ratio: 1.1 },
    { bench: 'train_step', model: 'm', backend: 'torch', batch: 8, round: 2, threads: 1, img_per_s: 12 },
    { bench: 'train_step', model: 'm', backend: 'torch', batch: 8, round: 2, threads: 2, img_per_s: 20 },
    { bench: 'train_step', model: 'm', backend: 'native', batch: 8, round: 2, img_per_s: 30, ratio: 1.5 },
    { bench: 'train_step', model: 'm', backend: 'torch', batch: 8, round: 3, threads: 1, img_per_s: 11 },
    { bench: 'train_step', model: 'm', backend: 'torch', batch: 8, round: 3, threads: 2, img_per_s: 25 },
    { bench: 'train_step', model: 'm', backend: 'native', batch: 8, round: 3, img_per_s: 31, ratio: 1.24 },
    { bench: 'train_step_summary', model: 'm', backend: 'native', batch: 8, rounds: 3, img_per_s: 31, ratio: 1.24, pct_peak: 33.3 },
    { bench: 'hvp', model: 'm', backend: 'native', batch: 8, round: 1, step_ms: 10, hvp_ms: 25, ratio: 2.5, pct_peak: 20, torch_hvp_ms: 90, torch_ratio: 4 },
    { bench: 'hvp', model: 'm', backend: 'native', batch: 8, round: 2, step_ms: 12, hvp_ms: 24, ratio: 2, pct_peak: 22, torch_hvp_ms: 90, torch_ratio: 4 },
    { bench: 'hvp', model: 'm', backend: 'native', batch: 16, round: 1, step_ms: 20, hvp_ms: 30, ratio: 1.5, torch_hvp_ms: 120, torch_ratio: 3 },
  ];
  const md = tables(recs);
  assert.match(md, /\| m \| 8 \| native \| 31\.0 \| 33 \| 11\.0 \| 25\.0 \| \*\*1\.24\*\* \(1\.10–1\.50\) \|/);
  assert.match(md, /\| m \| 8 \| native \| 11\.0 \| 24\.5 \| \*\*2\.25\*\* \(2\.00–2\.50\) \| 21 \| 90 \| 4\.00 \| \*\*3\.67\*\* \|/);
  assert.match(md, /\| m \| 16 \| native \| 20\.0 \| 30\.0 \| \*\*1\.50\*\* \| – \| 120 \| 3\.00 \| \*\*4\.00\*\* \|/, 'one row per batch');
});
