import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { dft2d } from '../../src/analysis/dft.ts';
import { lcg, naiveDft2 } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

/** 2D FFT over the last two axes with the cpu backend's own tf.spectral.fft. */
function referenceFft2(re: tf.Tensor3D, im: tf.Tensor3D): { re: Float32Array; im: Float32Array } {
  return tf.tidy(() => {
    const alongW = tf.spectral.fft(tf.complex(re, im));
    const t = tf.transpose(alongW, [0, 2, 1]);
    const alongH = tf.transpose(tf.spectral.fft(t), [0, 2, 1]);
    return { re: tf.real(alongH).dataSync() as Float32Array, im: tf.imag(alongH).dataSync() as Float32Array };
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const [h, w] of [[8, 8], [7, 5], [32, 32], [16, 12]] as const) {
  test(`matrix DFT equals cpu tf.spectral.fft in 2D for ${h} x ${w} complex maps`, () => {
    const rand = lcg(h * 100 + w);
    const n = 3;
    const reVals = Float32Array.from({ length: n * h * w }, rand);
    const imVals = Float32Array.from({ length: n * h * w }, rand);
    const re = tf.tensor3d(reVals, [n, h, w]);
    const im = tf.tensor3d(imVals, [n, h, w]);
    const ours = dft2d(re, im);
    const ref = referenceFft2(re, im);
    const scale = Math.sqrt(h * w);
    assert.ok(maxAbsDiff(ours.re.dataSync(), ref.re) < 1e-4 * scale, 'real parts differ');
    assert.ok(maxAbsDiff(ours.im.dataSync(), ref.im) < 1e-4 * scale, 'imaginary parts differ');
    tf.dispose([re, im, ours.re, ours.im]);
  });
}

test('matrix DFT of a real map equals a float64 naive DFT, and the inverse recovers the map', () => {
  const h = 6;
  const w = 10;
  const rand = lcg(7);
  const vals = Float32Array.from({ length: h * w }, rand);
  const x = tf.tensor3d(vals, [1, h, w]);
  const f = dft2d(x);
  const [nr, ni] = naiveDft2(vals, null, h, w);
  assert.ok(maxAbsDiff(f.re.dataSync(), nr) < 1e-4);
  assert.ok(maxAbsDiff(f.im.dataSync(), ni) < 1e-4);
  const back = dft2d(f.re, f.im, true);
  assert.ok(maxAbsDiff(back.re.dataSync(), vals) < 1e-5);
  assert.ok(maxAbsDiff(back.im.dataSync(), new Float32Array(h * w)) < 1e-5);
  tf.dispose([x, f.re, f.im, back.re, back.im]);
});
