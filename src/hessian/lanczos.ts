// Lanczos iteration with full reorthogonalisation in float64, for the extreme eigenvalues of a
// symmetric operator (largest, smallest or both: negative eigenvalues are first-class).
import { Rng, normalVector } from '../util/random.ts';
import type { LinearOperator } from './linear-operator.ts';
import { tridiagonalEigen, type TridiagonalEigen } from './tridiagonal.ts';
import { axpy, checkMatvecResult, dot, norm, normalize, orthogonalize, ownedProduct } from './vector.ts';

export interface LanczosOptions {
  /** Krylov steps (= operator products); capped at op.dim. */
  steps: number;
  /** How many eigenvalues at each requested end. */
  k: number;
  which: 'largest' | 'smallest' | 'both';
  seed: number;
  /** Return the Ritz vectors (costs steps x dim doubles kept anyway for reorthogonalisation). */
  returnVectors?: boolean;
  /** Start vector (normalised here); otherwise a seeded Gaussian vector. */
  start?: Float64Array;
  /** Called after every operator product. */
  onStep?: (step: number, steps: number) => void;
}

export interface LanczosResult {
  /**
   * Ritz values in descending order: for 'largest' the k largest, for 'smallest' the k smallest,
   * for 'both' the k largest followed by the k smallest (fewer when 2k exceeds the steps).
   */
  values: number[];
  vectors?: Float64Array[];
  /** ||A x - θ x|| of each Ritz pair (|β_m · s_m|, the last component of the tridiagonal eigenvector). */
  ritzResiduals: number[];
  /** Operator products used. */
  steps: number;
  /** Times an invariant subspace was exhausted and the iteration restarted from a fresh vector. */
  restarts: number;
}

export interface LanczosDecomposition {
  alpha: number[];
  beta: number[]; // length m - 1 (off-diagonal of T)
  /** β after the last step: the residual scale of every Ritz pair (0 after an exact breakdown). */
  betaLast: number;
  basis: Float64Array[];
  restarts: number;
}

/**
 * m steps of Lanczos from `start` with full reorthogonalisation (every new vector is
 * Gram–Schmidt-orthogonalised twice against all previous ones). On breakdown (an invariant
 * subspace is found) it continues from a fresh random vector orthogonal to the basis, which leaves
 * a zero in T's off-diagonal.
 */
export async function lanczosDecomposition(
  op: LinearOperator,
  start: Float64Array,
  steps: number,
  rng: Rng,
  onStep?: (step: number, steps: number) => void,
  /** Asked after every step with T's diagonal and off-diagonal so far: true ends the iteration there. */
  stop?: (alpha: readonly number[], beta: readonly number[]) => boolean,
): Promise<LanczosDecomposition> {
  const n = op.dim;
  if (start.length !== n) throw new Error(`lanczos: start vector has length ${start.length}, operator dim is ${n}`);
  const m = Math.min(Math.max(1, Math.floor(steps)), n);
  const alpha: number[] = [];
  const beta: number[] = [];
  const basis: Float64Array[] = [normalize(start)];
  let betaLast = 0;
  let restarts = 0;
  let scaleSeen = 0;
  for (let j = 0; j < m; j++) {
    const q = basis[j]!;
    // the product is written into the vector that becomes the next basis vector (one new vector per step)
    const into = new Float64Array(n);
    const w = ownedProduct(checkMatvecResult(await op.matvec(q, into), n, 'lanczos'), q);
    onStep?.(j + 1, m);
    const a = dot(w, q);
    alpha.push(a);
    axpy(-a, q, w);
    if (j > 0) axpy(-beta[j - 1]!, basis[j - 1]!, w);
    orthogonalize(w, basis);
    const b = norm(w);
    scaleSeen = Math.max(scaleSeen, Math.abs(a), b);
    if (stop?.(alpha, beta) === true || j === m - 1) {
      betaLast = b;
      break;
    }
    if (b <= 1e-10 * scaleSeen || b === 0) {
      // Invariant subspace: restart orthogonally so later steps see the rest of the spectrum.
      let fresh: Float64Array | null = null;
      for (let attempt = 0; attempt < 5 && fresh === null; attempt++) {
        const r = orthogonalize(normalVector(rng, n), basis);
        const rn = norm(r);
        if (rn > 1e-8) fresh = normalize(orthogonalize(r.map((x) => x / rn), basis));
      }
      if (fresh === null) break;
      restarts++;
      beta.push(0);
      basis.push(fresh);
    } else {
      beta.push(b);
      for (let i = 0; i < n; i++) w[i] = w[i]! / b;
      basis.push(w);
    }
  }
  return { alpha, beta: beta.slice(0, alpha.length - 1), betaLast, basis: basis.slice(0, alpha.length), restarts };
}

function indicesFor(which: LanczosOptions['which'], k: number, m: number): number[] {
  // Ritz values come ascending; pick indices, then order them by descending value.
  const kk = Math.min(k, m);
  const top = Array.from({ length: kk }, (_, i) => m - 1 - i);
  const bottom = Array.from({ length: kk }, (_, i) => i);
  const picked = which === 'largest' ? top : which === 'smallest' ? bottom : [...new Set([...top, ...bottom])];
  return picked.sort((a, b) => b - a);
}

export async function lanczos(op: LinearOperator, opts: LanczosOptions): Promise<LanczosResult> {
  if (!(opts.k >= 1)) throw new Error(`lanczos: k must be >= 1, got ${opts.k}`);
  if (!(opts.steps >= 1)) throw new Error(`lanczos: steps must be >= 1, got ${opts.steps}`);
  if (!['largest', 'smallest', 'both'].includes(opts.which)) {
    throw new Error(`lanczos: which must be 'largest', 'smallest' or 'both', got '${opts.which}'`);
  }
  const { start, rng } = opts.start ? { start: opts.start, rng: new Rng(opts.seed) } : gaussianStart(opts.seed, op.dim);
  const dec = await lanczosDecomposition(op, start, Math.max(opts.steps, 1), rng, opts.onStep);
  return extremeRitzPairs(dec, opts);
}

/** lanczos()'s own start: a Gaussian vector drawn from the seed, whose stream then serves the restarts. */
export function gaussianStart(seed: number, dim: number): { start: Float64Array; rng: Rng } {
  const rng = new Rng(seed);
  return { start: normalVector(rng, dim), rng };
}

/** The Ritz pairs `indices` (into T's ascending eigenvalues `eig`) of a decomposition: values, residuals, vectors if asked. */
export function ritzPairs(
  dec: LanczosDecomposition,
  eig: TridiagonalEigen,
  indices: readonly number[],
  returnVectors = false,
): { values: number[]; ritzResiduals: number[]; vectors?: Float64Array[] } {
  const m = dec.alpha.length;
  const out: { values: number[]; ritzResiduals: number[]; vectors?: Float64Array[] } = {
    values: indices.map((i) => eig.values[i]!),
    ritzResiduals: indices.map((i) => Math.abs(dec.betaLast * eig.vectors[i]![m - 1]!)),
  };
  if (returnVectors) {
    const n = dec.basis[0]!.length;
    out.vectors = indices.map((i) => {
      const s = eig.vectors[i]!;
      const x = new Float64Array(n);
      for (let j = 0; j < m; j++) axpy(s[j]!, dec.basis[j]!, x);
      return x;
    });
  }
  return out;
}

/** The extreme Ritz values (and vectors) of a decomposition, as `lanczos` returns them. */
export function extremeRitzPairs(dec: LanczosDecomposition, opts: Pick<LanczosOptions, 'k' | 'which' | 'returnVectors'>): LanczosResult {
  const eig = tridiagonalEigen(dec.alpha, dec.beta);
  const idx = indicesFor(opts.which, opts.k, dec.alpha.length);
  return { ...ritzPairs(dec, eig, idx, opts.returnVectors), steps: dec.alpha.length, restarts: dec.restarts };
}
