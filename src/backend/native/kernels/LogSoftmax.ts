import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { f32, f32out, nativeKernel, sizeOf } from './util.ts';

export const logSoftmaxConfig = nativeKernel(tf.LogSoftmax, ({ inputs, backend, attrs }) => {
  const { logits } = inputs as { logits: tf.TensorInfo };
  const { axis } = attrs as unknown as tf.LogSoftmaxAttrs;
  const r = logits.shape.length;
  if (logits.dtype !== 'float32' || r === 0 || (axis !== -1 && axis !== r - 1)) return null;
  const cols = logits.shape[r - 1], n = sizeOf(logits.shape);
  const out = f32out(n);
  if (n > 0) addon().softmax(f32(backend, logits), out, n / cols, cols, true);
  return backend.makeTensorInfo(logits.shape, 'float32', out);
});
