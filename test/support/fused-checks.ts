// Checks shared by the fused-kernel tests (native-fused, channel-affine, batchnorm-relu).
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import type { Rng } from '../../src/util/random.ts';

/** The fused kernels' agreement with their composites (float32 rounding of differently ordered sums). */
export const FUSED_TOL = 2e-5;

/** |a - b| <= tol * max(1, max |b|) elementwise, same shape, every entry of a finite. */
export function close(a: tf.Tensor, b: tf.Tensor, what: string, tol = FUSED_TOL): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const x = a.dataSync(), y = b.dataSync();
  let scale = 1, maxDiff = 0;
  for (let i = 0; i < y.length; ++i) {
    assert.ok(Number.isFinite(x[i]), `${what}[${i}] = ${x[i]}`);
    scale = Math.max(scale, Math.abs(y[i]!));
    maxDiff = Math.max(maxDiff, Math.abs(x[i]! - y[i]!));
  }
  assert.ok(maxDiff <= tol * scale, `${what}: max |fused - reference| = ${maxDiff}, allowed ${tol * scale}`);
}

/** The kernels run while f runs, one entry per call, in order. */
export async function kernelsRun(f: () => void): Promise<string[]> {
  return (await tf.profile(() => { f(); })).kernels.map((k) => k.name);
}

/** Tensors of shift + scale * N(0, 1) entries drawn from rng, in order. */
export function normalTensors(rng: Rng): (shape: number[], scale?: number, shift?: number) => tf.Tensor {
  return (shape, scale = 1, shift = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Array.from({ length: n }, () => shift + scale * rng.normal()), shape);
  };
}
