// BatchNorm's running statistics, both moved in one kernel: running = running * (1 - momentum) + batch * momentum
// for the mean, and the same towards the unbiased batch variance. Composite it was three kernels per statistic and
// two per BatchNorm layer every training step (114 of resnet-20's ~240 kernel dispatches per step) on vectors of
// 16-64 entries: all dispatch, no arithmetic. On host backends (cpu, native) one kernel does it with the same float32
// operations in the same order (each product rounded, then the sum), so the statistics are bit-identical; other
// backends run the composite. Not differentiable (buffers, not parameters).
import { tf } from './tf.ts';
import { HOST_BACKENDS } from './host-backends.ts';
import { f32, type Backend } from './native/kernels/util.ts';

export const MOVING_AVERAGES = 'VitscopeMovingAverages';

interface MovingAverageAttrs {
  keep: number;
  meanWeight: number;
  varWeight: number;
}

function movingAveragesHost({ inputs, attrs, backend }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo[] {
  const b = backend as Backend;
  const { runningMean, runningVar, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  const { keep, meanWeight, varWeight } = attrs as unknown as MovingAverageAttrs;
  const [rm, rv, m, v] = [runningMean!, runningVar!, mean!, variance!].map((t) => f32(b, t)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const n = rm.length;
  if (rv.length !== n || m.length !== n || v.length !== n) {
    throw new Error(`${MOVING_AVERAGES}: statistics of ${n}, ${rv.length}, ${m.length} and ${v.length} entries, expected one length`);
  }
  // float32 scalars and float32 rounding after each operation, as tf.add(tf.mul(r, keep), tf.mul(s, w)) computes
  const k = Math.fround(keep);
  const wm = Math.fround(meanWeight);
  const wv = Math.fround(varWeight);
  const outMean = new Float32Array(n);
  const outVar = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    outMean[i] = Math.fround(Math.fround(rm[i]! * k) + Math.fround(m[i]! * wm));
    outVar[i] = Math.fround(Math.fround(rv[i]! * k) + Math.fround(v[i]! * wv));
  }
  return [b.makeTensorInfo(runningMean!.shape, 'float32', outMean), b.makeTensorInfo(runningVar!.shape, 'float32', outVar)];
}

for (const backendName of HOST_BACKENDS) {
  if (!tf.getKernel(MOVING_AVERAGES, backendName)) {
    tf.registerKernel({ kernelName: MOVING_AVERAGES, backendName, kernelFunc: movingAveragesHost as unknown as tf.KernelFunc });
  }
}

/**
 * [runningMean * (1 - momentum) + mean * momentum, runningVar * (1 - momentum) + variance * momentum * unbias]
 * (PyTorch's BatchNorm update with the unbiased variance); the caller assigns them.
 */
export function movingAverages(runningMean: tf.Tensor, runningVar: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, momentum: number, unbias: number): [tf.Tensor, tf.Tensor] {
  const attrs: MovingAverageAttrs = { keep: 1 - momentum, meanWeight: momentum, varWeight: momentum * unbias };
  const all = [runningMean, runningVar, mean, variance];
  if (all.every((t) => t.dtype === 'float32') && tf.getKernel(MOVING_AVERAGES, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(MOVING_AVERAGES, { runningMean, runningVar, mean, variance } as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor];
  }
  return tf.tidy(() => [
    tf.add(tf.mul(runningMean, attrs.keep), tf.mul(mean, attrs.meanWeight)),
    tf.add(tf.mul(runningVar, attrs.keep), tf.mul(variance, attrs.varWeight)),
  ]) as [tf.Tensor, tf.Tensor];
}
