// Cost of a Hessian-vector product against one training step (forward + backward) on the same batch.
import { tf } from '../backend/tf.ts';
import type { Model } from '../models/model.ts';
import { Rng, normalVector } from '../util/random.ts';
import { labelOrSoftCrossEntropy } from '../train/losses.ts';
import { modelHessianOperator, type HessianBatch } from './model-operator.ts';

export interface StepTiming {
  /**
   * Median ms of value-and-gradient of all parameters in training mode (what a training step costs before the
   * optimizer). Its forward passes leave BatchNorm's running statistics alone (ForwardOptions.updateStats).
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
  const vars = model.paramInfo.map((p) => model.params.get(p.name)!);
  const step = async (): Promise<void> => {
    const r = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => labelOrSoftCrossEntropy(model.forward(batch.x, { training: true, updateStats: false, seed: 1 }), batch.y), vars);
      return [value, ...Object.values(grads)];
    });
    await Promise.all(r.map((t) => t.data()));
    tf.dispose(r);
  };
  const op = modelHessianOperator(model, [batch], { names: opts.names });
  const v = normalVector(new Rng(opts.seed ?? 0), op.dim);
  const hvp = async (): Promise<void> => {
    await op.matvec(v);
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
