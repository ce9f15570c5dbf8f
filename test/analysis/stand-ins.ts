// Minimal Model stand-ins with known behaviour, for testing the analyses without trained networks.
import { tf } from '../../src/backend/tf.ts';
import type { FeatureMap, Model, ModelConfig, ForwardOptions } from '../../src/models/model.ts';

const config = (preset: string, imageSize: number): ModelConfig => ({ family: 'resnet', preset, numClasses: 2, imageSize });

/** Depthwise circular-ish ('same', zero-padded) 3x3 filter applied to every channel. */
function filter3(x: tf.Tensor4D, k: number[][]): tf.Tensor4D {
  const c = x.shape[3];
  const kernel = tf.tile(tf.reshape(tf.tensor2d(k), [3, 3, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
  return tf.depthwiseConv2d(x, kernel, 1, 'same');
}

/**
 * A "network" whose blocks are: the input (embedding), a 3x3 box blur (msa, a low-pass filter),
 * a 3x3 Laplacian of the input (conv, a high-pass filter), a 1x1 pooled map (head, excluded).
 */
export function filterBankModel(imageSize = 16): Model {
  const box = [[1, 1, 1], [1, 1, 1], [1, 1, 1]].map((r) => r.map((v) => v / 9));
  const lap = [[0, 1, 0], [1, -4, 1], [0, 1, 0]];
  return {
    config: config('filter-bank', imageSize),
    paramInfo: [],
    params: new Map(),
    buffers: new Map(),
    forward: (x: tf.Tensor4D) => tf.tidy(() => tf.reshape(tf.mean(x, [1, 2, 3]), [-1, 1]).tile([1, 2]) as tf.Tensor2D),
    features: (x: tf.Tensor4D): FeatureMap[] => [
      { name: 'input', kind: 'embedding', tensor: tf.clone(x) },
      { name: 'blur', kind: 'msa', tensor: filter3(x, box) },
      { name: 'laplacian', kind: 'conv', tensor: filter3(x, lap) },
      { name: 'pooled', kind: 'head', tensor: tf.mean(x, [1, 2], true) as tf.Tensor4D },
    ],
    dispose: () => {},
  };
}

/**
 * Classifies by the sign of the image mean: logits [-mean, mean]. Noise without a frequency-0
 * component leaves every prediction unchanged; noise with one can flip them.
 */
export function meanSignModel(imageSize: number): Model {
  return {
    config: config('mean-sign', imageSize),
    paramInfo: [],
    params: new Map(),
    buffers: new Map(),
    forward: (x: tf.Tensor4D, _opts: ForwardOptions) =>
      tf.tidy(() => {
        const m = tf.reshape(tf.mean(x, [1, 2, 3]), [-1, 1]);
        return tf.concat([tf.neg(m), m], 1) as tf.Tensor2D;
      }),
    features: () => [],
    dispose: () => {},
  };
}
