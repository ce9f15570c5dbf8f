import { tf } from '../../tf.ts';
import { f32out, nativeKernel, sizeOf } from './util.ts';

// The cpu Cast shares storage when widening (bool/int32 -> float32), leaving a float32 tensor over a Uint8Array or
// Int32Array; native kernels hand storage to C++ as the dtype says, so widen into a real Float32Array here.
export const castConfig = nativeKernel(tf.Cast, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { dtype } = attrs as unknown as tf.CastAttrs;
  if (dtype !== 'float32' || (x.dtype !== 'bool' && x.dtype !== 'int32')) return null;
  const v = backend.data.get(x.dataId).values as Uint8Array | Int32Array;
  const out = f32out(sizeOf(x.shape));
  out.set(v);
  return backend.makeTensorInfo(x.shape, 'float32', out);
});
