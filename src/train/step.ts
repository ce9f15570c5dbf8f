// One training step, as the training loop, the benchmark, the profiler and the Hessian's step timing all run it:
// forward in training mode (seeded drop path; BatchNorm running statistics moved unless told otherwise),
// cross-entropy against integer labels or soft targets, gradients of every parameter, their global norm, clipping,
// the optimizer's update, disposal. The loss, the norm and (when asked) the logits come back from the device in
// one asynchronous read, so a step costs one synchronisation on a GPU.
import { tf } from '../backend/tf.ts';
import { valueAndGradients } from '../backend/recorded-graph.ts';
import type { Model } from '../models/model.ts';
import { clipToNorm, globalNormTensor } from './clip.ts';
import { labelOrSoftCrossEntropy } from './losses.ts';
import type { Optimizer } from './optimizer.ts';

export interface StepBatch {
  x: tf.Tensor4D;
  /** Integer labels [B] or target distributions [B, K] (mixup/CutMix, smoothing applied). */
  y: tf.Tensor1D | tf.Tensor2D;
}

export interface StepOptions {
  lr: number;
  /** Drop-path seed of this step. */
  seed: number;
  /** Global-norm clipping threshold; absent or <= 0: no clipping. */
  clipNorm?: number;
  /** Move BatchNorm's running statistics (default true, as training does). */
  updateStats?: boolean;
  /** Return the logits (training accuracy). */
  logits?: boolean;
}

export interface StepResult {
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Whether the optimizer updated the parameters: not without an optimizer, nor when the loss or the norm is not finite. */
  updated: boolean;
  clipped: boolean;
  /** Logits [B, K] row-major, when asked for. */
  logits?: Float32Array;
}

export type TrainStep = (batch: StepBatch, opts: StepOptions) => Promise<StepResult>;

/**
 * The step function of `model` and `optimizer`. Without an optimizer it computes the loss, the gradients and their
 * norm and leaves the parameters alone (the value-and-gradient cost of a step, as the Hessian's timing wants it).
 */
export function makeTrainStep(model: Model, optimizer: Optimizer | null): TrainStep {
  const keys = [...model.params.keys()];
  const varList = [...model.params.values()];
  return async (batch, opts) => {
    const held: { logits?: tf.Tensor } = {};
    // tf.variableGrads' values, with each adjoint and saved tensor freed once dead (src/backend/recorded-graph.ts):
    // it held every one until its pass ended, ~10 GB for vit-ti at batch 64, and memory beyond the buffer pool is
    // fresh pages, which cost more than the arithmetic on a VM
    const { value, grads } = valueAndGradients(varList, () => {
      const out = model.forward(batch.x, { training: true, updateStats: opts.updateStats ?? true, seed: opts.seed });
      if (opts.logits) held.logits = tf.keep(out);
      return labelOrSoftCrossEntropy(out, batch.y);
    });
    const named = new Map<string, tf.Tensor>();
    // parameters the loss does not reach get no gradient (and so no update), as with tf.variableGrads
    grads.forEach((g, i) => {
      if (g) named.set(keys[i]!, g);
    });
    const kept = held.logits;
    const readout = tf.tidy(() => {
      const parts = [tf.reshape(value, [1]), tf.reshape(globalNormTensor(named), [1])];
      if (kept) parts.push(tf.reshape(kept, [-1]));
      return tf.concat(parts);
    });
    let clippedGrads: Map<string, tf.Tensor> | null = null;
    try {
      const data = (await readout.data()) as Float32Array;
      const loss = data[0]!;
      const gradNorm = data[1]!;
      const result: StepResult = { loss, gradNorm, updated: false, clipped: false, ...(kept ? { logits: data.slice(2) } : {}) };
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm) || optimizer === null) return result;
      const clip = clipToNorm(named, opts.clipNorm ?? 0, gradNorm);
      if (clip.clipped) clippedGrads = clip.grads;
      optimizer.apply(model.params, clip.grads, opts.lr);
      return { ...result, updated: true, clipped: clip.clipped };
    } finally {
      tf.dispose([value, readout, ...named.values(), ...(kept ? [kept] : []), ...(clippedGrads ? [...clippedGrads.values()] : [])]);
    }
  };
}
