import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { fourierLogAmplitude, relativeLogAmplitude, relativeFrequencies } from '../../src/analysis/fourier.ts';
import { circularConv, lcg, naiveDft2 } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

/** NHWC tensor from per-(batch, channel) H x W maps produced by `make(b, c)`. */
function fromMaps(b: number, c: number, h: number, w: number, make: (bi: number, ci: number) => ArrayLike<number>): tf.Tensor4D {
  const data = new Float32Array(b * h * w * c);
  for (let bi = 0; bi < b; bi++) {
    for (let ci = 0; ci < c; ci++) {
      const m = make(bi, ci);
      for (let p = 0; p < h * w; p++) data[(bi * h * w + p) * c + ci] = m[p]!;
    }
  }
  return tf.tensor4d(data, [b, h, w, c]);
}

function argmax2d(a: number[][]): [number, number] {
  let best: [number, number] = [0, 0];
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i]!.length; j++) if (a[i]![j]! > a[best[0]]![best[1]]!) best = [i, j];
  return best;
}

for (const [h, ky, kx] of [[16, 3, 5], [16, -2, 4], [15, 4, 1], [32, 7, 7]] as const) {
  test(`a 2D sinusoid at bins (${ky}, ${kx}) of a ${h} x ${h} map peaks at its own frequency`, async () => {
    const w = h;
    const x = fromMaps(2, 3, h, w, (bi, ci) =>
      Float64Array.from({ length: h * w }, (_, p) => {
        const i = Math.floor(p / w);
        const j = p % w;
        return (1 + bi + ci) * Math.cos(2 * Math.PI * ((ky * i) / h + (kx * j) / w) + 0.3 * ci);
      }),
    );
    const amp = await fourierLogAmplitude(x);
    assert.equal(amp.length, h);
    assert.equal(amp[0]!.length, w);
    const c = Math.floor(h / 2);
    const [pi, pj] = argmax2d(amp);
    const ok = (pi === c + ky && pj === c + kx) || (pi === c - ky && pj === c - kx);
    assert.ok(ok, `peak at (${pi - c}, ${pj - c}) relative to centre, expected ±(${ky}, ${kx})`);
    // A pure sinusoid has (numerically) nothing at frequency 0.
    assert.ok(amp[c]![c]! < amp[pi]![pj]! - 5);
    x.dispose();
  });
}

test('relative log amplitude of a diagonal sinusoid peaks at its frequency and starts at 0', async () => {
  const h = 16;
  const k = 5;
  const x = fromMaps(1, 2, h, h, () =>
    Float64Array.from({ length: h * h }, (_, p) => Math.cos((2 * Math.PI * k * (Math.floor(p / h) + (p % h))) / h) + 0.01),
  );
  const rel = await relativeLogAmplitude(x);
  assert.equal(rel.length, Math.floor(h / 2) + 1);
  assert.equal(rel[0], 0);
  const peak = rel.indexOf(Math.max(...rel));
  assert.equal(peak, k);
  assert.deepEqual(relativeFrequencies(h).slice(0, 2), [0, 2 / h]);
  assert.equal(relativeFrequencies(h).at(-1), 1);
  x.dispose();
});

function noiseMaps(h: number, seed: number, kernel: number[][] | null): tf.Tensor4D {
  const rand = lcg(seed);
  return fromMaps(4, 3, h, h, () => {
    const m = Float64Array.from({ length: h * h }, rand);
    return kernel ? circularConv(m, h, h, kernel) : m;
  });
}

test('box blur gives a negative relative log amplitude at high frequency, a Laplacian a positive one', async () => {
  const h = 32;
  const box = [
    [1 / 9, 1 / 9, 1 / 9],
    [1 / 9, 1 / 9, 1 / 9],
    [1 / 9, 1 / 9, 1 / 9],
  ];
  const laplacian = [
    [0, 1, 0],
    [1, -4, 1],
    [0, 1, 0],
  ];
  const raw = await relativeLogAmplitude(noiseMaps(h, 11, null));
  const blurred = await relativeLogAmplitude(noiseMaps(h, 11, box));
  const sharpened = await relativeLogAmplitude(noiseMaps(h, 11, laplacian));
  // White noise is flat: its relative log amplitude stays near 0 at every frequency.
  assert.ok(Math.abs(raw.at(-1)!) < 1, `white noise at pi: ${raw.at(-1)}`);
  // A 3x3 box filter has gain 1/9 * (1 + 2 cos w)^2 at (w, w): -1/9 at pi, log amplitude about -2.2.
  assert.ok(blurred.at(-1)! < -1, `blurred at pi: ${blurred.at(-1)}`);
  // The Laplacian has gain 0 at frequency 0 and 8 at (pi, pi).
  assert.ok(sharpened.at(-1)! > 1, `Laplacian at pi: ${sharpened.at(-1)}`);
});

test('rejects tensors that are not NHWC 4D', async () => {
  const x = tf.zeros([4, 4, 3]);
  await assert.rejects(fourierLogAmplitude(x as unknown as tf.Tensor4D), /NHWC/);
  await assert.rejects(relativeLogAmplitude(tf.zeros([1, 4, 6, 2]) as tf.Tensor4D), /square/);
  x.dispose();
});

test('fourierLogAmplitude leaves no tensors behind', async () => {
  const x = tf.randomNormal([2, 8, 8, 4]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  await fourierLogAmplitude(x);
  await relativeLogAmplitude(x);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test("authors' diagonal: entries k = 0 … H − 1 − ⌊H/2⌋ of log(|F|+1e-6) at bin (k, k), minus bin (0, 0) (float64 reference)", async () => {
  for (const h of [7, 8]) {
    const rand = lcg(h);
    const maps = Array.from({ length: 3 }, () => Float64Array.from({ length: h * h }, () => rand()));
    const x = fromMaps(1, 3, h, h, (_, ci) => maps[ci]!);
    const rel = await relativeLogAmplitude(x, 'authors');
    const n = h - Math.floor(h / 2);
    assert.equal(rel.length, n);
    const logDiag = (k: number): number =>
      maps.reduce((s, m) => {
        const [re, im] = naiveDft2(m, null, h, h);
        return s + Math.log(Math.hypot(re[k * h + k]!, im[k * h + k]!) + 1e-6);
      }, 0) / maps.length;
    for (let k = 0; k < n; k++) assert.ok(Math.abs(rel[k]! - (logDiag(k) - logDiag(0))) < 1e-4, `h=${h} k=${k}: ${rel[k]} vs ${logDiag(k) - logDiag(0)}`);
    assert.equal(relativeFrequencies(h, 'authors').at(-1), (2 * (n - 1)) / h);
    x.dispose();
  }
});
