// Cost of one Hessian-vector product against one training step's value and gradient on the same batch
// (src/hessian/timing.ts, as the hessian command reports it), for a model preset on the current backend.
import { tf } from '../src/backend/tf.ts';
import { createModel } from '../src/models/index.ts';
import { timeHvpVsStep, type StepTiming } from '../src/hessian/timing.ts';
import { Rng } from '../src/util/random.ts';

export async function timeHvp(preset: string, batch: number, repeats: number): Promise<StepTiming> {
  const model = createModel(preset, { seed: 0 });
  const rng = new Rng(2);
  const size = model.config.imageSize;
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: batch }, () => rng.nextUint32() % model.config.numClasses), 'int32');
  try {
    return await timeHvpVsStep(model, { x, y }, { repeats });
  } finally {
    model.dispose();
    x.dispose();
    y.dispose();
  }
}
