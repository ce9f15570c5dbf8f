import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { toDense } from '../../src/hessian/index.ts';
import { modelHessianOperator, type HessianBatch } from '../../src/hessian/model-operator.ts';
import { hessianSpectrum, maxEigenvalueKde, maxEigenvalueSpectrum, nepApe, splitGroups } from '../../src/hessian/spectrum.ts';
import { silvermanBandwidth } from '../../src/util/kde.ts';
import { Rng } from '../../src/util/random.ts';
import { TinyNet, randomBatch } from './tiny-model.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

async function denseEigenvalues(model: TinyNet, batches: HessianBatch[], l2: number): Promise<{ values: number[]; trace: number }> {
  const rows = await toDense(modelHessianOperator(model, batches, { l2 }));
  const sym = new Matrix(rows.map((r, i) => Array.from(r, (v, j) => 0.5 * (v + rows[j]![i]!))));
  return { values: [...new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues].sort((a, b) => b - a), trace: sym.trace() };
}

test('nepApe and splitGroups', () => {
  assert.deepEqual(nepApe([-2, -1, 1, 3, 5]), { nep: 0.4, ape: 3 });
  assert.ok(Number.isNaN(nepApe([-1]).ape));
  const g = splitGroups(10, 3);
  assert.deepEqual(g.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(g.length, 3);
  assert.equal(splitGroups(2, 5).length, 2);
});

test('max-eigenvalue spectrum: per-batch top-k by magnitude equal the dense eigenvalues; NEP/APE pooled; indices recorded', async () => {
  const rng = new Rng(1);
  const model = new TinyNet(2);
  const batches: HessianBatch[] = Array.from({ length: 4 }, (_, b) => ({ ...randomBatch(rng, 3, 4, 2, 3), indices: [3 * b, 3 * b + 1, 3 * b + 2] }));
  const l2 = 0.01;
  const res = await maxEigenvalueSpectrum(model, batches, { k: 2, tol: 1e-9, maxIter: 3000, seed: 3, groups: 2, l2 });
  assert.equal(res.eigenvalues.length, 8);
  assert.deepEqual(res.perBatch.map((p) => p.indices), batches.map((b) => b.indices));
  for (let b = 0; b < batches.length; b++) {
    const { values } = await denseEigenvalues(model, [batches[b]!], l2);
    const byMagnitude = [...values].sort((x, y) => Math.abs(y) - Math.abs(x));
    const scale = Math.abs(byMagnitude[0]!);
    res.perBatch[b]!.values.forEach((v, i) => assert.ok(Math.abs(v - byMagnitude[i]!) < 1e-3 * scale, `batch ${b} eig ${i}: ${v} vs ${byMagnitude[i]}`));
  }
  const expected = nepApe(res.eigenvalues);
  assert.equal(res.nep, expected.nep);
  assert.equal(res.ape, expected.ape);
  assert.equal(res.nepCI.n, 2);
  assert.deepEqual(res.groups, [[0, 1], [2, 3]]);
  const eig = [-3, -1, 2, 4, 8, 9];
  const kde = maxEigenvalueKde(eig);
  assert.ok(kde.negative && kde.positive && kde.negative.bandwidth > 0 && kde.positive.bandwidth > 0);
  assert.ok(kde.negative.grid.every((x) => x <= 0) && kde.positive.grid.every((x) => x >= 0));
  // one bandwidth per sign (Silverman on that side's eigenvalues only) and each side weighted by its share
  assert.equal(kde.negative.bandwidth, silvermanBandwidth([-3, -1]));
  assert.equal(kde.positive.bandwidth, silvermanBandwidth([2, 4, 8, 9]));
  assert.deepEqual([kde.negative.count, kde.positive.count], [2, 4]);
  assert.ok(Math.abs(kde.negative.share - 2 / 6) < 1e-12);
  model.dispose();
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
});

test('averaged-Hessian spectrum: extremes and trace of each subset match its dense Hessian; CIs over subsets', async () => {
  const rng = new Rng(4);
  const model = new TinyNet(5);
  const subsets: HessianBatch[][] = [0, 1, 2].map(() => [randomBatch(rng, 3, 4, 2, 3), randomBatch(rng, 3, 4, 2, 3)]);
  const res = await hessianSpectrum(model, subsets, { seed: 6, k: 2, lanczosSteps: 40, slqSteps: 10, slqRuns: 2, traceSamples: 30, l2: 0 });
  assert.equal(res.subsets.length, 3);
  const traces: number[] = [];
  for (let s = 0; s < 3; s++) {
    const { values, trace } = await denseEigenvalues(model, subsets[s]!, 0);
    const scale = Math.max(...values.map(Math.abs));
    const sub = res.subsets[s]!;
    assert.ok(Math.abs(sub.top[0]! - values[0]!) < 1e-3 * scale, `subset ${s} top ${sub.top[0]} vs ${values[0]}`);
    assert.ok(Math.abs(sub.bottom[0]! - values[values.length - 1]!) < 1e-3 * scale, `subset ${s} bottom ${sub.bottom[0]} vs ${values[values.length - 1]}`);
    assert.ok(Math.abs(sub.trace.mean - trace) <= 4 * sub.trace.stderr + 1e-6, `subset ${s} trace ${sub.trace.mean} ± ${sub.trace.stderr} vs ${trace}`);
    traces.push(sub.trace.mean);
  }
  const mean = traces.reduce((a, b) => a + b, 0) / 3;
  assert.ok(Math.abs(res.trace.mean - mean) < 1e-9 && res.trace.lower < mean && res.trace.upper > mean);
  assert.equal(res.top[0]!.n, 3);
  // Density band: on a common grid, integrates to ~1, lower <= mean <= upper.
  const { grid, mean: dm, lower, upper } = res.density;
  let integral = 0;
  for (let i = 1; i < grid.length; i++) integral += 0.5 * (dm[i]! + dm[i - 1]!) * (grid[i]! - grid[i - 1]!);
  assert.ok(Math.abs(integral - 1) < 1e-3, `density integral ${integral}`);
  assert.ok(dm.every((d, i) => lower[i]! <= d + 1e-12 && d <= upper[i]! + 1e-12));
  model.dispose();
  tf.dispose(subsets.flat().flatMap((b) => [b.x, b.y]));
});
