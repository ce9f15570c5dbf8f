import { tf } from '../../tf.ts';
import { nativeMatmul } from './matmul_impl.ts';
import { nativeKernel } from './util.ts';

export const batchMatMulConfig = nativeKernel(tf.BatchMatMul, ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  return nativeMatmul(backend, a, b, transposeA, transposeB, null, 0, 0);
});
