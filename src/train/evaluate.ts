// Evaluation of a model on an image set in evaluation mode: NLL, top-1/top-5 accuracy and ECE.
import { tf } from '../backend/tf.ts';
import { iterateBatches } from '../data/batches.ts';
import type { ImageSet, LabelKind } from '../data/types.ts';
import type { Model } from '../models/model.ts';
import { MetricAccumulator, type SplitMetrics } from './metrics.ts';

export interface EvaluateOptions {
  batchSize?: number;
  labels?: LabelKind;
  /** Stops early (the result then covers the images seen so far). */
  signal?: AbortSignal;
  onBatch?(done: number, total: number): void;
}

export async function evaluate(model: Model, set: ImageSet, opts: EvaluateOptions = {}): Promise<SplitMetrics & { aborted: boolean; seconds: number }> {
  const batchSize = opts.batchSize ?? 250;
  const k = model.config.numClasses;
  const acc = new MetricAccumulator();
  const t0 = performance.now();
  let aborted = false;
  for (const batch of iterateBatches(set, { batchSize, shuffle: false, seed: 0, epoch: 0, augment: false, labels: opts.labels ?? 'fine' })) {
    await new Promise<void>((resolve) => setImmediate(resolve)); // let Ctrl-C / SIGTERM handlers run
    if (opts.signal?.aborted) {
      tf.dispose([batch.x, batch.y]);
      aborted = true;
      break;
    }
    const logits = model.forward(batch.x, { training: false });
    // the labels came from the CPU: reading them does not wait for the device; the logits are the one read
    const labels = Int32Array.from(await batch.y.data());
    const data = (await logits.data()) as Float32Array;
    tf.dispose([logits, batch.x, batch.y]);
    acc.add(data, labels, k);
    opts.onBatch?.(acc.n, set.count);
  }
  return { ...acc.result(), aborted, seconds: (performance.now() - t0) / 1000 };
}
