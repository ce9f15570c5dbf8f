// One training step as the trainer runs it (src/train/step.ts: forward in training mode, cross-entropy, backward,
// gradient norm, AdamW update), timed on the current backend for a project model preset.
import { tf } from '../src/backend/tf.ts';
import { createModel } from '../src/models/index.ts';
import { AdamW } from '../src/train/adamw.ts';
import { makeTrainStep } from '../src/train/step.ts';
import { Rng } from '../src/util/random.ts';
import { timeIt } from './timing.ts';

/** The recipes' gradient-norm clip (configs/*.json "clip-norm"); bench/torch_step.py clips at the same norm. */
const CLIP_NORM = 5;

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
  let params = 0;
  for (const v of model.params.values()) params += v.size;
  const trainStep = makeTrainStep(model, optimizer);
  let seed = 0;
  const step = async (): Promise<void> => {
    await trainStep({ x, y: labels }, { lr: 1e-3, seed: seed++, clipNorm: CLIP_NORM });
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
