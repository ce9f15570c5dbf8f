// Stochastic Lanczos quadrature (Ubaru, Chen & Saad 2017; Ghorbani et al. 2019; PyHessian's density):
// each run starts Lanczos from a normalised Rademacher vector u; the Ritz values θ_j are quadrature
// nodes and the squared first components of T's eigenvectors the weights, so that
// Σ_j w_j f(θ_j) ≈ uᵀ f(A) u, exactly for polynomials of degree < 2·steps. Averaged over runs,
// Σ_j w_j θ_j^p estimates tr(A^p) / dim.
import { Rng, rademacherVector } from '../util/random.ts';
import type { LinearOperator } from './linear-operator.ts';
import { lanczosDecomposition, type LanczosDecomposition } from './lanczos.ts';
import { tridiagonalEigen } from './tridiagonal.ts';

export interface SlqRun {
  nodes: number[];
  weights: number[];
}

export interface SlqOptions {
  steps: number;
  runs: number;
  seed: number;
  /** Skip the first runs (their random streams are drawn and discarded): run r alone is { runs: 1, firstRun: r }. */
  firstRun?: number;
  /** Called after every operator product (run is 0-based). */
  onStep?: (run: number, step: number, steps: number) => void;
}

/** The start of SLQ run `run` for a seed: its normalised-to-be Rademacher vector and the stream its Lanczos restarts draw from. */
export function slqRunStart(seed: number, run: number, dim: number): { start: Float64Array; rng: Rng } {
  if (!(Number.isInteger(run) && run >= 0)) throw new Error(`slqDensity: firstRun must be a non-negative integer, got ${run}`);
  const rng = new Rng(seed);
  for (let r = 0; r < run; r++) rng.fork();
  const runRng = rng.fork();
  return { start: rademacherVector(runRng, dim), rng: runRng };
}

/** The Gauss quadrature of a Lanczos decomposition: Ritz values as nodes, squared first eigenvector components as weights. */
export function slqQuadrature(dec: Pick<LanczosDecomposition, 'alpha' | 'beta'>): SlqRun {
  const eig = tridiagonalEigen(dec.alpha, dec.beta);
  const weights = eig.vectors.map((v) => v[0]! * v[0]!);
  const total = weights.reduce((a, b) => a + b, 0);
  return { nodes: eig.values, weights: weights.map((w) => w / total) };
}

export async function slqDensity(op: LinearOperator, opts: SlqOptions): Promise<SlqRun[]> {
  if (!(opts.runs >= 1)) throw new Error(`slqDensity: runs must be >= 1, got ${opts.runs}`);
  if (!(opts.steps >= 1)) throw new Error(`slqDensity: steps must be >= 1, got ${opts.steps}`);
  const first = opts.firstRun ?? 0;
  const out: SlqRun[] = [];
  for (let r = first; r < first + opts.runs; r++) {
    const { start, rng } = slqRunStart(opts.seed, r, op.dim);
    const dec = await lanczosDecomposition(op, start, opts.steps, rng, (s, n) => opts.onStep?.(r, s, n));
    out.push(slqQuadrature(dec));
  }
  return out;
}

export interface DensityOptions {
  grid: readonly number[];
  /** Standard deviation of the Gaussian that broadens every node. */
  sigma: number;
}

/**
 * Gaussian-broadened spectral density on a grid, averaged over runs: a probability density over
 * eigenvalues (integrates to 1 over the real line; multiply by dim for an eigenvalue count density).
 */
export function densityOnGrid(slq: readonly SlqRun[], opts: DensityOptions): number[] {
  if (slq.length === 0) throw new Error('densityOnGrid: no SLQ runs');
  if (!(opts.sigma > 0)) throw new Error(`densityOnGrid: sigma must be > 0, got ${opts.sigma}`);
  const c = 1 / (opts.sigma * Math.sqrt(2 * Math.PI));
  const inv2s2 = 1 / (2 * opts.sigma * opts.sigma);
  return opts.grid.map((t) => {
    let s = 0;
    for (const run of slq) {
      for (let j = 0; j < run.nodes.length; j++) {
        const d = t - run.nodes[j]!;
        s += run.weights[j]! * Math.exp(-d * d * inv2s2);
      }
    }
    return (c * s) / slq.length;
  });
}

/** Σ_j w_j θ_j^p averaged over runs: the SLQ estimate of tr(A^p) / dim. */
export function slqMoment(slq: readonly SlqRun[], p: number): number {
  let s = 0;
  for (const run of slq) for (let j = 0; j < run.nodes.length; j++) s += run.weights[j]! * run.nodes[j]! ** p;
  return s / slq.length;
}

/** A grid of n points covering every node with a margin of `pad` broadening widths on each side. */
export function densityGrid(slq: readonly SlqRun[], n: number, sigma: number, pad = 6): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const run of slq) for (const x of run.nodes) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  lo -= pad * sigma;
  hi += pad * sigma;
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}
