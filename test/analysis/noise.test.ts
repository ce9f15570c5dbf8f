import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { frequencyNoise, binFrequency, authorsBandMask } from '../../src/analysis/noise.ts';
import { Rng } from '../../src/util/random.ts';
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

for (const kind of ['rms', 'sign'] as const) {
  for (const [frequency, bandwidth] of [[0.1, 0.1], [0.5, 0.1], [0.9, 0.1], [0.3, 0.05]] as const) {
    test(`${kind} noise at ${frequency}π ± ${bandwidth}π keeps >= 95% of its energy in the band`, async () => {
      const noise = await frequencyNoise([2, 16, 16, 3], { frequency, bandwidth, scale: 0.5, seed: 5, noise: kind });
      assert.deepEqual(noise.shape, [2, 16, 16, 3]);
      const share = energyInBand(noise, frequency, bandwidth);
      assert.ok(share >= 0.95, `in-band share ${share}`);
      if (kind === 'rms') assert.ok(Math.abs(std(noise) - 0.5) < 1e-3, `std ${std(noise)}`);
      noise.dispose();
    });
  }
}

test('rms noise has the requested standard deviation in every band (equal energy)', async () => {
  for (const frequency of [0.2, 0.6, 1.0]) {
    for (const scale of [0.1, 2]) {
      const noise = await frequencyNoise([3, 32, 32, 3], { frequency, bandwidth: 0.1, scale, seed: 9 });
      assert.ok(Math.abs(std(noise) / scale - 1) < 1e-3, `f=${frequency} scale=${scale}: std ${std(noise)}`);
      noise.dispose();
    }
  }
});

test('sign noise energy grows with the annulus area (the reason for rms noise)', async () => {
  const low = await frequencyNoise([2, 32, 32, 3], { frequency: 0.2, bandwidth: 0.1, scale: 1, seed: 1, noise: 'sign' });
  const high = await frequencyNoise([2, 32, 32, 3], { frequency: 0.8, bandwidth: 0.1, scale: 1, seed: 1, noise: 'sign' });
  assert.ok(std(high) > 2 * std(low), `std low ${std(low)} high ${std(high)}`);
  tf.dispose([low, high]);
});

test('the same seed gives the same noise, another seed other noise', async () => {
  const opts = { frequency: 0.5, bandwidth: 0.1, scale: 1, seed: 3 };
  const a = await (await frequencyNoise([1, 8, 8, 2], opts)).data();
  const b = await (await frequencyNoise([1, 8, 8, 2], opts)).data();
  const c = await (await frequencyNoise([1, 8, 8, 2], { ...opts, seed: 4 })).data();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('bin frequencies are Chebyshev norms in units of pi, and empty bands or bad options are rejected', async () => {
  assert.equal(binFrequency(0, 0, 8, 8), 0);
  assert.equal(binFrequency(4, 1, 8, 8), 1);
  assert.equal(binFrequency(7, 2, 8, 8), 0.5);
  await assert.rejects(frequencyNoise([1, 32, 32, 3], { frequency: 0.1, bandwidth: 0.01, scale: 1, seed: 0 }), /no DFT bin/);
  await assert.rejects(frequencyNoise([1, 8, 8, 3], { frequency: 1.5, bandwidth: 0.1, scale: 1, seed: 0 }), /'frequency'/);
  await assert.rejects(frequencyNoise([1, 8, 8] as unknown as [number, number, number, number], { frequency: 0.5, bandwidth: 0.1, scale: 1, seed: 0 }), /'shape'/);
});

/** Signed frequency of bin k of an n-point DFT in the rolled layout: rolled index r holds bin r - n/2. */
const bin = (k: number, n: number): number => (k + n) % n;

test("authors' mask on 32 x 32: the square annulus of FreqAttack, worked out by hand", () => {
  const s = 0.2 / Math.PI; // s = 0.2 rad in units of pi
  // f = 0.1π: outer side 2·int((0.1π + 0.2)·32/2π) = 2·int(2.62) = 4, inner side 2·int(0.58) = 0:
  // rolled indices 14..17, i.e. signed bins -2..1 on both axes (16 bins).
  const low = authorsBandMask(32, 32, 0.1, s);
  assert.equal(low.reduce((a, b) => a + b, 0), 16);
  for (const ky of [-2, -1, 0, 1]) for (const kx of [-2, -1, 0, 1]) assert.equal(low[bin(ky, 32) * 32 + bin(kx, 32)], 1, `bin (${ky}, ${kx})`);
  assert.equal(low[bin(2, 32) * 32], 0, 'bin +2 is outside (the squares are one-sided)');
  // f = 0.9π: outer side 2·int(15.42) = 30 (signed -15..14), inner side 2·int(13.38) = 26 (-13..12): 900 - 676 bins.
  const high = authorsBandMask(32, 32, 0.9, s);
  assert.equal(high.reduce((a, b) => a + b, 0), 224);
  assert.equal(high[bin(-15, 32) * 32], 1);
  assert.equal(high[bin(14, 32) * 32 + bin(-15, 32)], 1);
  assert.equal(high[bin(15, 32) * 32], 0);
  assert.equal(high[bin(-13, 32) * 32], 0, 'inside the inner square');
  assert.equal(high[bin(-14, 32) * 32], 1);
  assert.throws(() => authorsBandMask(7, 7, 0.5, s), /even size/);
});

test("authors' noise: Re(IFFT2(mask · FFT2(eps·sign(N(0,1))))) with the same draws (float64 reference)", async () => {
  const [b, h, w, c] = [2, 8, 8, 3];
  const eps = 0.7;
  const s = 0.2 / Math.PI;
  const f = 0.5;
  const noise = await frequencyNoise([b, h, w, c], { frequency: f, bandwidth: s, scale: eps, seed: 11, noise: 'sign', mask: 'authors' });
  const got = await noise.data();
  noise.dispose();
  // δ maps are drawn image by image, channel by channel, row-major: [B, C, H, W] as PyTorch lays them out.
  const rng = new Rng(11);
  const delta = Array.from({ length: b * c }, () => Float64Array.from({ length: h * w }, () => eps * Math.sign(rng.normal())));
  const mask = authorsBandMask(h, w, f, s);
  assert.ok(mask.some((m) => m > 0));
  let maxErr = 0;
  delta.forEach((d, map) => {
    const [re, im] = naiveDft2(d, null, h, w);
    for (let i = 0; i < h * w; i++) {
      re[i]! *= mask[i]!;
      im[i]! *= mask[i]!;
    }
    // inverse DFT = conj(DFT(conj(X))) / (H W); only the real part is kept
    const [bre] = naiveDft2(re, im.map((v) => -v), h, w);
    const bi = Math.floor(map / c);
    const ci = map % c;
    for (let p = 0; p < h * w; p++) maxErr = Math.max(maxErr, Math.abs(bre[p]! / (h * w) - got[(bi * h * w + p) * c + ci]!));
  });
  assert.ok(maxErr < 1e-5, `max abs difference ${maxErr}`);
});
