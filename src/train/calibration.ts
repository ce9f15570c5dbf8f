// Expected calibration error (Guo et al. 2017): confidences (max softmax probability) fall into `bins`
// equal-width bins (lo, hi] of [0, 1]; ECE = Σ_b (n_b / N) · |accuracy_b − mean confidence_b|.

export const ECE_BINS = 15;

export function binIndex(confidence: number, bins: number): number {
  const i = Math.ceil(confidence * bins) - 1;
  return i < 0 ? 0 : i >= bins ? bins - 1 : i;
}

/** Accumulates (confidence, correct) pairs over batches. */
export class CalibrationBins {
  readonly count: Float64Array;
  readonly confidence: Float64Array;
  readonly correct: Float64Array;

  constructor(readonly bins = ECE_BINS) {
    this.count = new Float64Array(bins);
    this.confidence = new Float64Array(bins);
    this.correct = new Float64Array(bins);
  }

  add(confidence: number, correct: boolean): void {
    const b = binIndex(confidence, this.bins);
    this.count[b]!++;
    this.confidence[b]! += confidence;
    if (correct) this.correct[b]!++;
  }

  ece(): number {
    let n = 0;
    for (const c of this.count) n += c;
    if (n === 0) return NaN;
    let e = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = this.count[b]!;
      if (c === 0) continue;
      e += (c / n) * Math.abs(this.correct[b]! / c - this.confidence[b]! / c);
    }
    return e;
  }

  toJSON(): { bins: number; count: number[]; confidence: number[]; correct: number[] } {
    return { bins: this.bins, count: [...this.count], confidence: [...this.confidence], correct: [...this.correct] };
  }

  static fromJSON(j: { bins: number; count: number[]; confidence: number[]; correct: number[] }): CalibrationBins {
    const c = new CalibrationBins(j.bins);
    c.count.set(j.count);
    c.confidence.set(j.confidence);
    c.correct.set(j.correct);
    return c;
  }
}

export function expectedCalibrationError(confidences: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins = ECE_BINS): number {
  if (confidences.length !== correct.length) throw new Error(`ECE: ${confidences.length} confidences but ${correct.length} correctness flags`);
  const acc = new CalibrationBins(bins);
  for (let i = 0; i < confidences.length; i++) acc.add(confidences[i]!, Boolean(correct[i]));
  return acc.ece();
}
