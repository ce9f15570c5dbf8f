// Shared by BatchMatMul and _FusedMatMul: broadcast batch dims, transposes, bias, activation on sgemm.
import { tf } from '../../tf.ts';
import { addon } from '../addon.ts';
import { f32, f32out, sizeOf, stridesOf, type Backend } from './util.ts';

export function nativeMatmul(
  backend: Backend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | null,
  act: number,
  alpha: number,
): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  if (bias && bias.dtype !== 'float32') return null;
  const ra = a.shape.length, rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const K2 = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== K2) {
    throw new Error(`Error in matMul: inner shapes (${K}) and (${K2}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  const nb = sizeOf(outBatch);
  const aIdx = new Int32Array(nb), bIdx = new Int32Array(nb);
  if (sizeOf(batchA) === nb && sizeOf(batchB) === nb) {
    for (let i = 0; i < nb; ++i) aIdx[i] = bIdx[i] = i;
  } else {
    const os = stridesOf(outBatch);
    const sa = broadcastIdxStrides(batchA, outBatch), sb = broadcastIdxStrides(batchB, outBatch);
    for (let i = 0; i < nb; ++i) {
      let rem = i, ia = 0, ib = 0;
      for (let d = 0; d < outBatch.length; ++d) {
        const q = Math.floor(rem / os[d]);
        rem -= q * os[d];
        ia += q * sa[d];
        ib += q * sb[d];
      }
      aIdx[i] = ia;
      bIdx[i] = ib;
    }
  }
  const outShape = [...outBatch, M, N];
  let biasSize = 0;
  if (bias) {
    biasSize = sizeOf(bias.shape);
    const trailingOk = bias.shape.slice(0, -1).every((d) => d === 1);
    if (!(biasSize === 1 || (biasSize === N && trailingOk && bias.shape.length <= outShape.length))) return null;
  }
  const out = f32out(nb * M * N);
  addon().matmul(f32(backend, a), f32(backend, b), out, M, N, K, transposeA, transposeB, aIdx, bIdx,
    bias ? f32(backend, bias) : null, biasSize, act, alpha);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/** Per-dimension batch-index strides of `shape` within `outShape` (0 where broadcast). */
function broadcastIdxStrides(shape: number[], outShape: number[]): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]));
}
