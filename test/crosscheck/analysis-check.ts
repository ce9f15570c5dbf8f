// The analyses of the PyTorch cross-check, on the same model and data as model-check.ts, with the `paper`
// protocol's settings: Fourier Δ log amplitude (diag[H/2 : H]), feature-map variance, the noisy images of one
// frequency band (authors' square-band mask, δ = eps·sign(N(0,1)), the same δ on both sides) and the accuracy
// change, and the loss landscape on a 3 x 3 grid (directions normalised like torch.norm(w, dim=0), NLL on
// soft targets + 0.05·Σ‖p‖₂) with the same Gaussian draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import type { Model } from '../../src/models/index.ts';
import type { SafeTensor } from '../../src/models/safetensors.ts';
import { fourierByDepth, sliceBatches, varianceByDepth } from '../../src/analysis/depth.ts';
import { frequencyNoise } from '../../src/analysis/noise.ts';
import { noiseRobustness } from '../../src/analysis/noise-robustness.ts';
import { lossLandscape, randomDirection } from '../../src/analysis/landscape.ts';
import { FOURIER_PROTOCOLS } from '../../src/analysis/fourier-protocol.ts';
import { NOISE_PROTOCOLS } from '../../src/analysis/noise-protocol.ts';
import { LANDSCAPE_PROTOCOLS } from '../../src/analysis/landscape-protocol.ts';
import { Rng } from '../../src/util/random.ts';
import type { Agreement, Arrays } from './helpers.ts';

const PAPER_FOURIER = FOURIER_PROTOCOLS.protocols.paper.settings;
const PAPER_NOISE = NOISE_PROTOCOLS.protocols.paper.settings;
const PAPER_LANDSCAPE = LANDSCAPE_PROTOCOLS.protocols.paper.settings;

/** The band compared (units of pi) and the noiseRobustness seed; its band index is 0, so δ's seed is seed·7919 + 1. */
export const NOISE_BAND = 0.5;
const NOISE_SEED = 3;
const NOISE_IMAGES = 32;
const LANDSCAPE_SEED = 5;
const LANDSCAPE_RESOLUTION = 3;

export interface AnalysisInputs {
  noiseX: tf.Tensor4D;
  noiseLabels: Int32Array;
  arrays: Arrays;
  job: { noise: unknown; landscape: unknown };
  dispose(): void;
}

/**
 * The Gaussian draws of randomDirection(model, new Rng(seed)) for both directions, flat in parameter order
 * (it draws for every parameter, ignored ones included, in model order).
 */
function directionDraws(model: Model, seed: number): [Float32Array, Float32Array] {
  const rng = new Rng(seed);
  const dim = model.paramInfo.reduce((s, i) => s + i.shape.reduce((a, b) => a * b, 1), 0);
  const draw = () => Float32Array.from({ length: dim }, () => rng.normal());
  const d1 = draw();
  return [d1, draw()];
}

/** δ = eps·sign(N(0,1)) as frequencyNoise draws it from its seed: maps [B·C, H, W] in order, returned NHWC. */
function signNoise(shape: [number, number, number, number], eps: number, seed: number): Float32Array {
  const [b, h, w, c] = shape;
  const rng = new Rng(seed);
  const out = new Float32Array(b * h * w * c);
  for (let i = 0; i < b; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((i * h + y) * w + x) * c + ch] = eps * Math.sign(rng.normal());
  return out;
}

export function prepareAnalysisInputs(model: Model, rng: Rng): AnalysisInputs {
  const s = model.config.imageSize;
  const shape: [number, number, number, number] = [NOISE_IMAGES, s, s, 3];
  const noiseX = tf.tensor4d(Float32Array.from({ length: NOISE_IMAGES * s * s * 3 }, () => rng.normal()), shape);
  // An untrained model predicts one class for every image (its mean features dominate the logits), so no noise
  // could change a prediction. Centring each class's logit over these images (through the head bias) makes the
  // prediction depend on the image.
  const bias = model.params.get('head.bias')!;
  tf.tidy(() => bias.assign(tf.sub(bias, tf.mean(model.forward(noiseX, { training: false }), 0))));
  // Labels are the model's own clean predictions: clean accuracy is 100% and any change is the noise's doing.
  const pred = tf.tidy(() => tf.argMax(model.forward(noiseX, { training: false }), -1));
  const noiseLabels = Int32Array.from(pred.dataSync());
  pred.dispose();
  const delta = signNoise(shape, PAPER_NOISE.scale, NOISE_SEED * 7919 + 1);
  const [d1, d2] = directionDraws(model, LANDSCAPE_SEED);
  return {
    noiseX,
    noiseLabels,
    arrays: {
      noise_x: { data: noiseX.dataSync() as Float32Array, shape },
      noise_labels: { data: noiseLabels, shape: [NOISE_IMAGES] },
      noise_delta: { data: delta, shape },
      landscape_d1: { data: d1, shape: [d1.length] },
      landscape_d2: { data: d2, shape: [d2.length] },
    },
    job: {
      noise: { frequency: NOISE_BAND, s: PAPER_NOISE.bandwidth * Math.PI },
      landscape: { weightDecay: PAPER_LANDSCAPE.l2, range: [-1, 1], resolution: LANDSCAPE_RESOLUTION },
    },
    dispose: () => noiseX.dispose(),
  };
}

export interface AnalysisCheckContext {
  label: string;
  agreement: Agreement;
  model: () => Model;
  inputs: () => AnalysisInputs;
  x: () => tf.Tensor4D;
  targets: () => tf.Tensor2D;
  outputs: () => Promise<Map<string, SafeTensor>>;
  check: (quantity: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, tolerance: number) => number;
}

/** Stated tolerances (max relative difference, float32 on both sides). */
const TOLERANCE = { fourier: 2e-5, variance: 1e-5, noisyImages: 1e-5, directions: 1e-5, landscape: 1e-5 };

export function analysisChecks(c: AnalysisCheckContext): void {
  const get = (m: Map<string, SafeTensor>, key: string): SafeTensor => {
    const t = m.get(key);
    assert.ok(t, `PyTorch output has no '${key}'`);
    return t;
  };

  test("Fourier: every block's Δ log amplitude (paper: diag[H/2 : H]) by fourierByDepth, in 2 batches, agrees with fourier_analysis.ipynb on all images", async () => {
    const out = await c.outputs();
    const blocks = await fourierByDepth(c.model(), sliceBatches(c.x(), Math.ceil(c.x().shape[0] / 2)), { diagonal: PAPER_FOURIER.diagonal });
    const names = [...out.keys()].filter((k) => k.startsWith('fourier/')).map((k) => k.slice('fourier/'.length));
    assert.deepEqual(blocks.map((b) => b.name), names, 'analysed blocks');
    const ours: number[] = [];
    const theirs: number[] = [];
    for (const b of blocks) {
      const ref = get(out, `fourier/${b.name}`).data;
      assert.equal(b.relative.length, ref.length, `${b.name}: curve length`);
      assert.equal(b.deltaAtHighest, b.relative[b.relative.length - 1], `${b.name}: Δ at the highest frequency is the curve's last point`);
      ours.push(...b.relative);
      theirs.push(...Array.from(ref));
    }
    c.check('Δ log amplitude (Fourier, every block)', ours, theirs, TOLERANCE.fourier);
  });

  test('feature-map variance of every block by varianceByDepth, in 2 batches, agrees with featuremap_variance.ipynb on all images', async () => {
    const out = await c.outputs();
    const blocks = await varianceByDepth(c.model(), sliceBatches(c.x(), Math.ceil(c.x().shape[0] / 2)));
    c.check('feature-map variance (every block)', blocks.map((b) => b.variance), get(out, 'variance').data, TOLERANCE.variance);
  });

  test(`frequency noise at ${NOISE_BAND}π: the noisy images (same δ) and the accuracy change agree with ops/adversarial.py FreqAttack`, async () => {
    const out = await c.outputs();
    const inp = c.inputs();
    const shape = inp.noiseX.shape;
    const settings = { bandwidth: PAPER_NOISE.bandwidth, scale: PAPER_NOISE.scale, noise: PAPER_NOISE.noise, mask: PAPER_NOISE.mask };
    const noise = await frequencyNoise(shape, { frequency: NOISE_BAND, seed: NOISE_SEED * 7919 + 1, ...settings });
    const noisy = tf.add(inp.noiseX, noise);
    const ours = await noisy.data();
    tf.dispose([noise, noisy]);
    c.check(`noisy images at ${NOISE_BAND}π (same δ)`, ours, get(out, 'noisy_images').data, TOLERANCE.noisyImages);
    const [r] = await noiseRobustness([{ label: c.label, model: c.model() }], { x: inp.noiseX, y: inp.noiseLabels }, {
      frequencies: [NOISE_BAND], seed: NOISE_SEED, groups: 1, ...settings,
    });
    const [clean, noisyAcc, change] = Array.from(get(out, 'accuracy').data);
    console.log(`# ${c.label} noise ${NOISE_BAND}π: accuracy change vitscope ${r!.accuracyChange[0]} %, PyTorch ${change} % (clean ${clean} %, noisy ${noisyAcc} %)`);
    assert.equal(r!.cleanAccuracy, clean, 'clean accuracy');
    // Tolerance: one image (100/N points), in case a prediction sits on a float32 tie.
    const onePoint = 100 / NOISE_IMAGES;
    const diff = Math.abs(r!.accuracyChange[0]! - change!);
    c.agreement.record(c.label, `accuracy change at ${NOISE_BAND}π (points, ${NOISE_IMAGES} images)`, diff, onePoint);
    assert.ok(diff <= onePoint, `accuracy change: vitscope ${r!.accuracyChange[0]}, PyTorch ${change}`);
  });

  test('loss landscape: directions (torch.norm(w, dim=0), ignored parameters) and the 3 x 3 grid of NLL + 0.05·Σ‖p‖₂ agree with ops/loss_landscapes.py', async () => {
    const out = await c.outputs();
    const model = c.model();
    const rng = new Rng(LANDSCAPE_SEED);
    const dirs = [randomDirection(model, rng, PAPER_LANDSCAPE.normalization), randomDirection(model, rng, PAPER_LANDSCAPE.normalization)] as const;
    try {
      dirs.forEach((d, i) => {
        const flat = model.paramInfo.flatMap((info) => Array.from(d.get(info.name)!.dataSync()));
        c.check(`landscape direction ${i + 1}`, flat, get(out, `direction${i + 1}`).data, TOLERANCE.directions);
      });
    } finally {
      for (const d of dirs) tf.dispose([...d.values()]);
    }
    const targets = c.targets();
    const y = Int32Array.from(tf.tidy(() => tf.argMax(targets, -1)).dataSync());
    const land = await lossLandscape(model, [{ x: c.x(), y, targets }], {
      resolution: LANDSCAPE_RESOLUTION, range: [-1, 1], seed: LANDSCAPE_SEED, normalization: PAPER_LANDSCAPE.normalization, l2: PAPER_LANDSCAPE.l2,
    });
    const grid = get(out, 'landscape');
    // rows (x, y, nll, l2, loss) in the authors' order: y outer, x inner — loss[j][i] here
    const theirs = Array.from({ length: grid.shape[0]! }, (_, r) => grid.data[r * 5 + 4]!);
    const theirsXY = Array.from({ length: grid.shape[0]! }, (_, r) => [grid.data[r * 5]!, grid.data[r * 5 + 1]!]);
    const oursXY = land.y.flatMap((yv) => land.x.map((xv) => [xv, yv]));
    assert.deepEqual(oursXY, theirsXY, 'grid coordinates and order');
    c.check('landscape loss, 3 x 3 grid', land.loss.flat(), theirs, TOLERANCE.landscape);
  });
}
