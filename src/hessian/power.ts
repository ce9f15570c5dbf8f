// Power iteration with deflation by orthogonalisation, as PyHessian computes the top eigenvalues:
// each new eigenvector is iterated in the orthogonal complement of those already found, so the
// result is the top-k eigenvalues by magnitude (negative ones included).
import { Rng, normalVector } from '../util/random.ts';
import type { LinearOperator } from './linear-operator.ts';
import { checkMatvecResult, dot, normalize, orthogonalize } from './vector.ts';

export interface PowerOptions {
  k: number;
  /** Maximum products per eigenvalue (default 100). */
  maxIter?: number;
  /** Relative change of the Rayleigh quotient that stops the iteration (default 1e-3). */
  tol?: number;
  seed: number;
  onStep?: (eigen: number, iter: number) => void;
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
  for (let e = 0; e < opts.k; e++) {
    let v = normalize(orthogonalize(normalVector(rng, op.dim), vectors));
    let value: number | null = null;
    let done = false;
    let it = 0;
    while (it < maxIter) {
      v = normalize(orthogonalize(v, vectors));
      const hv = checkMatvecResult(await op.matvec(v), op.dim, 'powerIteration');
      it++;
      opts.onStep?.(e, it);
      const rayleigh = dot(hv, v);
      const next = orthogonalize(Float64Array.from(hv), vectors);
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
      v = next.map((x) => x / nn);
    }
    values.push(value!);
    vectors.push(normalize(orthogonalize(v, vectors)));
    iterations.push(it);
    converged.push(done);
  }
  return { values, vectors, iterations, converged };
}
