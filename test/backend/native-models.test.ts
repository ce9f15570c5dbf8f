// End to end on the tiny test presets: loss, gradient and a Hessian-vector product (double backprop through the
// fused kernels' differentiable fallbacks) agree between the native and cpu backends. Tolerance: 1e-3 of each
// quantity's scale (sgemm summation order compounds through a network and its second derivative).
import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { tryRegisterNativeBackend } from '../../src/backend/native/index.ts';
import { createModel } from '../../src/models/index.ts';
import { crossEntropy } from '../../src/train/losses.ts';
import { Rng } from '../../src/util/random.ts';

const reg = tryRegisterNativeBackend();
const skip = reg.registered ? false : `native backend unavailable: ${reg.reason}`;
const TOL = 1e-3;

async function lossGradHvp(backend: 'cpu' | 'native', preset: string): Promise<number[][]> {
  await initBackend({ backend, quiet: true });
  return tf.tidy(() => {
    const model = createModel(preset, { seed: 3, numClasses: 5 });
    const rng = new Rng(11);
    const s = model.config.imageSize;
    const x = tf.tensor4d(Float32Array.from({ length: 4 * s * s * 3 }, () => rng.normal()), [4, s, s, 3]);
    const y = tf.tensor1d(Int32Array.from({ length: 4 }, () => rng.int(5)), 'int32');
    const names = [...model.params.keys()];
    const p0 = names.map((n) => model.params.get(n)!);
    const v = p0.map((p) => tf.tensor(Float32Array.from({ length: p.size }, () => rng.normal()), p.shape));
    const loss = (...ps: tf.Tensor[]) => {
      const params = new Map(names.map((n, i) => [n, ps[i]]));
      // training mode: batch statistics (the fused batch norm), seeded drop path
      return crossEntropy(model.forward(x, { training: true, seed: 5, params }), y);
    };
    const g = tf.grads(loss)(p0);
    const hv = tf.grads((...ps: tf.Tensor[]) => tf.addN(tf.grads(loss)(ps).map((gi, i) => tf.sum(tf.mul(gi, v[i])))))(p0);
    const flat = (ts: tf.Tensor[]) => Array.from(tf.concat(ts.map((t) => tf.reshape(t, [-1]))).dataSync());
    const out = [[loss(...p0).dataSync()[0]], flat(g), flat(hv)];
    model.dispose();
    return out;
  });
}

for (const preset of ['vit-tiny-test', 'resnet-a-tiny-test', 'swin-tiny-test', 'alternet-tiny-test']) {
  test(`${preset}: loss, gradient and Hessian-vector product agree on native and cpu`, { skip }, async () => {
    const ref = await lossGradHvp('cpu', preset);
    const got = await lossGradHvp('native', preset);
    ['loss', 'gradient', 'Hv'].forEach((what, k) => {
      const scale = Math.max(1e-3, ...ref[k].map(Math.abs));
      const diff = Math.max(...ref[k].map((r, i) => Math.abs(r - got[k][i])));
      assert.ok(diff <= TOL * scale, `${preset} ${what}: max |native - cpu| = ${diff}, scale ${scale}`);
    });
  });
}
