import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lanczos, slqDensity, densityOnGrid, slqMoment, hutchinsonTrace, powerIteration, denseOperator } from '../../src/hessian/index.ts';
import { matrixWithSpectrum, uniformBulk, relErr, traceOfPower } from './helpers.ts';

const sortDesc = (xs: number[]) => [...xs].sort((a, b) => b - a);

test('lanczos: top and bottom eigenvalues, negatives included, to 1e-6 relative', async () => {
  const spectrum = [12, 9, 8.5, -7, -5.5, ...uniformBulk(145, -1, 3, 1)];
  const op = denseOperator(matrixWithSpectrum(spectrum, 2));
  const sorted = sortDesc(spectrum);
  const res = await lanczos(op, { steps: 70, k: 2, which: 'both', seed: 3 });
  assert.equal(res.values.length, 4);
  const expected = [sorted[0]!, sorted[1]!, sorted[sorted.length - 2]!, sorted[sorted.length - 1]!];
  res.values.forEach((v, i) => assert.ok(relErr(v, expected[i]!) < 1e-6, `value ${i}: ${v} vs ${expected[i]}`));
  assert.equal(op.products, 70);
  for (const r of res.ritzResiduals) assert.ok(r < 1e-5, `residual ${r}`);

  const top = await lanczos(op, { steps: 70, k: 3, which: 'largest', seed: 4 });
  top.values.forEach((v, i) => assert.ok(relErr(v, sorted[i]!) < 1e-6, `top ${i}: ${v} vs ${sorted[i]}`));
  const bottom = await lanczos(op, { steps: 70, k: 2, which: 'smallest', seed: 5 });
  assert.ok(relErr(bottom.values[1]!, -7) < 1e-6 && relErr(bottom.values[0]!, -5.5) < 1e-6, `bottom ${bottom.values}`);
});

test('lanczos: clustered extreme eigenvalues and exact multiplicities with a full Krylov space', async () => {
  const cluster = [10, 10 - 1e-3, 10 - 2e-3];
  const spectrum = [...cluster, -4, -4 + 1e-3, ...uniformBulk(75, 0, 5, 6)];
  const op = denseOperator(matrixWithSpectrum(spectrum, 7));
  const res = await lanczos(op, { steps: 80, k: 3, which: 'both', seed: 8 });
  const sorted = sortDesc(spectrum);
  res.values.slice(0, 3).forEach((v, i) => assert.ok(relErr(v, sorted[i]!) < 1e-6, `cluster ${i}: ${v} vs ${sorted[i]}`));
  assert.ok(relErr(res.values[res.values.length - 1]!, -4) < 1e-6);
  assert.ok(relErr(res.values[res.values.length - 2]!, -4 + 1e-3) < 1e-6);

  // Repeated eigenvalues: a single Krylov space sees one copy; breakdown restarts recover the rest.
  const repeated = [5, 5, 5, -2, -2, 1, 0.5, 0.25];
  const opR = denseOperator(matrixWithSpectrum(repeated, 9));
  const full = await lanczos(opR, { steps: repeated.length, k: repeated.length, which: 'largest', seed: 10 });
  const want = sortDesc(repeated);
  full.values.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-8, `full ${i}: ${v} vs ${want[i]}`));
  assert.ok(full.restarts >= 1, 'expected a restart after the invariant subspace was exhausted');
});

test('lanczos: reported Ritz residuals equal ||Ax - θx|| of the returned vectors', async () => {
  const spectrum = uniformBulk(60, -3, 3, 11);
  const rows = matrixWithSpectrum(spectrum, 12);
  const op = denseOperator(rows);
  const res = await lanczos(op, { steps: 15, k: 3, which: 'both', seed: 13, returnVectors: true });
  assert.ok(res.vectors && res.vectors.length === res.values.length);
  for (let i = 0; i < res.values.length; i++) {
    const x = res.vectors![i]!;
    const ax = await op.matvec(x);
    let r = 0;
    let nx = 0;
    for (let j = 0; j < x.length; j++) {
      r += (ax[j]! - res.values[i]! * x[j]!) ** 2;
      nx += x[j]! ** 2;
    }
    assert.ok(Math.abs(nx - 1) < 1e-10, `Ritz vector not unit: ${nx}`);
    assert.ok(Math.abs(Math.sqrt(r) - res.ritzResiduals[i]!) < 1e-8 * (1 + Math.sqrt(r)), `residual ${Math.sqrt(r)} vs ${res.ritzResiduals[i]}`);
  }
  // Unconverged after 15 steps on a flat spectrum: residuals must say so.
  assert.ok(Math.max(...res.ritzResiduals) > 1e-3);
});

test('power iteration with deflation: top-k by magnitude, negatives first-class', async () => {
  const spectrum = [-20, 15, 12, -9, 7, ...uniformBulk(95, -3, 3, 14)];
  const op = denseOperator(matrixWithSpectrum(spectrum, 15));
  const res = await powerIteration(op, { k: 5, maxIter: 5000, tol: 1e-13, seed: 16 });
  const expected = [-20, 15, 12, -9, 7];
  res.values.forEach((v, i) => assert.ok(relErr(v, expected[i]!) < 1e-6, `power ${i}: ${v} vs ${expected[i]}`));
  assert.ok(res.converged.every(Boolean));
  // Eigenvectors: orthonormal, and A v = λ v.
  for (let i = 0; i < 5; i++) {
    const av = await op.matvec(res.vectors[i]!);
    let r = 0;
    for (let j = 0; j < av.length; j++) r += (av[j]! - expected[i]! * res.vectors[i]![j]!) ** 2;
    assert.ok(Math.sqrt(r) < 1e-4 * Math.abs(expected[i]!), `eigvec ${i} residual ${Math.sqrt(r)}`);
  }
  // PyHessian defaults (tol 1e-3, maxIter 100): the top eigenvalue to about the tolerance.
  const quick = await powerIteration(op, { k: 1, seed: 17 });
  assert.ok(relErr(quick.values[0]!, -20) < 1e-2, `default power: ${quick.values[0]}`);
  assert.ok(quick.iterations[0]! <= 100);
});

test('SLQ: quadrature reproduces tr(A^p)/dim exactly on a diagonal matrix, weights sum to 1', async () => {
  const spectrum = [...uniformBulk(40, -2, 5, 18), -6, 9];
  const n = spectrum.length;
  const rows = spectrum.map((v, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? v : 0)));
  const steps = 6;
  const slq = await slqDensity(denseOperator(rows), { steps, runs: 3, seed: 19 });
  assert.equal(slq.length, 3);
  for (const run of slq) {
    assert.equal(run.nodes.length, steps);
    assert.ok(Math.abs(run.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(run.weights.every((w) => w >= 0));
  }
  // Rademacher probes have u_i² = 1/n, so uᵀA^p u = tr(A^p)/n for diagonal A; Gauss quadrature with
  // m nodes is exact up to degree 2m - 1.
  for (let p = 0; p <= 2 * steps - 1; p++) {
    const exact = spectrum.reduce((a, l) => a + l ** p, 0) / n;
    assert.ok(relErr(slqMoment(slq, p), exact) < 1e-8, `p=${p}: ${slqMoment(slq, p)} vs ${exact}`);
  }
});

test('SLQ: moments of a dense matrix within 4 standard errors of tr(A^p)/dim; density integrates to 1', async () => {
  const spectrum = [...uniformBulk(78, -1, 4, 20), -5, 11];
  const rows = matrixWithSpectrum(spectrum, 21);
  const n = rows.length;
  const slq = await slqDensity(denseOperator(rows), { steps: 12, runs: 30, seed: 22 });
  for (const p of [1, 2, 3, 4]) {
    const perRun = slq.map((run) => slqMoment([run], p));
    const mean = perRun.reduce((a, b) => a + b, 0) / perRun.length;
    const sd = Math.sqrt(perRun.reduce((a, b) => a + (b - mean) ** 2, 0) / (perRun.length - 1));
    const se = sd / Math.sqrt(perRun.length);
    const exact = traceOfPower(rows, p) / n;
    assert.ok(Math.abs(mean - exact) <= 4 * se + 1e-9 * Math.abs(exact), `p=${p}: ${mean} vs ${exact} (se ${se})`);
  }
  const sigma = 0.1;
  const grid = Array.from({ length: 2001 }, (_, i) => -8 + (22 * i) / 2000);
  const density = densityOnGrid(slq, { grid, sigma });
  let integral = 0;
  for (let i = 1; i < grid.length; i++) integral += 0.5 * (density[i]! + density[i - 1]!) * (grid[i]! - grid[i - 1]!);
  assert.ok(Math.abs(integral - 1) < 1e-6, `integral ${integral}`);
  // The isolated extremes appear as bumps: density near -5 and 11 exceeds the gaps beside them.
  const at = (x: number) => density[Math.round(((x + 8) / 22) * 2000)]!;
  assert.ok(at(-5) > 10 * at(-3) && at(11) > 10 * at(8), `bumps ${at(-5)} ${at(-3)} ${at(11)} ${at(8)}`);
});

test('Hutchinson trace: within its standard error on a dense matrix, exact on a diagonal one', async () => {
  const spectrum = [...uniformBulk(98, -2, 6, 23), -8, 15];
  const rows = matrixWithSpectrum(spectrum, 24);
  const exact = spectrum.reduce((a, b) => a + b, 0);
  const res = await hutchinsonTrace(denseOperator(rows), { samples: 50, seed: 25 });
  assert.equal(res.values.length, 50);
  assert.ok(res.stderr > 0);
  assert.ok(Math.abs(res.mean - exact) <= 4 * res.stderr, `trace ${res.mean} ± ${res.stderr} vs ${exact}`);
  const diag = spectrum.map((v, i) => Float64Array.from({ length: spectrum.length }, (_, j) => (i === j ? v : 0)));
  const d = await hutchinsonTrace(denseOperator(diag), { samples: 5, seed: 26 });
  assert.ok(Math.abs(d.mean - exact) < 1e-9 && d.stderr < 1e-9);
});

test('bad input is rejected with the field named', async () => {
  const op = denseOperator([Float64Array.of(1, 0), Float64Array.of(0, 2)]);
  await assert.rejects(() => lanczos(op, { steps: 0, k: 1, which: 'largest', seed: 1 }), /steps/);
  await assert.rejects(() => lanczos(op, { steps: 2, k: 1, which: 'top' as never, seed: 1 }), /which/);
  await assert.rejects(() => powerIteration(op, { k: 3, seed: 1 }), /k must be/);
  const broken = { dim: 2, matvec: async () => Float64Array.of(NaN, 0) };
  await assert.rejects(() => hutchinsonTrace(broken, { samples: 1, seed: 1 }), /non-finite/);
});
