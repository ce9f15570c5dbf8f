// The paper's Hessian analyses on a model: (1) the "Hessian max eigenvalue spectrum" — top-k
// eigenvalues by magnitude of each of many small mini-batches (PyHessian power iteration, or Lanczos), pooled,
// summarised by NEP (share of negative eigenvalues) and APE (mean positive eigenvalue); (2) the
// spectrum of the Hessian averaged over a set of batches: top/bottom eigenvalues (Lanczos), the
// spectral density (SLQ) and the trace (Hutchinson). Every number comes with its spread over
// disjoint data subsets (mean and t-based 95% confidence interval).
import * as os from 'node:os';
import type { Model } from '../models/model.ts';
import { linspace, sideKde, type SideKde } from '../util/kde.ts';
import { extremeRitzPairs, gaussianStart, lanczosDecomposition } from './lanczos.ts';
import { lanczosTopByMagnitude } from './lanczos-magnitude.ts';
import { modelHessianOperator, type HessianBatch, type HessianOperator } from './model-operator.ts';
import { POWER_DEFAULTS, powerIteration } from './power.ts';
import { densityOnGrid, slqDensity, slqQuadrature, slqRunStart, type SlqRun } from './slq.ts';
import { meanCI, pointwiseCI, type MeanCI } from '../util/stats.ts';
import { hutchinsonTrace, type TraceResult } from './trace.ts';
import { lanczosShareSlq } from './units-plan.ts';

export interface CommonOptions {
  /** Parameter names (default all). */
  names?: readonly string[];
  /** L2 coefficient c of (c/2)||θ||² (adds c to every eigenvalue of the selected block). */
  l2?: number;
  labelSmoothing?: number;
  seed: number;
  /** Progress: called after every Hessian-vector product. */
  onProduct?: (info: { stage: string; count: number; ms: number }) => void;
}

// ---------------------------------------------------------------- max-eigenvalue spectrum

export interface MaxEigenOptions extends CommonOptions {
  /** Eigenvalues per mini-batch (default 5). */
  k?: number;
  tol?: number;
  maxIter?: number;
  /** Disjoint groups of batches for the error bars of NEP and APE (default min(5, batches)). */
  groups?: number;
  /**
   * 'power' (default): power iteration with deflation, up to maxIter products per eigenvalue. 'lanczos': Lanczos
   * until the k Ritz values of largest magnitude settle to tol, up to k · maxIter products (lanczos-magnitude.ts).
   */
  eigensolver?: MaxEigenSolver;
  /**
   * Lanczos keeps every basis vector (8 bytes a parameter each): its steps are also capped so that the basis fits
   * this many bytes (default: a sixth of memory, at most 4 GiB — vit-ti's 5.4M parameters: 99 vectors on 24 GB).
   */
  lanczosBasisBytes?: number;
  /** power.ts PowerOptions.variant: 'vitscope' (default) or PyHessian's hessian.eigenvalues step for step. */
  variant?: 'vitscope' | 'pyhessian';
  onBatch?: (batch: number, batches: number, values: number[]) => void;
}

export type MaxEigenSolver = 'power' | 'lanczos';

export interface BatchEigen {
  values: number[];
  /** Products spent on each eigenvalue (power iteration); Lanczos: its steps, shared by all k. */
  iterations: number[];
  converged: boolean[];
  /** Lanczos: ||Hx − θx|| of each Ritz pair. */
  ritzResiduals?: number[];
  indices: number[];
  ms: number;
}

export interface MaxEigenSpectrum {
  /** Pooled eigenvalues of every batch. */
  eigenvalues: number[];
  perBatch: BatchEigen[];
  /** Share of negative eigenvalues. */
  nep: number;
  /** Mean of the positive eigenvalues (NaN if none). */
  ape: number;
  /** Spread over disjoint groups of batches. */
  nepCI: MeanCI;
  apeCI: MeanCI;
  maxCI: MeanCI;
  groups: number[][];
  /** The solver that produced the eigenvalues, and the power iteration's variant when it was power iteration. */
  eigensolver: MaxEigenSolver;
  variant: 'vitscope' | 'pyhessian';
  products: number;
  ms: number;
}

export function nepApe(values: readonly number[]): { nep: number; ape: number } {
  const pos = values.filter((v) => v > 0);
  return {
    nep: values.length === 0 ? NaN : values.filter((v) => v < 0).length / values.length,
    ape: pos.length === 0 ? NaN : pos.reduce((a, b) => a + b, 0) / pos.length,
  };
}

/** Splits 0..n-1 into g contiguous, disjoint, nearly equal groups. */
export function splitGroups(n: number, g: number): number[][] {
  const groups = Math.max(1, Math.min(g, n));
  const out: number[][] = [];
  for (let i = 0; i < groups; i++) {
    const lo = Math.floor((i * n) / groups);
    const hi = Math.floor(((i + 1) * n) / groups);
    out.push(Array.from({ length: hi - lo }, (_, j) => lo + j));
  }
  return out;
}

/** Settings of one max-eigenvalue unit (one mini-batch). */
export type MaxEigenUnitOptions = Omit<MaxEigenOptions, 'groups' | 'onBatch'>;

/**
 * One unit of the max-eigenvalue spectrum: the top-k eigenvalues of the Hessian of batch `position` (its place
 * among the spectrum's batches, which alone seeds the solver: any process computes the same unit).
 */
export async function maxEigenvalueUnit(model: Model, batch: HessianBatch, position: number, opts: MaxEigenUnitOptions & { batches?: number }): Promise<BatchEigen & { products: number }> {
  const tb = performance.now();
  const op = modelHessianOperator(model, [batch], {
    names: opts.names,
    l2: opts.l2,
    labelSmoothing: opts.labelSmoothing,
    onProduct: (count, ms) => opts.onProduct?.({ stage: `batch ${position + 1}${opts.batches ? `/${opts.batches}` : ''}`, count, ms }),
  });
  const k = Math.min(opts.k ?? 5, op.dim);
  const tol = opts.tol ?? POWER_DEFAULTS.tol;
  const maxIter = opts.maxIter ?? POWER_DEFAULTS.maxIter;
  const seed = opts.seed + 7919 * position;
  try {
    let found: Pick<BatchEigen, 'values' | 'iterations' | 'converged' | 'ritzResiduals'>;
    if (opts.eigensolver === 'lanczos') {
      const basisBytes = opts.lanczosBasisBytes ?? Math.min(4 * 2 ** 30, os.totalmem() / 6);
      const maxSteps = Math.max(k, Math.min(op.dim, k * maxIter, Math.floor(basisBytes / (8 * op.dim))));
      const lz = await lanczosTopByMagnitude(op, { k, tol, maxSteps, seed });
      found = { values: lz.values, iterations: lz.values.map(() => lz.steps), converged: lz.values.map(() => lz.converged), ritzResiduals: lz.ritzResiduals };
    } else {
      const res = await powerIteration(op, { k, tol, maxIter, seed, variant: opts.variant });
      found = { values: res.values, iterations: res.iterations, converged: res.converged };
    }
    return {
      ...found,
      indices: [...(batch.indices ?? [])],
      ms: performance.now() - tb,
      products: op.products,
    };
  } finally {
    op.dispose(); // its recorded graph: one batch's activations
  }
}

/** Pools the units of the max-eigenvalue spectrum, in batch order: NEP, APE and their spread over groups of batches. */
export function reduceMaxEigenvalueUnits(
  units: readonly (BatchEigen & { products?: number })[],
  opts: { groups?: number; eigensolver?: MaxEigenSolver; variant?: 'vitscope' | 'pyhessian' } = {},
): MaxEigenSpectrum {
  if (units.length === 0) throw new Error('reduceMaxEigenvalueUnits: no batches');
  const perBatch: BatchEigen[] = units.map((u) => ({
    values: u.values, iterations: u.iterations, converged: u.converged, ...(u.ritzResiduals ? { ritzResiduals: u.ritzResiduals } : {}), indices: u.indices, ms: u.ms,
  }));
  const eigenvalues = perBatch.flatMap((p) => p.values);
  const { nep, ape } = nepApe(eigenvalues);
  const groups = splitGroups(perBatch.length, opts.groups ?? 5);
  const stats = groups.map((g) => {
    const vals = g.flatMap((i) => perBatch[i]!.values);
    return { ...nepApe(vals), max: Math.max(...vals) };
  });
  const apes = stats.map((s) => s.ape).filter((x) => Number.isFinite(x));
  return {
    eigenvalues,
    perBatch,
    eigensolver: opts.eigensolver ?? 'power',
    variant: opts.variant ?? 'vitscope',
    nep,
    ape,
    nepCI: meanCI(stats.map((s) => s.nep)),
    apeCI: meanCI(apes.length > 0 ? apes : [NaN]),
    maxCI: meanCI(stats.map((s) => s.max)),
    groups,
    products: units.reduce((a, u) => a + (u.products ?? 0), 0),
    ms: perBatch.reduce((a, p) => a + p.ms, 0),
  };
}

/** Every batch's unit in turn, then the reduction (the same numbers as units computed anywhere and reduced). */
export async function maxEigenvalueSpectrum(model: Model, batches: readonly HessianBatch[], opts: MaxEigenOptions): Promise<MaxEigenSpectrum> {
  if (batches.length === 0) throw new Error('maxEigenvalueSpectrum: no batches');
  const units: (BatchEigen & { products: number })[] = [];
  for (let b = 0; b < batches.length; b++) {
    const unit = await maxEigenvalueUnit(model, batches[b]!, b, { ...opts, batches: batches.length });
    units.push(unit);
    opts.onBatch?.(b + 1, batches.length, unit.values);
  }
  return reduceMaxEigenvalueUnits(units, { groups: opts.groups, eigensolver: opts.eigensolver, variant: opts.variant });
}

/**
 * KDE of the pooled eigenvalues per sign (the paper's two panels, each with its own density scale): each
 * side's eigenvalues with that side's bandwidth, scaled by its share, exactly the curves of the figure
 * (src/util/kde.ts sideKde; src/plots/hessian.ts draws them).
 */
export function maxEigenvalueKde(eigenvalues: readonly number[], points = 240): { negative: SideKde | null; positive: SideKde | null } {
  return { negative: sideKde(eigenvalues, 'negative', points), positive: sideKde(eigenvalues, 'positive', points) };
}

// ---------------------------------------------------------------- averaged-Hessian spectrum

export interface SpectrumOptions extends CommonOptions {
  /** Extreme eigenvalues at each end (default 5). */
  k?: number;
  /** Lanczos steps for the extreme eigenvalues (default 30). */
  lanczosSteps?: number;
  /** SLQ: Lanczos steps per run and runs per subset (defaults 30, 2). */
  slqSteps?: number;
  slqRuns?: number;
  /** Hutchinson probes per subset (default 10). */
  traceSamples?: number;
  /** Density: grid points and Gaussian width (default 1% of the eigenvalue range). */
  gridPoints?: number;
  sigma?: number;
  onSubset?: (subset: number, subsets: number) => void;
}

export interface SubsetSpectrum {
  indices: number[];
  top: number[];
  bottom: number[];
  topResiduals: number[];
  bottomResiduals: number[];
  slq: SlqRun[];
  trace: TraceResult;
  products: number;
  ms: number;
}

export interface HessianSpectrum {
  dim: number;
  subsets: SubsetSpectrum[];
  /** Per rank: top[0] is the largest eigenvalue's mean and CI over subsets. */
  top: MeanCI[];
  /** Per rank: bottom[0] is the smallest eigenvalue's. */
  bottom: MeanCI[];
  trace: MeanCI;
  /** The trace of the NLL Hessian alone: trace - l2 · dim (the L2 term adds l2 to every eigenvalue). */
  traceWithoutL2: MeanCI;
  l2: number;
  density: { grid: number[]; sigma: number; mean: number[]; lower: number[]; upper: number[]; perSubset: number[][] };
  ms: number;
}

/** The Lanczos part of a subset: extreme eigenvalues at each end and their Ritz residuals. */
export interface LanczosPart {
  top: number[];
  bottom: number[];
  topResiduals: number[];
  bottomResiduals: number[];
  /** SLQ run 0's quadrature, when this run was SLQ run 0 (lanczosShareSlq). */
  slq?: SlqRun;
  dim: number;
  products: number;
  ms: number;
}

export interface SlqPart {
  run: number;
  slq: SlqRun;
  products: number;
  ms: number;
}

export interface TracePart {
  trace: TraceResult;
  products: number;
  ms: number;
}

/** The seed of subset s (its place among the disjoint subsets): Lanczos uses it, SLQ seed + 1, the trace seed + 2. */
export function subsetSeed(seed: number, subset: number): number {
  return seed + 104729 * subset;
}

/** The spectrum's Lanczos steps, SLQ steps and SLQ runs, with their defaults (30, 30, 2). */
function spectrumCounts(opts: Pick<SpectrumOptions, 'lanczosSteps' | 'slqSteps' | 'slqRuns'>): { lanczosSteps: number; slqSteps: number; slqRuns: number } {
  return { lanczosSteps: opts.lanczosSteps ?? 30, slqSteps: opts.slqSteps ?? 30, slqRuns: opts.slqRuns ?? 2 };
}

type SubsetUnitOptions = Omit<SpectrumOptions, 'onSubset' | 'gridPoints' | 'sigma'> & { subsets?: number };

async function withSubsetOperator<T>(model: Model, batches: readonly HessianBatch[], subset: number, stage: string, opts: SubsetUnitOptions, run: (op: HessianOperator) => Promise<T>): Promise<T & { products: number; ms: number }> {
  const ts = performance.now();
  const op = modelHessianOperator(model, batches, {
    names: opts.names,
    l2: opts.l2,
    labelSmoothing: opts.labelSmoothing,
    onProduct: (count, ms) => opts.onProduct?.({ stage: `subset ${subset + 1}${opts.subsets ? `/${opts.subsets}` : ''} ${stage}`, count, ms }),
  });
  try {
    const out = await run(op);
    return { ...out, products: op.products, ms: performance.now() - ts };
  } finally {
    op.dispose();
  }
}

/**
 * Unit: top-k and bottom-k eigenvalues (Lanczos) of the Hessian averaged over subset `subset`'s batches; with
 * lanczosShareSlq, from SLQ run 0's start, and that run's quadrature with them.
 */
export async function lanczosUnit(model: Model, batches: readonly HessianBatch[], subset: number, opts: SubsetUnitOptions): Promise<LanczosPart> {
  const k = opts.k ?? 5;
  const counts = spectrumCounts(opts);
  const shared = lanczosShareSlq(counts);
  return withSubsetOperator(model, batches, subset, 'lanczos', opts, async (op) => {
    const { start, rng } = shared ? slqRunStart(subsetSeed(opts.seed, subset) + 1, 0, op.dim) : gaussianStart(subsetSeed(opts.seed, subset), op.dim);
    const dec = await lanczosDecomposition(op, start, counts.lanczosSteps, rng);
    const lz = extremeRitzPairs(dec, { k, which: 'both' });
    const kk = Math.min(k, Math.floor(lz.values.length / 2) || 1);
    return {
      top: lz.values.slice(0, kk),
      bottom: lz.values.slice(-kk).reverse(),
      topResiduals: lz.ritzResiduals.slice(0, kk),
      bottomResiduals: lz.ritzResiduals.slice(-kk).reverse(),
      ...(shared ? { slq: slqQuadrature(dec) } : {}),
      dim: op.dim,
    };
  });
}

/** Unit: SLQ run `run` of subset `subset` (its random start depends only on the subset's seed and the run). */
export async function slqUnit(model: Model, batches: readonly HessianBatch[], subset: number, run: number, opts: SubsetUnitOptions): Promise<SlqPart> {
  return withSubsetOperator(model, batches, subset, 'slq', opts, async (op) => {
    const [slq] = await slqDensity(op, { steps: spectrumCounts(opts).slqSteps, runs: 1, firstRun: run, seed: subsetSeed(opts.seed, subset) + 1 });
    return { run, slq: slq! };
  });
}

/** Unit: the Hutchinson probe set of subset `subset`. */
export async function traceUnit(model: Model, batches: readonly HessianBatch[], subset: number, opts: SubsetUnitOptions): Promise<TracePart> {
  return withSubsetOperator(model, batches, subset, 'trace', opts, async (op) => ({
    trace: await hutchinsonTrace(op, { samples: opts.traceSamples ?? 10, seed: subsetSeed(opts.seed, subset) + 2 }),
  }));
}

/** One subset's units, in order: its Lanczos part, its SLQ units (run order) and its trace. */
export interface SubsetParts {
  indices: number[];
  lanczos: LanczosPart;
  slq: SlqPart[];
  trace: TracePart;
}

/** A subset's SLQ runs in run order: run 0 from its Lanczos part when that was run 0 (and no unit computed it), then the units'. */
function slqRunsOf(p: SubsetParts): SlqRun[] {
  const fromLanczos = p.lanczos.slq && !p.slq.some((r) => r.run === 0) ? [p.lanczos.slq] : [];
  return [...fromLanczos, ...[...p.slq].sort((a, b) => a.run - b.run).map((r) => r.slq)];
}

/** Reduces the subsets' units (in subset order): mean and 95% CI over subsets, the pointwise density band on a common grid. */
export function reduceSpectrumUnits(parts: readonly SubsetParts[], opts: { l2?: number; gridPoints?: number; sigma?: number } = {}): HessianSpectrum {
  if (parts.length === 0) throw new Error('reduceSpectrumUnits: no data subsets');
  const out: SubsetSpectrum[] = parts.map((p) => ({
    indices: p.indices,
    top: p.lanczos.top,
    bottom: p.lanczos.bottom,
    topResiduals: p.lanczos.topResiduals,
    bottomResiduals: p.lanczos.bottomResiduals,
    slq: slqRunsOf(p),
    trace: p.trace.trace,
    products: p.lanczos.products + p.slq.reduce((a, r) => a + r.products, 0) + p.trace.products,
    ms: p.lanczos.ms + p.slq.reduce((a, r) => a + r.ms, 0) + p.trace.ms,
  }));
  const dim = parts[0]!.lanczos.dim;
  const ranks = Math.min(...out.map((o) => o.top.length));
  const top = Array.from({ length: ranks }, (_, r) => meanCI(out.map((o) => o.top[r]!)));
  const bottom = Array.from({ length: ranks }, (_, r) => meanCI(out.map((o) => o.bottom[r]!)));
  const trace = meanCI(out.map((o) => o.trace.mean));
  let lo = Infinity;
  let hi = -Infinity;
  for (const o of out) for (const run of o.slq) for (const x of run.nodes) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  const sigma = opts.sigma ?? Math.max(1e-3 * Math.max(Math.abs(lo), Math.abs(hi), 1e-12), 0.01 * (hi - lo));
  const grid = linspace(lo - 5 * sigma, hi + 5 * sigma, opts.gridPoints ?? 400);
  const perSubset = out.map((o) => densityOnGrid(o.slq, { grid, sigma }));
  const band = out.length > 1 ? pointwiseCI(perSubset) : { mean: perSubset[0]!, lower: perSubset[0]!, upper: perSubset[0]! };
  const l2 = opts.l2 ?? 0;
  const traceWithoutL2 = meanCI(out.map((o) => o.trace.mean - l2 * dim));
  return { dim, subsets: out, top, bottom, trace, traceWithoutL2, l2, density: { grid, sigma, ...band, perSubset }, ms: out.reduce((a, o) => a + o.ms, 0) };
}

/**
 * For each disjoint data subset (a list of batches), the Hessian averaged over its batches: top-k and
 * bottom-k eigenvalues by Lanczos, SLQ nodes/weights and a Hutchinson trace (each a unit); then the reduction.
 */
export async function hessianSpectrum(model: Model, subsets: readonly (readonly HessianBatch[])[], opts: SpectrumOptions): Promise<HessianSpectrum> {
  if (subsets.length === 0) throw new Error('hessianSpectrum: no data subsets');
  const parts: SubsetParts[] = [];
  const unitOpts = { ...opts, subsets: subsets.length };
  for (let s = 0; s < subsets.length; s++) {
    const batches = subsets[s]!;
    const lz = await lanczosUnit(model, batches, s, unitOpts);
    const slq: SlqPart[] = [];
    const counts = spectrumCounts(opts);
    for (let r = lanczosShareSlq(counts) ? 1 : 0; r < counts.slqRuns; r++) slq.push(await slqUnit(model, batches, s, r, unitOpts));
    const trace = await traceUnit(model, batches, s, unitOpts);
    parts.push({ indices: batches.flatMap((b) => [...(b.indices ?? [])]), lanczos: lz, slq, trace });
    opts.onSubset?.(s + 1, subsets.length);
  }
  return reduceSpectrumUnits(parts, { l2: opts.l2, gridPoints: opts.gridPoints, sigma: opts.sigma });
}
