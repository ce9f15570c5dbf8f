// The training loss as a function of a flat list of parameter tensors, for the Hessian and the loss landscape.
import { tf } from '../backend/tf.ts';
import { resolveNames } from '../models/flat-params.ts';
import type { Model } from '../models/model.ts';
import { l2Penalty, labelOrSoftCrossEntropy } from './losses.ts';

/** A loss as a function of parameter tensors (in a fixed list order). */
export type LossOfParams = (paramTensors: tf.Tensor[]) => tf.Scalar;

export interface LossOfParamsOptions {
  /** Parameters the function takes, in this order (default: all, model order). */
  names?: readonly string[];
  /** L2 coefficient: adds (l2 / 2) * sum ||p||^2 over all parameters (the unlisted ones as a constant). */
  l2?: number;
  labelSmoothing?: number;
}

/**
 * The loss on (x, y) as a function of the listed parameters' tensors (same order and shapes), with
 * BatchNorm in evaluation mode, no dropout/drop path, and the other parameters at their current
 * values. y: integer labels [B] or target distributions [B, K] (mixup/CutMix). Built from ops with
 * differentiable gradients, so it can be differentiated twice by nested tf.grads.
 */
export function lossOfParams(
  model: Model,
  x: tf.Tensor4D,
  y: tf.Tensor1D | tf.Tensor2D,
  opts: LossOfParamsOptions = {},
): LossOfParams {
  const list = [...resolveNames(model, opts.names)];
  const l2 = opts.l2 ?? 0;
  const listed = new Set(list);
  // The unlisted parameters' share of the L2 term is computed on the device at each call (no read): they are not
  // among the tensors differentiated, so they enter as constants.
  const fixed = l2 !== 0 ? [...model.params].filter(([n]) => !listed.has(n)).map(([, v]) => v as tf.Tensor) : [];
  const labelSmoothing = opts.labelSmoothing ?? 0;
  return (paramTensors: tf.Tensor[]) => {
    if (paramTensors.length !== list.length)
      throw new Error(`lossOfParams: got ${paramTensors.length} tensors, expected ${list.length} (${list.slice(0, 3).join(', ')}${list.length > 3 ? ', ...' : ''})`);
    return tf.tidy(() => {
      const params = new Map(list.map((n, i) => [n, paramTensors[i]!]));
      const logits = model.forward(x, { training: false, params });
      // train/losses.ts: built on a log-softmax whose second derivative is right
      let loss = labelOrSoftCrossEntropy(logits, y, { labelSmoothing });
      if (l2 !== 0) {
        loss = tf.add(loss, l2Penalty([...paramTensors, ...fixed], l2)) as tf.Scalar;
      }
      return loss;
    });
  };
}
