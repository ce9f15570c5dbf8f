import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { frequencyNoise, binFrequency } from '../../src/analysis/noise.ts';
import { naiveDft2 } from './helpers.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

/** Share of the spectral energy (float64 naive DFT per image and channel) inside the band. */
function energyInBand(noise: tf.Tensor4D, frequency: number, bandwidth: number): number {
  const [b, h, w, c] = noise.shape;
  const v = noise.dataSync();
  let inside = 0;
  let total = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let ci = 0; ci < c; ci++) {
      const m = new Float64Array(h * w);
      for (let p = 0; p < h * w; p++) m[p] = v[(bi * h * w + p) * c + ci]!;
      const [re, im] = naiveDft2(m, null, h, w);
      for (let ky = 0; ky < h; ky++) {
        for (let kx = 0; kx < w; kx++) {
          const e = re[ky * w + kx]! ** 2 + im[ky * w + kx]! ** 2;
          total += e;
          // Band membership recomputed here from its definition: Chebyshev frequency in units of pi.
          const fy = (2 * Math.min(ky, h - ky)) / h;
          const fx = (2 * Math.min(kx, w - kx)) / w;
          if (Math.abs(Math.max(fy, fx) - frequency) <= bandwidth + 1e-9) inside += e;
        }
      }
    }
  }
  return inside / total;
}

function std(x: tf.Tensor): number {
  const v = x.dataSync();
  let m = 0;
  for (const a of v) m += a;
  m /= v.length;
  let s = 0;
  for (const a of v) s += (a - m) ** 2;
  return Math.sqrt(s / v.length);
}

for (const mode of ['rms', 'paper'] as const) {
  for (const [frequency, bandwidth] of [[0.1, 0.1], [0.5, 0.1], [0.9, 0.1], [0.3, 0.05]] as const) {
    test(`${mode} noise at ${frequency}π ± ${bandwidth}π keeps >= 95% of its energy in the band`, () => {
      const noise = frequencyNoise([2, 16, 16, 3], { frequency, bandwidth, scale: 0.5, seed: 5, mode });
      assert.deepEqual(noise.shape, [2, 16, 16, 3]);
      const share = energyInBand(noise, frequency, bandwidth);
      assert.ok(share >= 0.95, `in-band share ${share}`);
      if (mode === 'rms') assert.ok(Math.abs(std(noise) - 0.5) < 1e-3, `std ${std(noise)}`);
      noise.dispose();
    });
  }
}

test('rms noise has the requested standard deviation in every band (equal energy)', () => {
  for (const frequency of [0.2, 0.6, 1.0]) {
    for (const scale of [0.1, 2]) {
      const noise = frequencyNoise([3, 32, 32, 3], { frequency, bandwidth: 0.1, scale, seed: 9 });
      assert.ok(Math.abs(std(noise) / scale - 1) < 1e-3, `f=${frequency} scale=${scale}: std ${std(noise)}`);
      noise.dispose();
    }
  }
});

test('paper-mode noise energy grows with the annulus area (the reason for rms mode)', () => {
  const low = frequencyNoise([2, 32, 32, 3], { frequency: 0.2, bandwidth: 0.1, scale: 1, seed: 1, mode: 'paper' });
  const high = frequencyNoise([2, 32, 32, 3], { frequency: 0.8, bandwidth: 0.1, scale: 1, seed: 1, mode: 'paper' });
  assert.ok(std(high) > 2 * std(low), `std low ${std(low)} high ${std(high)}`);
  tf.dispose([low, high]);
});

test('the same seed gives the same noise, another seed other noise', () => {
  const opts = { frequency: 0.5, bandwidth: 0.1, scale: 1, seed: 3 };
  const a = frequencyNoise([1, 8, 8, 2], opts).dataSync();
  const b = frequencyNoise([1, 8, 8, 2], opts).dataSync();
  const c = frequencyNoise([1, 8, 8, 2], { ...opts, seed: 4 }).dataSync();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('bin frequencies are Chebyshev norms in units of pi, and empty bands or bad options are rejected', () => {
  assert.equal(binFrequency(0, 0, 8, 8), 0);
  assert.equal(binFrequency(4, 1, 8, 8), 1);
  assert.equal(binFrequency(7, 2, 8, 8), 0.5);
  assert.throws(() => frequencyNoise([1, 32, 32, 3], { frequency: 0.1, bandwidth: 0.01, scale: 1, seed: 0 }), /no DFT bin/);
  assert.throws(() => frequencyNoise([1, 8, 8, 3], { frequency: 1.5, bandwidth: 0.1, scale: 1, seed: 0 }), /'frequency'/);
  assert.throws(() => frequencyNoise([1, 8, 8] as unknown as [number, number, number, number], { frequency: 0.5, bandwidth: 0.1, scale: 1, seed: 0 }), /'shape'/);
});
