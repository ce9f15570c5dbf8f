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
    await f(); // warm-up
    const ts: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await f();
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  const trainStepMs = await time(step);
  const hvpMs = await time(hvp);
  return { trainStepMs, hvpMs, ratio: hvpMs / trainStepMs, repeats };
}
