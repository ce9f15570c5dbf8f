// powerIteration's 'pyhessian' variant (PyHessian's hessian.eigenvalues step for step) on matrices with known
// spectra; its agreement with PyHessian itself on real models is test/crosscheck's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { denseOperator, powerIteration } from '../../src/hessian/index.ts';
import { normalVector, Rng } from '../../src/util/random.ts';
import { matrixWithSpectrum, relErr } from './helpers.ts';

test("pyhessian variant: top-k by magnitude (negative included) on a known spectrum, each within PyHessian's tolerance", async () => {
  const spectrum = [12, -9, 6, 4, 2, 1, 0.5, 0.25, -0.1, 0.05];
  const op = denseOperator(matrixWithSpectrum(spectrum, 3));
  const r = await powerIteration(op, { k: 3, maxIter: 1000, tol: 1e-9, seed: 4, variant: 'pyhessian' });
  assert.deepEqual(r.converged, [true, true, true]);
  [12, -9, 6].forEach((want, i) => assert.ok(relErr(r.values[i]!, want) < 1e-4, `eigenvalue ${i}: ${r.values[i]} vs ${want}`));
});

test('pyhessian variant: the given start vectors decide the run (the seed is not used), and k of them are required', async () => {
  const op = denseOperator(matrixWithSpectrum([5, 4.5, -3, 1, 0.5, 0.2], 7));
  const rng = new Rng(8);
  const starts = [normalVector(rng, op.dim), normalVector(rng, op.dim)];
  const a = await powerIteration(op, { k: 2, seed: 1, variant: 'pyhessian', startVectors: starts });
  const b = await powerIteration(op, { k: 2, seed: 99, variant: 'pyhessian', startVectors: starts });
  const c = await powerIteration(op, { k: 2, seed: 1, variant: 'pyhessian' });
  assert.deepEqual(a.values, b.values);
  assert.deepEqual(a.iterations, b.iterations);
  assert.notDeepEqual(a.iterations.concat(a.values), c.iterations.concat(c.values));
  await assert.rejects(() => powerIteration(op, { k: 3, seed: 1, variant: 'pyhessian', startVectors: starts }), /2 start vectors for k = 3/);
  await assert.rejects(() => powerIteration(op, { k: 1, seed: 1, startVectors: [new Float64Array(2)] }), /length 2, expected 6/);
});

test("pyhessian variant: on convergence it reports the previous Rayleigh quotient, as PyHessian does", async () => {
  // With a 2 x 2 diagonal operator the quotients of the iterates can be followed exactly.
  const op = denseOperator([[3, 0], [0, 1]]);
  const quotients: number[] = [];
  const traced = {
    dim: 2,
    async matvec(v: Float64Array): Promise<Float64Array> {
      const hv = await op.matvec(v);
      quotients.push(hv[0]! * v[0]! + hv[1]! * v[1]!);
      return hv;
    },
  };
  const r = await powerIteration(traced, { k: 1, tol: 1e-3, maxIter: 100, seed: 0, variant: 'pyhessian', startVectors: [Float64Array.from([1, 1])] });
  assert.ok(r.converged[0]);
  const n = quotients.length;
  assert.equal(r.iterations[0], n);
  assert.equal(r.values[0], quotients[n - 2], 'the value before the last product');
  assert.ok(Math.abs(quotients[n - 2]! - quotients[n - 1]!) / (Math.abs(quotients[n - 2]!) + 1e-6) < 1e-3);
});
