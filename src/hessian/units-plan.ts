// The units of work of the Hessian analyses and the data they read, from the settings alone (never from which
// analyses are asked for, nor from which process computes them): the max-eigenvalue spectrum is one unit per
// mini-batch; the averaged-Hessian spectrum is, per disjoint data subset, one Lanczos unit, one unit per SLQ run
// (but run 0 when the Lanczos unit is that run) and one Hutchinson probe set. Batch positions index one seeded epoch
// of the pool (src/data/batches.ts), so a unit draws only its own batches. The experiment, the notebooks and the
// time estimate all use this plan.
import type { HessianSettings } from './protocol.ts';

export type HessianUnitKind = 'timing' | 'maxeig-batch' | 'spectrum-lanczos' | 'spectrum-slq' | 'spectrum-trace';

/**
 * Whether the Lanczos run of the extreme eigenvalues is also SLQ run 0: with as many steps as an SLQ run it starts
 * from run 0's Rademacher vector, and its quadrature is that run's, bit for bit — one Krylov space instead of two.
 */
export function lanczosShareSlq(s: Pick<HessianSettings, 'lanczosSteps' | 'slqSteps' | 'slqRuns'>): boolean {
  return s.slqRuns >= 1 && s.lanczosSteps === s.slqSteps;
}

/** Which batches of the pool's epoch serve which analysis. */
export interface HessianDataLayout {
  /** Images in the seeded class-balanced pool. */
  poolSize: number;
  /** Whole batches the pool gives (positions 0 .. available-1). */
  available: number;
  /** Batches of the max-eigenvalue spectrum: positions 0 .. maxeigBatches-1. */
  maxeigBatches: number;
  /** The averaged-Hessian spectrum's disjoint subsets, each a list of batch positions after the max-eigenvalue batches. */
  subsets: number[][];
}

/** One unit of one model: its kind, the batches it reads and its Hessian-vector products (single-batch products; an upper bound for the max-eigenvalue solver). */
export interface HessianUnitSpec {
  kind: HessianUnitKind;
  /** maxeig-batch: the batch position; spectrum-*: the subset; timing: 0. */
  position: number;
  /** spectrum-slq: the run within the subset. */
  run?: number;
  batches: number[];
  products: number;
}

/**
 * The data layout: with fraction > 0 the pool is that share of the training set and the max-eigenvalue spectrum
 * gets `batches` batches of it (0: every batch the spectrum subsets leave); with fraction 0 the pool holds just the
 * batches needed. Throws a message naming the settings when the pool is too small.
 */
export function hessianDataLayout(s: Pick<HessianSettings, 'fraction' | 'batches' | 'batchSize' | 'subsets' | 'subsetBatches'>, trainCount: number): HessianDataLayout {
  const spectrumBatches = s.subsets * s.subsetBatches;
  const poolSize = s.fraction > 0 ? Math.max(s.batchSize, Math.round(s.fraction * trainCount)) : Math.min(trainCount, (s.batches + spectrumBatches) * s.batchSize);
  const available = Math.floor(poolSize / s.batchSize);
  const maxeigBatches = s.fraction > 0 && s.batches === 0 ? available - spectrumBatches : s.batches;
  if (maxeigBatches < 0)
    throw new Error(
      `hessian: options '--subsets' ${s.subsets} × '--subset-batches' ${s.subsetBatches} need ${spectrumBatches} batches of ${s.batchSize}, ` +
        `the pool of ${poolSize} images (fraction ${s.fraction} of ${trainCount}) gives ${available}; expected fewer batches or a larger fraction`,
    );
  const subsets = Array.from({ length: s.subsets }, (_, i) => Array.from({ length: s.subsetBatches }, (_, j) => maxeigBatches + i * s.subsetBatches + j));
  return { poolSize, available, maxeigBatches, subsets };
}

/** Throws a message naming the settings when an asked analysis reads batches the pool does not have. */
export function checkHessianLayout(layout: HessianDataLayout, s: Pick<HessianSettings, 'batches' | 'batchSize' | 'fraction'>, analyses: ReadonlySet<string>): void {
  const last = analyses.has('spectrum') ? Math.max(layout.maxeigBatches, ...layout.subsets.flat().map((b) => b + 1)) : analyses.has('maxeig') || analyses.has('timing') ? Math.max(1, layout.maxeigBatches) : 0;
  if (last > layout.available)
    throw new Error(
      `hessian: the asked analyses (${[...analyses].join(', ')}) read ${last} batches of ${s.batchSize}, the pool of ${layout.poolSize} images gives ${layout.available} ` +
        `(option '--batches' ${s.batches}, '--fraction' ${s.fraction}); expected fewer batches or subsets, or more data`,
    );
}

/** The units of one model, in their fixed order: timing, max-eigenvalue batches, then per subset Lanczos, SLQ runs, trace. */
export function hessianModelUnits(s: HessianSettings, layout: HessianDataLayout, analyses: ReadonlySet<'maxeig' | 'spectrum' | 'timing'>): HessianUnitSpec[] {
  const out: HessianUnitSpec[] = [];
  // timing: a warm-up and 3 repeats of a product (plus as many training steps, about a third of a product each)
  if (analyses.has('timing')) out.push({ kind: 'timing', position: 0, batches: [0], products: 6 });
  if (analyses.has('maxeig'))
    for (let b = 0; b < layout.maxeigBatches; b++) out.push({ kind: 'maxeig-batch', position: b, batches: [b], products: s.k * s.maxIter });
  if (analyses.has('spectrum'))
    layout.subsets.forEach((batches, i) => {
      const n = batches.length;
      out.push({ kind: 'spectrum-lanczos', position: i, batches, products: s.lanczosSteps * n });
      // run 0 comes with the Lanczos unit when they share a Krylov space (lanczosShareSlq)
      for (let r = lanczosShareSlq(s) ? 1 : 0; r < s.slqRuns; r++) out.push({ kind: 'spectrum-slq', position: i, run: r, batches, products: s.slqSteps * n });
      out.push({ kind: 'spectrum-trace', position: i, batches, products: s.traceSamples * n });
    });
  return out;
}
