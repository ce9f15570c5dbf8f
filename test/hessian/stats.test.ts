import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanCI, studentTQuantile, studentTCdf, gaussianKde, silvermanBandwidth, linspace } from '../../src/hessian/index.ts';
import { Rng } from '../../src/util/random.ts';

test('Student t quantiles match published table values', () => {
  // Two-sided 95% critical values from standard t tables.
  const table: [number, number][] = [[1, 12.7062047], [2, 4.3026527], [4, 2.7764451], [9, 2.2621572], [30, 2.0422725], [1e6, 1.9599664]];
  for (const [df, t] of table) assert.ok(Math.abs(studentTQuantile(0.975, df) - t) < 1e-5, `df ${df}: ${studentTQuantile(0.975, df)}`);
  assert.ok(Math.abs(studentTCdf(studentTQuantile(0.9, 7), 7) - 0.9) < 1e-10);
  assert.ok(Math.abs(studentTQuantile(0.025, 4) + studentTQuantile(0.975, 4)) < 1e-10);
});

test('meanCI: 95% t-intervals cover the true mean about 95% of the time', () => {
  const rng = new Rng(1);
  let covered = 0;
  const trials = 2000;
  for (let t = 0; t < trials; t++) {
    const xs = Array.from({ length: 5 }, () => 3 + 2 * rng.normal());
    const ci = meanCI(xs);
    if (ci.lower <= 3 && 3 <= ci.upper) covered++;
  }
  const rate = covered / trials;
  assert.ok(rate > 0.93 && rate < 0.97, `coverage ${rate}`);
  assert.ok(Number.isNaN(meanCI([1]).halfWidth));
});

test('KDE: Silverman bandwidth and unit mass', () => {
  const rng = new Rng(2);
  const xs = Array.from({ length: 400 }, () => rng.normal() * 3 - 10);
  const h = silvermanBandwidth(xs);
  // For normal data IQR/1.34 ≈ sd, so h ≈ 0.9 · 3 · 400^(-1/5).
  assert.ok(Math.abs(h / (0.9 * 3 * Math.pow(400, -0.2)) - 1) < 0.15, `bandwidth ${h}`);
  const grid = linspace(-40, 20, 3001);
  const { density } = gaussianKde(xs, grid);
  let mass = 0;
  for (let i = 1; i < grid.length; i++) mass += 0.5 * (density[i]! + density[i - 1]!) * (grid[i]! - grid[i - 1]!);
  assert.ok(Math.abs(mass - 1) < 1e-6, `mass ${mass}`);
  const peak = grid[density.indexOf(Math.max(...density))]!;
  assert.ok(Math.abs(peak + 10) < 1, `peak at ${peak}`);
  assert.ok(silvermanBandwidth([2, 2, 2]) > 0);
});
