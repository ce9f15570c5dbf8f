// Kernel density estimates for figures: the one implementation in src/hessian/kde.ts, with the grid
// taken from the data (padded by 3 bandwidths) unless given.
import { gaussianKde as kdeOnGrid, linspace, silvermanBandwidth as silverman } from '../hessian/kde.ts';

export { sideKde, type SideKde } from '../hessian/kde.ts';

/** Silverman's rule-of-thumb bandwidth of the finite values (1 when there are none). */
export function silvermanBandwidth(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? silverman(finite) : 1;
}

/**
 * Density of `values` on `points` grid points spanning [lo, hi] (default: the data range padded by 3 bandwidths).
 * The density integrates to 1 over the real line.
 */
export function gaussianKde(
  values: readonly number[],
  opts: { points?: number; lo?: number; hi?: number; bandwidth?: number } = {},
): { x: number[]; density: number[]; bandwidth: number } {
  const finite = values.filter(Number.isFinite);
  const h = opts.bandwidth ?? silvermanBandwidth(finite);
  if (finite.length === 0) return { x: [], density: [], bandwidth: h };
  const lo = opts.lo ?? Math.min(...finite) - 3 * h;
  const hi = opts.hi ?? Math.max(...finite) + 3 * h;
  const k = kdeOnGrid(finite, linspace(lo, hi, opts.points ?? 200), h);
  return { x: k.grid, density: k.density, bandwidth: h };
}
