import { test, before } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { fourierByDepth, varianceByDepth, sliceBatches, normalisedDepth } from '../../src/analysis/depth.ts';
import { relativeLogAmplitude } from '../../src/analysis/fourier.ts';
import { featureMapVariance } from '../../src/analysis/variance.ts';
import { createModel } from '../../src/models/create.ts';
import { filterBankModel } from './stand-ins.ts';
import { segmentShapes } from '../../src/plots/depth.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

test('Fourier by depth: a blur block is low-pass, a Laplacian block high-pass; head maps excluded; depths normalised', async () => {
  const model = filterBankModel(16);
  const x = tf.randomNormal([12, 16, 16, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
  const blocks = await fourierByDepth(model, sliceBatches(x, 5));
  assert.deepEqual(blocks.map((b) => b.kind), ['embedding', 'msa', 'conv']);
  assert.deepEqual(blocks.map((b) => b.depth), [0, 0.5, 1]);
  const [input, blur, lap] = blocks;
  assert.ok(blur!.deltaAtHighest < input!.deltaAtHighest - 1, `blur ${blur!.deltaAtHighest} vs input ${input!.deltaAtHighest}`);
  assert.ok(lap!.deltaAtHighest > input!.deltaAtHighest + 1, `laplacian ${lap!.deltaAtHighest} vs input ${input!.deltaAtHighest}`);
  // The authors' diag[H/2 : H] by default: 8 points on 16 x 16 maps, 0 ... 7/8 π, drawn on 0 ... 1.
  assert.equal(blur!.frequency.length, 8);
  assert.equal(blur!.relative.length, 8);
  assert.equal(blur!.highestFrequency, 14 / 16);
  assert.deepEqual(blur!.plotFrequency, Array.from({ length: 8 }, (_, k) => k / 7));
  // Batched accumulation equals a single pass over all images.
  const [, blurAll] = model.features(x);
  const direct = await relativeLogAmplitude(blurAll!.tensor, 'authors');
  blur!.relative.forEach((v, k) => assert.ok(Math.abs(v - direct[k]!) < 1e-4, `k=${k}: ${v} vs ${direct[k]}`));
  // 'nyquist' adds the point at π, drawn at its frequency; the others are the same.
  const withNyquist = await fourierByDepth(model, sliceBatches(x, 5), { diagonal: 'nyquist' });
  const nb = withNyquist[1]!;
  assert.equal(nb.relative.length, 9);
  assert.equal(nb.highestFrequency, 1);
  assert.deepEqual(nb.plotFrequency, nb.frequency);
  blur!.relative.forEach((v, k) => assert.ok(Math.abs(v - nb.relative[k]!) < 1e-6));
  x.dispose();
});

test('variance by depth equals featureMapVariance of each block over all images', async () => {
  const model = filterBankModel(8);
  const x = tf.randomNormal([10, 8, 8, 3], 0, 2, 'float32', 5) as tf.Tensor4D;
  const blocks = await varianceByDepth(model, sliceBatches(x, 4));
  const maps = model.features(x);
  assert.equal(blocks.length, 3);
  for (const [i, b] of blocks.entries()) {
    const direct = await featureMapVariance(maps[i]!.tensor);
    assert.ok(Math.abs(b.variance - direct) < 1e-4 * direct, `${b.name}: ${b.variance} vs ${direct}`);
  }
  // A blur lowers spatial variance of white noise, a Laplacian raises it.
  assert.ok(blocks[1]!.variance < blocks[0]!.variance && blocks[2]!.variance > blocks[0]!.variance);
});

test('runs over a real model preset: every non-head block analysed, depth from 0 to 1', async () => {
  const model = createModel('vit-tiny-test', { numClasses: 3, seed: 1 });
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
  const maps = model.features(x);
  const expected = maps.filter((m) => m.kind !== 'head' && m.tensor.shape[1] >= 2).length;
  maps.forEach((m) => m.tensor.dispose());
  const before = tf.memory().numTensors;
  const blocks = await fourierByDepth(model, [x]);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(blocks.length, expected);
  assert.equal(blocks[0]!.depth, 0);
  assert.equal(blocks.at(-1)!.depth, 1);
  assert.ok(blocks.every((b) => Number.isFinite(b.deltaAtHighest)));
  assert.equal(normalisedDepth(0, 1), 0);
  model.dispose();
});

test("depth figure shades the segment [depth[i-1], depth[i]] an MSA or pooling block produced, as the authors' notebooks", () => {
  const depth = [0, 0.25, 0.5, 0.75, 1];
  const kinds = ['embedding', 'msa', 'mlp', 'pool', 'msa'] as const;
  const shapes = segmentShapes(depth, [...kinds]) as { x0: number; x1: number; fillcolor: string }[];
  assert.deepEqual(shapes.map((s) => [s.x0, s.x1]), [[0, 0.25], [0.5, 0.75], [0.75, 1]]);
  assert.deepEqual(shapes.map((s) => s.fillcolor.startsWith('rgba(128')), [true, false, true]);
  // a first block has no segment before it
  assert.equal(segmentShapes([0, 1], ['msa', 'mlp']).length, 0);
});
