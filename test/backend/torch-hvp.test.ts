// bench/torch_hvp.py, the PyTorch reference of the Hessian-vector-product bench: its lines parse, carry the fields
// bench/run.ts reads, time both sides, and describe the same model (parameter count) as vitscope's preset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestHvpByThreads, findTorchPython, runTorchHvp, type TorchHvpResult } from '../../bench/torch.ts';
import { parameterCount } from '../../bench/train-step.ts';

test('bestHvpByThreads keeps, per model, the thread count with the fastest product', () => {
  const line = (model: string, threads: number, hvp_s: number): TorchHvpResult => ({ model, batch: 32, params: 1, threads, step_s: 1, hvp_s, ratio: hvp_s, torch: 'x' });
  const best = bestHvpByThreads([line('a', 1, 3), line('a', 2, 2), line('b', 1, 1), line('b', 2, 4)]);
  assert.equal(best.get('a')!.threads, 2);
  assert.equal(best.get('b')!.threads, 1);
  assert.equal(best.size, 2);
});

test('torch_hvp.py measures value-and-gradient and one exact product on resnet-20', (t) => {
  const python = findTorchPython();
  if (python === null) {
    t.skip('PyTorch not found (set VITSCOPE_PYTHON): the reference cannot run here');
    return;
  }
  const results = runTorchHvp(python, ['resnet-20'], 4, 0, 1, [1]);
  assert.equal(results.length, 1);
  const r = results[0]!;
  assert.equal(r.model, 'resnet-20');
  assert.equal(r.batch, 4);
  assert.equal(r.threads, 1);
  assert.equal(r.params, parameterCount('resnet-20'), 'same architecture as the preset');
  for (const k of ['step_s', 'hvp_s', 'ratio', 'hvp_recompute_s'] as const) assert.ok(Number.isFinite(r[k]) && r[k]! > 0, `${k} = ${r[k]}`);
  assert.ok(Math.abs(r.ratio - r.hvp_s / r.step_s) < 1e-9 * r.ratio);
});
