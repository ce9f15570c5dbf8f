import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { createModel } from '../../src/models/index.ts';
import type { Model } from '../../src/models/model.ts';
import { AdamW } from '../../src/train/adamw.ts';
import { clipByGlobalNorm } from '../../src/train/clip.ts';
import { softCrossEntropy, smoothedOneHot } from '../../src/train/losses.ts';
import { makeTrainStep } from '../../src/train/step.ts';
import { Rng } from '../../src/util/random.ts';

await initBackend({ backend: 'cpu', quiet: true });

function batch(seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const rng = new Rng(seed);
  const x = tf.tensor4d(Float32Array.from({ length: 4 * 8 * 8 * 3 }, () => rng.normal()), [4, 8, 8, 3]);
  return { x, y: smoothedOneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4, 0.1) };
}

async function values(model: Model): Promise<Float32Array[]> {
  return Promise.all([...model.params.values(), ...model.buffers.values()].map(async (t) => (await t.data()) as Float32Array));
}

test('a training step equals forward, loss, gradients, clipping and AdamW written out, to the bit; logits, norm and loss come back', async () => {
  const viaStep = createModel('resnet-a-tiny-test', { seed: 1, numClasses: 4 });
  const byHand = createModel('resnet-a-tiny-test', { seed: 1, numClasses: 4 });
  const optStep = new AdamW({ weightDecay: 0.05 });
  const optHand = new AdamW({ weightDecay: 0.05 });
  const step = makeTrainStep(viaStep, optStep);
  const { x, y } = batch(2);
  let clippedSteps = 0;
  for (let s = 0; s < 2; s++) {
    const r = await step({ x, y }, { lr: 1e-2, seed: s, clipNorm: 0.5, logits: true });
    // the same step, by hand
    let logits: tf.Tensor | null = null;
    const vars = [...byHand.params.values()];
    const { value, grads } = tf.variableGrads(() => {
      const out = byHand.forward(x, { training: true, updateStats: true, seed: s });
      logits = tf.keep(out);
      return softCrossEntropy(out, y);
    }, vars);
    const named = new Map([...byHand.params].map(([k, v]) => [k, grads[v.name]!]));
    const clipped = await clipByGlobalNorm(named, 0.5);
    optHand.apply(byHand.params, clipped.grads, 1e-2);
    assert.equal(r.loss, (await value.data())[0]);
    assert.equal(r.gradNorm, clipped.norm);
    assert.equal(r.clipped, clipped.clipped);
    assert.ok(r.updated);
    if (r.clipped) clippedSteps++;
    assert.deepEqual(r.logits, await logits!.data());
    tf.dispose([value, logits!, ...named.values(), ...(clipped.clipped ? clipped.grads.values() : [])]);
  }
  assert.ok(clippedSteps > 0, 'no step was clipped: the clipping path went untested');
  assert.deepEqual(await values(viaStep), await values(byHand));
  tf.dispose([x, y]);
  optStep.dispose();
  optHand.dispose();
  viaStep.dispose();
  byHand.dispose();
});

test('without an optimizer (or with a non-finite loss) a step changes no parameter (nor BatchNorm statistics with updateStats false); no tensors left', async () => {
  const model = createModel('resnet-a-tiny-test', { seed: 3, numClasses: 4 });
  const { x, y } = batch(4);
  const before = await values(model);
  const tensors = tf.memory().numTensors;
  const r = await makeTrainStep(model, null)({ x, y }, { lr: 1, seed: 0, updateStats: false });
  assert.ok(Number.isFinite(r.loss) && r.gradNorm > 0);
  assert.equal(r.updated, false);
  assert.equal(r.logits, undefined);
  assert.deepEqual(await values(model), before);
  const optimizer = new AdamW();
  const nan = tf.mul(x, Number.NaN) as tf.Tensor4D;
  const diverged = await makeTrainStep(model, optimizer)({ x: nan, y }, { lr: 1, seed: 0, updateStats: false });
  assert.ok(Number.isNaN(diverged.loss));
  assert.equal(diverged.updated, false);
  assert.deepEqual(await values(model), before);
  assert.equal(tf.memory().numTensors, tensors + 1, 'only the NaN input is new');
  optimizer.dispose();
  tf.dispose([x, y, nan]);
  model.dispose();
});
