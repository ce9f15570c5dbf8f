// One training step as the trainer runs it (forward in training mode, cross-entropy, backward,
// AdamW update), timed on the current backend for a project model preset.
import { tf } from '../src/backend/tf.ts';
import { createModel } from '../src/models/index.ts';
import { AdamW } from '../src/train/adamw.ts';
import { crossEntropy } from '../src/train/losses.ts';
import { Rng } from '../src/util/random.ts';
import { timeIt } from './timing.ts';

export interface StepResult {
  params: number;
  stepSeconds: number;
}

export function parameterCount(preset: string): number {
  const model = createModel(preset, { seed: 0 });
  try {
    let n = 0;
    for (const p of model.params.values()) n += p.size;
    return n;
  } finally {
    model.dispose();
  }
}

export async function timeTrainStep(preset: string, batch: number, warmup: number, steps: number): Promise<StepResult> {
  const model = createModel(preset, { seed: 0 });
  const optimizer = new AdamW({ weightDecay: 0.05 });
  const rng = new Rng(1);
  const size = model.config.imageSize;
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: batch }, () => rng.nextUint32() % model.config.numClasses), 'int32');
  const names = [...model.params.keys()];
  const vars = names.map((n) => model.params.get(n)!);
  let params = 0;
  for (const v of vars) params += v.size;
  let seed = 0;
  const step = async () => {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.forward(x, { training: true, updateStats: true, seed: seed++ }), labels),
      vars,
    );
    const byName = new Map<string, tf.Tensor>();
    names.forEach((n, i) => byName.set(n, grads[vars[i]!.name]!));
    optimizer.apply(model.params, byName, 1e-3);
    await value.data();
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  };
  try {
    const stepSeconds = await timeIt(step, { warmup, minReps: steps, maxReps: steps, minSeconds: 0 });
    return { params, stepSeconds };
  } finally {
    optimizer.dispose();
    model.dispose();
    x.dispose();
    labels.dispose();
  }
}
