// Cost of a Hessian-vector product against one training step (forward + backward) on the same batch.
import type { Model } from '../models/model.ts';
import { Rng, normalVector } from '../util/random.ts';
import { makeTrainStep } from '../train/step.ts';
import { modelHessianOperator, type HessianBatch } from './model-operator.ts';

export interface StepTiming {
  /**
   * Median ms of value-and-gradient of all parameters in training mode and their norm (src/train/step.ts without
   * an optimizer: what a training step costs before the update). Its forward passes leave BatchNorm's running
   * statistics alone (ForwardOptions.updateStats).
   */
  trainStepMs: number;
  /** Median ms of one exact Hessian-vector product (all selected parameters, evaluation mode). */
  hvpMs: number;
  /** Median over the repeats of product time / step time, each pair measured back to back. */
  ratio: number;
  repeats: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : 0.5 * (s[s.length / 2 - 1]! + s[s.length / 2]!);
}

export async function timeHvpVsStep(model: Model, batch: HessianBatch, opts: { names?: readonly string[]; repeats?: number; seed?: number } = {}): Promise<StepTiming> {
  const repeats = opts.repeats ?? 3;
  const valueAndGradient = makeTrainStep(model, null);
  const step = async (): Promise<void> => {
    // the norm read depends on every gradient, so the step has finished on an asynchronous device too
    await valueAndGradient(batch, { lr: 0, seed: 1, updateStats: false });
  };
  const op = modelHessianOperator(model, [batch], { names: opts.names });
  const v = normalVector(new Rng(opts.seed ?? 0), op.dim);
  // one output vector for all products, as power iteration uses the operator
  const out = new Float64Array(op.dim);
  const hvp = async (): Promise<void> => {
    await op.matvec(v, out);
  };
  const time = async (f: () => Promise<void>): Promise<number> => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  await step(); // warm-up
  await hvp();
  // Pairs, step then product, back to back: a shared machine's speed drifts within minutes, and a ratio of two
  // medians taken minutes apart carried that drift; the median of the pairs' ratios does not.
  const steps: number[] = [];
  const hvps: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const s = await time(step);
    const h = await time(hvp);
    steps.push(s);
    hvps.push(h);
    ratios.push(h / s);
  }
  op.dispose();
  return { trainStepMs: median(steps), hvpMs: median(hvps), ratio: median(ratios), repeats };
}

/**
 * Seconds of one exact Hessian-vector product on `batch` (the selected parameters, the analysis's L2 term): the
 * median of `repeats` products after one warm-up (which also records the batch's graph). For a run's time estimate.
 */
export async function secondsPerProduct(model: Model, batch: HessianBatch, opts: { names?: readonly string[]; l2?: number; repeats?: number; seed?: number } = {}): Promise<number> {
  const op = modelHessianOperator(model, [batch], { names: opts.names, l2: opts.l2 });
  try {
    const v = normalVector(new Rng(opts.seed ?? 0), op.dim);
    const out = new Float64Array(op.dim);
    await op.matvec(v, out);
    const times: number[] = [];
    for (let i = 0; i < Math.max(1, opts.repeats ?? 2); i++) {
      const t0 = performance.now();
      await op.matvec(v, out);
      times.push((performance.now() - t0) / 1000);
    }
    return median(times);
  } finally {
    op.dispose();
  }
}
