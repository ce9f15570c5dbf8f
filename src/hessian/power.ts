// Power iteration with deflation by orthogonalisation, as PyHessian computes the top eigenvalues:
// each new eigenvector is iterated in the orthogonal complement of those already found, so the
// result is the top-k eigenvalues by magnitude (negative ones included).
import { Rng, normalVector } from '../util/random.ts';
import type { LinearOperator } from './linear-operator.ts';
import { checkMatvecResult, dot, normalize, normalizeInPlace, orthogonalize, ownedProduct } from './vector.ts';

export interface PowerOptions {
  k: number;
  /** Maximum products per eigenvalue (default 100). */
  maxIter?: number;
  /** Relative change of the Rayleigh quotient that stops the iteration (default 1e-3). */
  tol?: number;
  seed: number;
  onStep?: (eigen: number, iter: number) => void;
  /**
   * 'vitscope' (default): float64 vectors, Gram–Schmidt twice, the eigenvalue is the last Rayleigh quotient and
   * its vector the iterate it was measured on. 'pyhessian': PyHessian's hessian.eigenvalues step for step —
   * normalise as v / (||v|| + 1e-6), orthonormalise once against the stored vectors before each product, store
   * Hv / (||Hv|| + 1e-6) as the eigenvector, and on convergence keep the *previous* quotient.
   */
  variant?: 'vitscope' | 'pyhessian';
  /** Start vector of each eigenvalue (k of them), instead of Gaussian draws from `seed`. */
  startVectors?: readonly Float64Array[];
}

export interface PowerResult {
  /** In the order found (decreasing magnitude when converged). */
  values: number[];
  vectors: Float64Array[];
  /** Products spent on each eigenvalue. */
  iterations: number[];
  /** Whether each eigenvalue met the tolerance before maxIter. */
  converged: boolean[];
}

export const POWER_DEFAULTS = { maxIter: 100, tol: 1e-3 } as const;

export async function powerIteration(op: LinearOperator, opts: PowerOptions): Promise<PowerResult> {
  const maxIter = opts.maxIter ?? POWER_DEFAULTS.maxIter;
  const tol = opts.tol ?? POWER_DEFAULTS.tol;
  if (!(opts.k >= 1) || opts.k > op.dim) throw new Error(`powerIteration: k must be in [1, ${op.dim}], got ${opts.k}`);
  if (!(maxIter >= 1)) throw new Error(`powerIteration: maxIter must be >= 1, got ${maxIter}`);
  if (!(tol > 0)) throw new Error(`powerIteration: tol must be > 0, got ${tol}`);
  const rng = new Rng(opts.seed);
  const values: number[] = [];
  const vectors: Float64Array[] = [];
  const iterations: number[] = [];
  const converged: boolean[] = [];
  if (opts.startVectors) {
    if (opts.startVectors.length < opts.k) throw new Error(`powerIteration: ${opts.startVectors.length} start vectors for k = ${opts.k}`);
    for (const s of opts.startVectors)
      if (s.length !== op.dim) throw new Error(`powerIteration: start vector of length ${s.length}, expected ${op.dim}`);
  }
  const start = (e: number): Float64Array => (opts.startVectors ? Float64Array.from(opts.startVectors[e]!) : normalVector(rng, op.dim));
  if (opts.variant === 'pyhessian') return pyHessianPower(op, opts.k, maxIter, tol, start, opts.onStep);
  for (let e = 0; e < opts.k; e++) {
    // Two vectors per eigenvalue, updated in place (the iterate and the product): a fresh vector per step costs
    // page faults on large models (2.7M parameters: 22 MB each). The arithmetic is the same as with new arrays.
    let v = normalize(orthogonalize(start(e), vectors));
    let hvBuf = new Float64Array(op.dim);
    let value: number | null = null;
    let done = false;
    let it = 0;
    while (it < maxIter) {
      normalizeInPlace(orthogonalize(v, vectors));
      const hv = ownedProduct(checkMatvecResult(await op.matvec(v, hvBuf), op.dim, 'powerIteration'), v);
      it++;
      opts.onStep?.(e, it);
      const rayleigh = dot(hv, v);
      const next = orthogonalize(hv, vectors);
      const nn = Math.sqrt(dot(next, next));
      if (nn === 0) {
        // v is in the null space of the deflated operator: its eigenvalue is exactly 0.
        value = rayleigh;
        done = true;
        break;
      }
      const prev = value;
      value = rayleigh;
      if (prev !== null && Math.abs(prev - rayleigh) / (Math.abs(prev) + 1e-6) < tol) {
        done = true;
        // Keep the iterate the quotient was measured on: hv/|hv| flips sign for negative eigenvalues.
        break;
      }
      for (let i = 0; i < next.length; i++) next[i] = next[i]! / nn;
      [v, hvBuf] = [next, v];
    }
    values.push(value!);
    vectors.push(normalize(orthogonalize(v, vectors)));
    iterations.push(it);
    converged.push(done);
  }
  return { values, vectors, iterations, converged };
}

/** PyHessian's normalization(): v / (||v|| + 1e-6), into `out` (which may be v). */
function pyNormalize(v: Float64Array, out: Float64Array = new Float64Array(v.length)): Float64Array {
  const s = Math.sqrt(dot(v, v)) + 1e-6;
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / s;
  return out;
}

/** PyHessian's orthnormal(): one sequential Gram–Schmidt pass against the stored vectors, then pyNormalize; in place. */
function pyOrthonormal(w: Float64Array, basis: readonly Float64Array[]): Float64Array {
  for (const q of basis) {
    const c = dot(w, q);
    for (let i = 0; i < w.length; i++) w[i]! -= c * q[i]!;
  }
  return pyNormalize(w, w);
}

/** PyHessian's hessian.eigenvalues(maxIter, tol, top_n) with the given start vectors. */
async function pyHessianPower(
  op: LinearOperator,
  k: number,
  maxIter: number,
  tol: number,
  start: (e: number) => Float64Array,
  onStep?: (eigen: number, iter: number) => void,
): Promise<PowerResult> {
  const values: number[] = [];
  const vectors: Float64Array[] = [];
  const iterations: number[] = [];
  const converged: boolean[] = [];
  for (let e = 0; e < k; e++) {
    // the iterate and the product, updated in place (as in the default variant)
    const v = pyNormalize(start(e));
    const hvBuf = new Float64Array(op.dim);
    let value: number | null = null;
    let done = false;
    let it = 0;
    while (it < maxIter) {
      pyOrthonormal(v, vectors);
      const hv = checkMatvecResult(await op.matvec(v, hvBuf), op.dim, 'powerIteration');
      it++;
      onStep?.(e, it);
      const quotient = dot(hv, v);
      pyNormalize(hv, v);
      if (value === null) value = quotient;
      else if (Math.abs(value - quotient) / (Math.abs(value) + 1e-6) < tol) {
        done = true;
        break;
      } else value = quotient;
    }
    values.push(value!);
    vectors.push(v);
    iterations.push(it);
    converged.push(done);
  }
  return { values, vectors, iterations, converged };
}
