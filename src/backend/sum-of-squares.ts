// The sum of the squares of every entry of many tensors, as one kernel: the global gradient norm of a training step
// (gradient clipping, the logged norm). Composite, it was a Square and a Sum per parameter tensor plus an AddN —
// ~120 kernel launches per resnet-20 step, a few percent of the step in engine overhead alone.
// On host backends (cpu, native) one kernel reads the arrays in place and accumulates in float64, on native on every
// thread (ResNet-50's 23.7M gradients took 19 ms in JavaScript); elsewhere the composite runs. Not differentiable
// (nothing differentiates a norm used for clipping).
import { tf } from './tf.ts';
import { HOST_BACKENDS } from './host-backends.ts';
import { f32, type Backend } from './native/kernels/util.ts';
import { addon } from './native/addon.ts';

export const SUM_OF_SQUARES = 'VitscopeSumOfSquares';

function sumOfSquaresHost({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const list = inputs as unknown as tf.TensorInfo[];
  const b = backend as Backend;
  let total = 0;
  for (const t of list) {
    const v = f32(b, t);
    // four partial sums: independent dependency chains, so the loop is not bound by one add's latency
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const n = v.length;
    const n4 = n - (n % 4);
    for (let i = 0; i < n4; i += 4) {
      const a = v[i]!;
      const c = v[i + 1]!;
      const d = v[i + 2]!;
      const e = v[i + 3]!;
      s0 += a * a;
      s1 += c * c;
      s2 += d * d;
      s3 += e * e;
    }
    for (let i = n4; i < n; i++) s0 += v[i]! * v[i]!;
    total += s0 + s1 + s2 + s3;
  }
  return b.makeTensorInfo([], 'float32', Float32Array.of(total));
}

/** The native backend's: the addon's threaded sum (the backend only exists where the addon loaded). */
function sumOfSquaresNative({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const b = backend as Backend;
  const total = addon().sumOfSquares((inputs as unknown as tf.TensorInfo[]).map((t) => f32(b, t)));
  return b.makeTensorInfo([], 'float32', Float32Array.of(total));
}

for (const backendName of HOST_BACKENDS) {
  const kernelFunc = (backendName === 'native' ? sumOfSquaresNative : sumOfSquaresHost) as tf.KernelFunc;
  if (!tf.getKernel(SUM_OF_SQUARES, backendName)) tf.registerKernel({ kernelName: SUM_OF_SQUARES, backendName, kernelFunc });
}

/** Σ over all tensors and entries of x², as a float32 scalar (float64 accumulation on host backends). */
export function sumOfSquares(tensors: readonly tf.Tensor[]): tf.Scalar {
  if (tensors.length === 0) return tf.scalar(0);
  if (tensors.every((t) => t.dtype === 'float32') && tf.getKernel(SUM_OF_SQUARES, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(SUM_OF_SQUARES, tensors as unknown as tf.NamedTensorMap, {}) as tf.Scalar;
  }
  return tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(tf.square(t)))) as tf.Scalar);
}
