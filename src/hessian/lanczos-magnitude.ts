// The k eigenvalues of largest magnitude by Lanczos, stopped when they settle: what power iteration with deflation
// computes (PyHessian's top-k), in far fewer products when the top eigenvalues are close in magnitude or of
// opposite signs — there power iteration converges slowly or oscillates, while the Krylov space holds both ends.
import { gaussianStart, lanczosDecomposition, ritzPairs } from './lanczos.ts';
import type { LinearOperator } from './linear-operator.ts';
import { tridiagonalEigen } from './tridiagonal.ts';

export interface MagnitudeLanczosOptions {
  k: number;
  /** Most Lanczos steps (= operator products). */
  maxSteps: number;
  /** Stop when each of the k Ritz values changed by less than tol relative to the step before (power iteration's test). */
  tol: number;
  seed: number;
  returnVectors?: boolean;
  onStep?: (step: number, steps: number) => void;
}

export interface MagnitudeLanczosResult {
  /** The k Ritz values of largest magnitude, by decreasing magnitude. */
  values: number[];
  vectors?: Float64Array[];
  /** ||A x − θ x|| of each (bounds |θ − λ| for some eigenvalue λ). */
  ritzResiduals: number[];
  steps: number;
  /** Whether the tolerance was met before maxSteps. */
  converged: boolean;
}

/** Indices of the k Ritz values of largest magnitude (ties: the larger value first), by decreasing magnitude. */
function byMagnitude(values: readonly number[], k: number): number[] {
  return values
    .map((_, i) => i)
    .sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!) || values[b]! - values[a]!)
    .slice(0, k);
}

export async function lanczosTopByMagnitude(op: LinearOperator, opts: MagnitudeLanczosOptions): Promise<MagnitudeLanczosResult> {
  if (!(opts.k >= 1) || opts.k > op.dim) throw new Error(`lanczosTopByMagnitude: k must be in [1, ${op.dim}], got ${opts.k}`);
  if (!(opts.maxSteps >= opts.k)) throw new Error(`lanczosTopByMagnitude: maxSteps must be >= k (${opts.k}), got ${opts.maxSteps}`);
  if (!(opts.tol > 0)) throw new Error(`lanczosTopByMagnitude: tol must be > 0, got ${opts.tol}`);
  let previous: number[] | null = null;
  let converged = false;
  const settled = (alpha: readonly number[], beta: readonly number[]): boolean => {
    if (alpha.length < opts.k) return false;
    const ritz = tridiagonalEigen(alpha, beta).values;
    const top = byMagnitude(ritz, opts.k).map((i) => ritz[i]!);
    const was = previous;
    previous = top;
    converged = was !== null && top.every((v, i) => Math.abs(v - was[i]!) / (Math.abs(was[i]!) + 1e-6) < opts.tol);
    return converged;
  };
  const { start, rng } = gaussianStart(opts.seed, op.dim);
  const dec = await lanczosDecomposition(op, start, opts.maxSteps, rng, opts.onStep, settled);
  const eig = tridiagonalEigen(dec.alpha, dec.beta);
  return { ...ritzPairs(dec, eig, byMagnitude(eig.values, opts.k), opts.returnVectors), steps: dec.alpha.length, converged };
}
