// Summary statistics for error bars: mean with a t-based confidence interval over independent
// replicates (disjoint data subsets, probe vectors), and the Student-t quantile it needs.

export interface MeanCI {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); NaN for n = 1. */
  sd: number;
  /** sd / sqrt(n). */
  stderr: number;
  level: number;
  /** Half-width t_{(1+level)/2, n-1} · stderr; NaN for n = 1. */
  halfWidth: number;
  lower: number;
  upper: number;
}

/** Sample mean and unbiased (n - 1) variance; the variance is NaN for fewer than two values, the mean for none. */
export function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, variance };
}

export function meanCI(values: readonly number[], level = 0.95): MeanCI {
  const n = values.length;
  if (n === 0) throw new Error('meanCI: no values');
  if (!(level > 0 && level < 1)) throw new Error(`meanCI: level must be in (0, 1), got ${level}`);
  const { mean, variance } = meanAndVariance(values);
  const sd = Math.sqrt(variance);
  const stderr = sd / Math.sqrt(n);
  const halfWidth = n > 1 ? studentTQuantile((1 + level) / 2, n - 1) * stderr : NaN;
  return { n, mean, sd, stderr, level, halfWidth, lower: mean - halfWidth, upper: mean + halfWidth };
}

/** Elementwise meanCI of equally long series (e.g. densities on a shared grid, one per replicate). */
export function pointwiseCI(series: readonly (readonly number[])[], level = 0.95): { mean: number[]; lower: number[]; upper: number[] } {
  if (series.length === 0) throw new Error('pointwiseCI: no series');
  const len = series[0]!.length;
  for (const s of series) if (s.length !== len) throw new Error(`pointwiseCI: series lengths differ (${s.length} vs ${len})`);
  const mean: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (let i = 0; i < len; i++) {
    const ci = meanCI(series.map((s) => s[i]!), level);
    mean.push(ci.mean);
    lower.push(ci.lower);
    upper.push(ci.upper);
  }
  return { mean, lower, upper };
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~1e-15 relative). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  f = d;
  for (let m = 1; m <= 500; m++) {
    // even step
    let num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    // odd step
    num = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return (front * f) / a;
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF, to ~1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: df must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
