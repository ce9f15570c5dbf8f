// Classification metrics over an epoch: NLL, top-1 and top-5 accuracy and ECE, accumulated from logits.
import { CalibrationBins, ECE_BINS } from './calibration.ts';

export interface SplitMetrics {
  nll: number;
  acc: number;
  top5: number;
  ece: number;
  count: number;
}

export interface AccumulatorState {
  n: number;
  nllSum: number;
  correct1: number;
  correct5: number;
  calibration: ReturnType<CalibrationBins['toJSON']>;
}

/** Accumulates per-example statistics from logits [B, K] (row-major) and integer labels. */
export class MetricAccumulator {
  n = 0;
  nllSum = 0;
  correct1 = 0;
  correct5 = 0;
  calibration = new CalibrationBins(ECE_BINS);

  /**
   * Adds a batch. `nll` overrides the per-batch NLL sum (training passes its loss × B, the cross-entropy
   * against the mixed/smoothed targets); otherwise the NLL of `labels` is computed from the logits.
   */
  add(logits: Float32Array, labels: ArrayLike<number>, numClasses: number, nllSum?: number): void {
    const b = labels.length;
    if (logits.length !== b * numClasses) throw new Error(`metrics: ${logits.length} logits for ${b} labels of ${numClasses} classes`);
    let batchNll = 0;
    for (let i = 0; i < b; i++) {
      const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
      let max = -Infinity;
      let arg = 0;
      for (let k = 0; k < numClasses; k++) if (row[k]! > max) ((max = row[k]!), (arg = k));
      let sum = 0;
      for (let k = 0; k < numClasses; k++) sum += Math.exp(row[k]! - max);
      const label = labels[i]!;
      const lse = max + Math.log(sum);
      batchNll += lse - row[label]!;
      // top-5: the label is among the 5 largest (ties counted in the label's favour).
      const target = row[label]!;
      let above = 0;
      for (let k = 0; k < numClasses; k++) if (row[k]! > target) above++;
      if (arg === label) this.correct1++;
      if (above < 5) this.correct5++;
      this.calibration.add(1 / sum, arg === label);
    }
    this.nllSum += nllSum ?? batchNll;
    this.n += b;
  }

  result(): SplitMetrics {
    const n = this.n;
    return { nll: n ? this.nllSum / n : NaN, acc: n ? this.correct1 / n : NaN, top5: n ? this.correct5 / n : NaN, ece: this.calibration.ece(), count: n };
  }

  toJSON(): AccumulatorState {
    return { n: this.n, nllSum: this.nllSum, correct1: this.correct1, correct5: this.correct5, calibration: this.calibration.toJSON() };
  }

  static fromJSON(s: AccumulatorState): MetricAccumulator {
    const a = new MetricAccumulator();
    a.n = s.n;
    a.nllSum = s.nllSum;
    a.correct1 = s.correct1;
    a.correct5 = s.correct5;
    a.calibration = CalibrationBins.fromJSON(s.calibration);
    return a;
  }
}
