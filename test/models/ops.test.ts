import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { convKxK, depthwiseConv, patchEmbed, setConvImplementation, silu, subsample2 } from '../../src/models/ops.ts';
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

test("depthwiseConv is PyTorch's Conv2d(C, C*M, k, stride, padding, groups=C): output channel c*M + m reads input channel c", async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const [b, h, w, c, m, k] = [2, 7, 6, 3, 2, 3];
  const xv = pseudoRandom(b * h * w * c, 3), wv = pseudoRandom(k * k * c * m, 4);
  for (const [stride, pad] of [[1, 1], [2, 1], [2, 0]] as const) {
    const y = depthwiseConv(tf.tensor4d(xv, [b, h, w, c]), tf.tensor4d(wv, [k, k, c, m]), stride, pad);
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1, ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    assert.deepEqual(y.shape, [b, oh, ow, c * m]);
    // the grouped convolution written out: zero padding `pad` on every side, cross-correlation as PyTorch's
    const ref = new Float64Array(b * oh * ow * c * m);
    for (let n = 0; n < b; n++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let ci = 0; ci < c; ci++)
            for (let mi = 0; mi < m; mi++) {
              let s = 0;
              for (let ky = 0; ky < k; ky++)
                for (let kx = 0; kx < k; kx++) {
                  const iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                  if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += xv[((n * h + iy) * w + ix) * c + ci]! * wv[((ky * k + kx) * c + ci) * m + mi]!;
                }
              ref[((n * oh + oy) * ow + ox) * c * m + ci * m + mi] = s;
            }
    assert.ok(relDiff(y.dataSync(), ref) < 1e-6, `stride ${stride} padding ${pad}`);
  }
  assert.throws(() => depthwiseConv(tf.zeros([1, 4, 4, 3]) as tf.Tensor4D, tf.zeros([3, 3, 2, 1]), 1), /filter has shape \[3,3,2,1\], expected \[k, k, 3, M\]/);
});

test('silu is x * sigmoid(x) (torch.nn.SiLU)', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const x = [-20, -3, -0.5, 0, 0.5, 3, 20];
  const y = Array.from(silu(tf.tensor1d(x)).dataSync());
  x.forEach((v, i) => assert.ok(Math.abs(y[i]! - v / (1 + Math.exp(-v))) < 1e-6 * Math.max(1, Math.abs(v)), `silu(${v}) = ${y[i]}`));
});
