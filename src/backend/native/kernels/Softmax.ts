import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

export const softmaxConfig = nativeKernel(tf.Softmax, ({ inputs, backend, attrs }) => {
  const { logits } = inputs as { logits: tf.TensorInfo };
  const { dim } = attrs as unknown as tf.SoftmaxAttrs;
  const r = logits.shape.length;
  if (logits.dtype !== 'float32' || r === 0 || (dim !== -1 && dim !== r - 1)) return null;
  const cols = logits.shape[r - 1], n = sizeOf(logits.shape);
  const out = f32out(n);
  if (n > 0) addon().softmax(f32(backend, logits), out, n / cols, cols, false);
  return backend.makeTensorInfo(logits.shape, 'float32', out);
});
