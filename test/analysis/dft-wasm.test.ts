// The analyses must run on backends without an FFT kernel: the DFT path on wasm equals a float64 DFT.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { dft2d } from '../../src/analysis/dft.ts';
import { relativeLogAmplitude } from '../../src/analysis/fourier.ts';
import { lcg, naiveDft2 } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

test('matrix DFT runs on the wasm backend and equals a float64 DFT', async () => {
  assert.equal(tf.getBackend(), 'wasm');
  const h = 8;
  const w = 8;
  const rand = lcg(3);
  const re = Float32Array.from({ length: h * w }, rand);
  const im = Float32Array.from({ length: h * w }, rand);
  const f = dft2d(tf.tensor3d(re, [1, h, w]), tf.tensor3d(im, [1, h, w]));
  const [nr, ni] = naiveDft2(re, im, h, w);
  const fr = f.re.dataSync();
  const fi = f.im.dataSync();
  for (let i = 0; i < h * w; i++) {
    assert.ok(Math.abs(fr[i]! - nr[i]!) < 1e-4, `re[${i}]`);
    assert.ok(Math.abs(fi[i]! - ni[i]!) < 1e-4, `im[${i}]`);
  }
  const rel = await relativeLogAmplitude(tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D);
  assert.equal(rel.length, h / 2 + 1);
  assert.equal(rel[0], 0);
});
