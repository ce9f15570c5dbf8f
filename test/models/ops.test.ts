import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { convKxK, patchEmbed, setConvImplementation, subsample2 } from '../../src/models/ops.ts';
import { pseudoRandom, relDiff } from './helpers.ts';

test('im2col and tf.conv2d convolutions agree in value and in both gradients (stride 1 and 2)', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const x = tf.tensor4d(pseudoRandom(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]);
  const w = tf.tensor4d(pseudoRandom(3 * 3 * 3 * 5, 2), [3, 3, 3, 5]);
  const prev = setConvImplementation('auto');
  try {
    for (const stride of [1, 2]) {
      const run = (impl: 'conv2d' | 'im2col') => {
        setConvImplementation(impl);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(convKxK(a as tf.Tensor4D, b, stride))) as tf.Scalar;
        const y = convKxK(x, w, stride);
        const [gx, gw] = tf.grads(f)([x, w]);
        return { y: y.dataSync(), shape: y.shape, gx: gx!.dataSync(), gw: gw!.dataSync() };
      };
      const a = run('conv2d');
      const b = run('im2col');
      assert.deepEqual(b.shape, [2, 8 / stride, 8 / stride, 5]);
      assert.deepEqual(a.shape, b.shape);
      assert.ok(relDiff(a.y, b.y) < 1e-5, `stride ${stride} values`);
      assert.ok(relDiff(a.gx, b.gx) < 1e-5, `stride ${stride} input gradient`);
      assert.ok(relDiff(a.gw, b.gw) < 1e-5, `stride ${stride} filter gradient`);
    }
    // PyTorch's padding for stride 2: output (0, 0) sees input rows/cols -1..1 (one zero row on top)
    setConvImplementation('conv2d');
    const ones = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const k = tf.ones([3, 3, 1, 1]);
    assert.deepEqual(Array.from(convKxK(ones, k, 2).dataSync()), [4, 6, 6, 9]);
    setConvImplementation('im2col');
    assert.deepEqual(Array.from(convKxK(ones, k, 2).dataSync()), [4, 6, 6, 9]);
  } finally {
    setConvImplementation(prev);
  }
});

test('patch embedding equals a stride-p convolution; subsample2 keeps even rows and columns', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const x = tf.tensor4d(pseudoRandom(2 * 8 * 8 * 3, 3), [2, 8, 8, 3]);
  const w = tf.tensor4d(pseudoRandom(2 * 2 * 3 * 4, 4), [2, 2, 3, 4]);
  const b = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
  const ref = tf.add(tf.conv2d(x, w, 2, 'valid'), b);
  assert.ok(relDiff(patchEmbed(x, w, b, 2).dataSync(), ref.dataSync()) < 1e-6);
  const s = subsample2(x).arraySync();
  const full = x.arraySync();
  assert.deepEqual(s[1]![2]![3], full[1]![4]![6]);
});
