import { tf } from '../../tf.ts';
import { nativeMatmul } from './matmul_impl.ts';
import { activationCode, nativeKernel } from './util.ts';

export const fusedMatMulConfig = nativeKernel(tf._FusedMatMul, ({ inputs, backend, attrs }) => {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as tf._FusedMatMulAttrs;
  const act = activationCode(activation);
  if (act === null || preluActivationWeights) return null;
  return nativeMatmul(backend, a!, b!, transposeA, transposeB, bias ?? null, act, leakyreluAlpha ?? 0.2);
});
