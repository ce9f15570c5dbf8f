// The project's one Gaussian kernel density estimate (hessian.json's curves, which the max-eigenvalue figure
// draws, and every other density; figures never estimate densities themselves).
// Bandwidth: Silverman's rule of thumb, h = 0.9 · min(sd, IQR / 1.349) · n^(-1/5) — robust to the heavy
// right tail of Hessian eigenvalues; falls back to sd, then to 1e-3 · max|x|, then 1, when the spread is zero.
import { meanAndVariance } from './stats.ts';

export function silvermanBandwidth(samples: readonly number[]): number {
  const n = samples.length;
  if (n === 0) throw new Error('silvermanBandwidth: no samples');
  const sd = n > 1 ? Math.sqrt(meanAndVariance(samples).variance) : 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  let spread = Math.min(sd, iqr / 1.349);
  if (!(spread > 0)) spread = sd;
  if (!(spread > 0)) spread = 1e-3 * Math.max(...samples.map(Math.abs));
  if (!(spread > 0)) spread = 1;
  return 0.9 * spread * Math.pow(n, -0.2);
}

/** Linear-interpolated quantile of ascending data (type 7, as numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('quantileSorted: no data');
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface KdeResult {
  grid: number[];
  density: number[];
  bandwidth: number;
}

/** Density of `samples` on `grid` (integrates to 1 over the real line). */
export function gaussianKde(samples: readonly number[], grid: readonly number[], bandwidth?: number): KdeResult {
  if (samples.length === 0) throw new Error('gaussianKde: no samples');
  const h = bandwidth ?? silvermanBandwidth(samples);
  if (!(h > 0)) throw new Error(`gaussianKde: bandwidth must be > 0, got ${h}`);
  const c = 1 / (samples.length * h * Math.sqrt(2 * Math.PI));
  const density = grid.map((t) => {
    let s = 0;
    for (const x of samples) {
      const z = (t - x) / h;
      s += Math.exp(-0.5 * z * z);
    }
    return c * s;
  });
  return { grid: [...grid], density, bandwidth: h };
}

/** n evenly spaced points from lo to hi. */
export function linspace(lo: number, hi: number, n: number): number[] {
  if (n < 2) return [lo];
  // Exact endpoints; interior points stay within [lo, hi] despite rounding.
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : Math.min(Math.max(lo + ((hi - lo) * i) / (n - 1), Math.min(lo, hi)), Math.max(lo, hi))));
}

export interface SideKde extends KdeResult {
  /** Eigenvalues on this side and their share of all finite ones (the density is scaled by it). */
  count: number;
  share: number;
}

/**
 * One panel of the max-eigenvalue spectrum: the KDE of the eigenvalues on one side of 0 (negative: < 0,
 * positive: >= 0) with that side's own Silverman bandwidth, on a grid from the data (± 3 bandwidths) to 0,
 * scaled by the side's share so that both panels together integrate to about 1. Null when the side is empty.
 */
export function sideKde(eigenvalues: readonly number[], side: 'negative' | 'positive', points = 240): SideKde | null {
  const finite = eigenvalues.filter((v) => Number.isFinite(v));
  const vals = finite.filter((v) => (side === 'negative' ? v < 0 : v >= 0));
  if (vals.length === 0) return null;
  const h = silvermanBandwidth(vals);
  const lo = side === 'negative' ? Math.min(...vals) - 3 * h : 0;
  const hi = side === 'negative' ? 0 : Math.max(...vals) + 3 * h;
  const share = vals.length / finite.length;
  const k = gaussianKde(vals, linspace(lo, hi, points), h);
  return { ...k, density: k.density.map((d) => d * share), count: vals.length, share };
}

/** Silverman's bandwidth of the finite values (1 when there are none). */
export function finiteSilvermanBandwidth(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? silvermanBandwidth(finite) : 1;
}

/**
 * Density of the finite `values` on `points` grid points spanning [lo, hi] (default: the data range padded by 3
 * bandwidths); it integrates to 1 over the real line. Empty arrays when no value is finite.
 */
export function kdeOfValues(
  values: readonly number[],
  opts: { points?: number; lo?: number; hi?: number; bandwidth?: number } = {},
): { x: number[]; density: number[]; bandwidth: number } {
  const finite = values.filter(Number.isFinite);
  const h = opts.bandwidth ?? finiteSilvermanBandwidth(finite);
  if (finite.length === 0) return { x: [], density: [], bandwidth: h };
  const lo = opts.lo ?? Math.min(...finite) - 3 * h;
  const hi = opts.hi ?? Math.max(...finite) + 3 * h;
  const k = gaussianKde(finite, linspace(lo, hi, opts.points ?? 200), h);
  return { x: k.grid, density: k.density, bandwidth: h };
}
