// Learning-rate schedules, evaluated per iteration (step 0 is the first update).
// 'cosine': linear warm-up to the base rate, then cosine decay towards `minLr` over the remaining steps (the paper's recipe).
// 'step':   linear warm-up, then base * gamma^(number of milestones reached), milestones in epochs (the weak recipe).
// 'constant': linear warm-up, then the base rate.

export type ScheduleName = 'cosine' | 'step' | 'constant';

export interface ScheduleConfig {
  name: ScheduleName;
  baseLr: number;
  /** Total number of optimisation steps (epochs * steps per epoch). */
  totalSteps: number;
  stepsPerEpoch: number;
  /** Warm-up length in steps (0: none). */
  warmupSteps: number;
  /** Rate at the start of warm-up (the first step uses warmupStartLr + (base - warmupStartLr) / warmupSteps). */
  warmupStartLr?: number;
  /** Cosine: final rate (default 0). */
  minLr?: number;
  /** Step: epochs at which the rate is multiplied by gamma. */
  milestones?: readonly number[];
  gamma?: number;
}

export function checkSchedule(c: ScheduleConfig): void {
  const bad = (field: string, found: unknown, expected: string): never => {
    throw new Error(`schedule: '${field}' is ${JSON.stringify(found)}, expected ${expected}`);
  };
  if (!(c.baseLr >= 0)) bad('baseLr', c.baseLr, 'a number >= 0');
  if (!Number.isInteger(c.totalSteps) || c.totalSteps < 1) bad('totalSteps', c.totalSteps, 'an integer >= 1');
  if (!Number.isInteger(c.stepsPerEpoch) || c.stepsPerEpoch < 1) bad('stepsPerEpoch', c.stepsPerEpoch, 'an integer >= 1');
  if (!Number.isInteger(c.warmupSteps) || c.warmupSteps < 0) bad('warmupSteps', c.warmupSteps, 'an integer >= 0');
  if (c.name === 'step' && (c.gamma === undefined || !(c.gamma > 0))) bad('gamma', c.gamma, 'a number > 0 for the step schedule');
}

/** The learning rate used by update number `step` (0-based). */
export function learningRateAt(c: ScheduleConfig, step: number): number {
  const base = c.baseLr;
  if (step < c.warmupSteps) {
    const start = c.warmupStartLr ?? 0;
    return start + ((base - start) * (step + 1)) / c.warmupSteps;
  }
  switch (c.name) {
    case 'constant':
      return base;
    case 'cosine': {
      const min = c.minLr ?? 0;
      const span = c.totalSteps - c.warmupSteps;
      if (span <= 0) return base;
      // PyTorch's CosineAnnealingLR with T_max = the post-warm-up steps: `minLr` would be reached one step after the last.
      const progress = Math.min(1, (step - c.warmupSteps) / span);
      return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * progress));
    }
    case 'step': {
      const epoch = Math.floor(step / c.stepsPerEpoch);
      const reached = (c.milestones ?? []).filter((m) => epoch >= m).length;
      return base * Math.pow(c.gamma ?? 0.1, reached);
    }
  }
}

/** Rates of every step, for plots and tests. */
export function scheduleCurve(c: ScheduleConfig): number[] {
  checkSchedule(c);
  return Array.from({ length: c.totalSteps }, (_, i) => learningRateAt(c, i));
}
