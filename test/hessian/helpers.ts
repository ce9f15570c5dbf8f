// Test helpers: symmetric matrices with prescribed spectra, A = Q diag(λ) Qᵀ with a random orthogonal Q.
import { Matrix, QrDecomposition } from 'ml-matrix';
import { Rng } from '../../src/util/random.ts';

export function randomOrthogonal(n: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const g = Matrix.zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g.set(i, j, rng.normal());
  return new QrDecomposition(g).orthogonalMatrix;
}

export function matrixWithSpectrum(eigenvalues: readonly number[], seed: number): Float64Array[] {
  const n = eigenvalues.length;
  const q = randomOrthogonal(n, seed);
  const qd = q.clone();
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qd.set(i, j, q.get(i, j) * eigenvalues[j]!);
  const a = qd.mmul(q.transpose());
  // exact symmetry
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => 0.5 * (a.get(i, j) + a.get(j, i))));
}

export function uniformBulk(n: number, lo: number, hi: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

export function traceOfPower(rows: readonly Float64Array[], p: number): number {
  const m = new Matrix(rows.map((r) => Array.from(r)));
  let acc = Matrix.eye(rows.length);
  for (let i = 0; i < p; i++) acc = acc.mmul(m);
  return acc.trace();
}
