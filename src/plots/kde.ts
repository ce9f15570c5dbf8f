// Gaussian kernel density estimate for the max-eigenvalue spectra (the paper plots them as densities).

/** Silverman's rule-of-thumb bandwidth; positive even for one or identical samples. */
export function silvermanBandwidth(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 1;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (n - 1) * p, lo = Math.floor(i), hi = Math.ceil(i);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
  };
  const iqr = q(0.75) - q(0.25);
  let spread = Math.min(sd, iqr / 1.349);
  if (!(spread > 0)) spread = sd > 0 ? sd : iqr > 0 ? iqr / 1.349 : 0;
  const h = 0.9 * spread * Math.pow(n, -0.2);
  if (h > 0 && Number.isFinite(h)) return h;
  const scale = Math.max(...values.map(Math.abs));
  return scale > 0 ? scale * 0.05 : 1e-3;
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
  const points = opts.points ?? 200;
  if (finite.length === 0) return { x: [], density: [], bandwidth: h };
  const lo = opts.lo ?? Math.min(...finite) - 3 * h;
  const hi = opts.hi ?? Math.max(...finite) + 3 * h;
  const x: number[] = [];
  const density: number[] = [];
  const norm = 1 / (finite.length * h * Math.sqrt(2 * Math.PI));
  for (let i = 0; i < points; i++) {
    const xi = points === 1 ? lo : lo + ((hi - lo) * i) / (points - 1);
    let s = 0;
    for (const v of finite) s += Math.exp(-0.5 * ((xi - v) / h) ** 2);
    x.push(xi);
    density.push(s * norm);
  }
  return { x, density, bandwidth: h };
}
