// Hutchinson's trace estimator with Rademacher probes: tr(A) = E[vᵀAv].
import { Rng, rademacherVector } from '../util/random.ts';
import type { LinearOperator } from './linear-operator.ts';
import { checkMatvecResult, dot } from './vector.ts';
import { meanAndVariance } from '../util/stats.ts';

export interface TraceOptions {
  samples: number;
  seed: number;
  onSample?: (sample: number, samples: number, value: number) => void;
}

export interface TraceResult {
  mean: number;
  /** Standard error of the mean (sample standard deviation / sqrt(samples)); NaN for one sample. */
  stderr: number;
  /** vᵀAv of every probe. */
  values: number[];
}

export async function hutchinsonTrace(op: LinearOperator, opts: TraceOptions): Promise<TraceResult> {
  if (!(opts.samples >= 1)) throw new Error(`hutchinsonTrace: samples must be >= 1, got ${opts.samples}`);
  const rng = new Rng(opts.seed);
  const values: number[] = [];
  for (let i = 0; i < opts.samples; i++) {
    const v = rademacherVector(rng, op.dim);
    const av = checkMatvecResult(await op.matvec(v), op.dim, 'hutchinsonTrace');
    values.push(dot(v, av));
    opts.onSample?.(i + 1, opts.samples, values[i]!);
  }
  const { mean, variance } = meanAndVariance(values);
  return { mean, stderr: Math.sqrt(variance / values.length), values };
}
