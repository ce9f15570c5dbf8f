// lanczosTopByMagnitude: the k eigenvalues of largest magnitude by Lanczos with power iteration's stopping test, and
// the stop hook of lanczosDecomposition it relies on.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { initBackend } from '../../src/backend/select.ts';
import { denseOperator, lanczosDecomposition, lanczosTopByMagnitude, powerIteration, toDense } from '../../src/hessian/index.ts';
import { modelHessianOperator, type HessianBatch } from '../../src/hessian/model-operator.ts';
import { maxEigenvalueSpectrum } from '../../src/hessian/spectrum.ts';
import { Rng, normalVector } from '../../src/util/random.ts';
import { matrixWithSpectrum, relErr, uniformBulk } from './helpers.ts';
import { TinyNet, randomBatch } from './tiny-model.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

test('lanczosTopByMagnitude: eigenvalues of opposite sign and nearly equal magnitude, in the order of magnitude', async () => {
  // -20 and 19.9: power iteration's ratio |λ2/λ1| = 0.995 makes it crawl; the Krylov space holds both ends.
  const spectrum = [-20, 19.9, 15, -12, ...uniformBulk(196, -4, 6, 21)];
  const op = denseOperator(matrixWithSpectrum(spectrum, 22));
  const res = await lanczosTopByMagnitude(op, { k: 3, maxSteps: 60, tol: 1e-9, seed: 23, returnVectors: true });
  const expected = [-20, 19.9, 15];
  res.values.forEach((v, i) => assert.ok(relErr(v, expected[i]!) < 1e-7, `value ${i}: ${v} vs ${expected[i]}`));
  assert.ok(res.converged, 'expected convergence before 60 steps');
  assert.equal(op.products, res.steps);
  assert.ok(res.steps < 60, `steps ${res.steps}`);
  // the reported residuals are ||Ax − θx|| of the returned unit vectors
  for (let i = 0; i < 3; i++) {
    const x = res.vectors![i]!;
    const ax = await op.matvec(x);
    let r = 0;
    for (let j = 0; j < x.length; j++) r += (ax[j]! - res.values[i]! * x[j]!) ** 2;
    assert.ok(Math.abs(Math.sqrt(r) - res.ritzResiduals[i]!) < 1e-8 * (1 + Math.sqrt(r)), `residual ${i}: ${Math.sqrt(r)} vs ${res.ritzResiduals[i]}`);
  }
  // with the same number of products, power iteration is still far off (why the quick protocol uses Lanczos)
  const power = await powerIteration(denseOperator(matrixWithSpectrum(spectrum, 22)), { k: 1, maxIter: res.steps, tol: 1e-9, seed: 23 });
  assert.ok(relErr(power.values[0]!, -20) > 100 * relErr(res.values[0]!, -20), `power ${power.values[0]} vs lanczos ${res.values[0]}`);
});

test('lanczosTopByMagnitude: the tolerance decides the steps; the cap ends an unsettled run, flagged unconverged', async () => {
  const spectrum = [9, -8, ...uniformBulk(298, -3, 3, 24)];
  const rows = matrixWithSpectrum(spectrum, 25);
  const loose = await lanczosTopByMagnitude(denseOperator(rows), { k: 2, maxSteps: 80, tol: 1e-3, seed: 26 });
  const tight = await lanczosTopByMagnitude(denseOperator(rows), { k: 2, maxSteps: 80, tol: 1e-10, seed: 26 });
  assert.ok(loose.converged && tight.converged);
  assert.ok(loose.steps < tight.steps, `loose ${loose.steps} vs tight ${tight.steps}`);
  assert.ok(relErr(loose.values[0]!, 9) < 1e-3 && relErr(loose.values[1]!, -8) < 1e-3, `loose ${loose.values}`);
  // a flat spectrum and a tiny tolerance: the cap stops it
  const flat = denseOperator(matrixWithSpectrum(uniformBulk(200, -1, 1, 27), 28));
  const capped = await lanczosTopByMagnitude(flat, { k: 2, maxSteps: 12, tol: 1e-12, seed: 29 });
  assert.equal(capped.steps, 12);
  assert.equal(flat.products, 12);
  assert.equal(capped.converged, false);
  await assert.rejects(lanczosTopByMagnitude(flat, { k: 0, maxSteps: 12, tol: 1e-3, seed: 1 }), /k must be in \[1, 200\]/);
  await assert.rejects(lanczosTopByMagnitude(flat, { k: 3, maxSteps: 2, tol: 1e-3, seed: 1 }), /maxSteps must be >= k/);
  await assert.rejects(lanczosTopByMagnitude(flat, { k: 1, maxSteps: 5, tol: 0, seed: 1 }), /tol must be > 0/);
});

test('lanczosDecomposition: the stop hook ends the iteration after the step it returns true on, the same steps as a run of that length', async () => {
  const rows = matrixWithSpectrum(uniformBulk(50, -2, 5, 30), 31);
  const start = normalVector(new Rng(32), 50);
  const seen: number[] = [];
  const stopped = await lanczosDecomposition(denseOperator(rows), start, 40, new Rng(33), undefined, (alpha, beta) => {
    seen.push(alpha.length);
    assert.equal(beta.length, alpha.length - 1);
    return alpha.length === 7;
  });
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
  const fixed = await lanczosDecomposition(denseOperator(rows), start, 7, new Rng(33));
  assert.deepEqual(stopped.alpha, fixed.alpha);
  assert.deepEqual(stopped.beta, fixed.beta);
  assert.equal(stopped.betaLast, fixed.betaLast);
});

test("max-eigenvalue spectrum with eigensolver 'lanczos': each batch's top-k by magnitude equal the dense Hessian's", async () => {
  const rng = new Rng(41);
  const model = new TinyNet(2);
  const batches: HessianBatch[] = Array.from({ length: 3 }, (_, b) => ({ ...randomBatch(rng, 3, 4, 2, 3), indices: [b] }));
  const l2 = 0.01;
  const res = await maxEigenvalueSpectrum(model, batches, { k: 2, tol: 1e-8, maxIter: 200, seed: 5, groups: 3, l2, eigensolver: 'lanczos' });
  assert.equal(res.eigensolver, 'lanczos');
  for (let b = 0; b < batches.length; b++) {
    const rows = await toDense(modelHessianOperator(model, [batches[b]!], { l2 }));
    const sym = new Matrix(rows.map((r, i) => Array.from(r, (v, j) => 0.5 * (v + rows[j]![i]!))));
    const byMagnitude = [...new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues].sort((x, y) => Math.abs(y) - Math.abs(x));
    const unit = res.perBatch[b]!;
    unit.values.forEach((v, i) => assert.ok(Math.abs(v - byMagnitude[i]!) < 1e-5 * Math.abs(byMagnitude[0]!), `batch ${b} eig ${i}: ${v} vs ${byMagnitude[i]}`));
    assert.ok(unit.converged.every(Boolean));
    assert.equal(unit.ritzResiduals?.length, 2);
    assert.equal(new Set(unit.iterations).size, 1, 'Lanczos steps are shared by the k values');
  }
  assert.equal(res.products, res.perBatch.reduce((a, p) => a + p.iterations[0]!, 0));
  // the basis budget caps the steps: room for 3 vectors of the model's dimension
  const probe = modelHessianOperator(model, [batches[0]!], {});
  const dim = probe.dim;
  probe.dispose();
  const capped = await maxEigenvalueSpectrum(model, batches.slice(0, 1), { k: 2, tol: 1e-12, maxIter: 200, seed: 5, l2, eigensolver: 'lanczos', lanczosBasisBytes: 3 * 8 * dim + 7 });
  assert.deepEqual(capped.perBatch[0]!.iterations, [3, 3]);
  assert.deepEqual(capped.perBatch[0]!.converged, [false, false]);
  model.dispose();
});
