// Training mode differs from evaluation mode only through dropout, drop path and BatchNorm.
import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { createModel, getPreset } from '../../src/models/index.ts';
import type { Model } from '../../src/models/model.ts';
import { randomImages } from './helpers.ts';

const logits = (m: Model, x: tf.Tensor4D, training: boolean, seed?: number, updateStats?: boolean) =>
  Array.from(m.forward(x, { training, seed, updateStats }).dataSync());
const buffersOf = (m: Model) => new Map([...m.buffers].map(([k, v]) => [k, Array.from(v.dataSync())]));

test('transformers without dropout or drop path: training mode equals evaluation mode', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  for (const name of ['vit-tiny-test', 'vit-gap-tiny-test', 'swin-tiny-test']) {
    const m = createModel(name, { seed: 1 });
    const x = randomImages(2, 8, 5);
    assert.deepEqual(logits(m, x, true, 3), logits(m, x, false), name);
    m.dispose();
  }
});

test('drop path: training output depends on the seed, is reproducible, and evaluation ignores it', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  for (const name of ['vit-tiny-test', 'swin-tiny-test', 'alternet-tiny-test']) {
    const m = createModel({ ...getPreset(name), dropPathRate: 0.5 }, { seed: 1 });
    const x = randomImages(8, 8, 6);
    const a = logits(m, x, true, 11);
    assert.deepEqual(logits(m, x, true, 11), a, `${name}: same seed, same output`);
    const seeds = [12, 13, 14].map((s) => logits(m, x, true, s));
    assert.ok(seeds.some((o) => o.some((v, i) => v !== a[i])), `${name}: other seeds drop other paths`);
    const e = logits(m, x, false);
    assert.deepEqual(logits(m, x, false), e);
    assert.ok(a.some((v, i) => v !== e[i]), `${name}: training mode drops paths`);
    m.dispose();
  }
});

test('drop path zeroes whole samples of a branch: per-sample outputs either equal or differ from evaluation', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  // one block: the MLP branch is dropped or kept per sample; a kept branch is scaled by 1/(1-p)
  const cfg = { ...getPreset('vit-tiny-test'), depth: 1, dropPathRate: 0.5 };
  const m = createModel(cfg, { seed: 2 });
  const x = randomImages(16, 8, 7);
  const f = m.features(x, { training: true, seed: 5 });
  const attn = f[1]!.tensor; // residual stream after the (possibly dropped) MSA branch
  const emb = f[0]!.tensor;
  const diff = tf.sum(tf.abs(tf.sub(attn, emb)), [1, 2, 3]).dataSync();
  const dropped = Array.from(diff).filter((d) => d === 0).length;
  assert.ok(dropped > 0 && dropped < 16, `some but not all samples dropped (${dropped} of 16)`);
  for (const t of f) t.tensor.dispose();
  m.dispose();
});

test('dropout (dropRate) acts only in training mode', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const m = createModel({ ...getPreset('vit-tiny-test'), dropRate: 0.3 }, { seed: 1 });
  const x = randomImages(2, 8, 5);
  const e = logits(m, x, false);
  assert.ok(logits(m, x, true, 1).some((v, i) => v !== e[i]));
  assert.deepEqual(logits(m, x, true, 1), logits(m, x, true, 1));
  m.dispose();
});

test('BatchNorm: batch statistics in training mode; a momentum-0.1 update of the running buffers only with updateStats', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  for (const name of ['resnet-tiny-test', 'alternet-tiny-test']) {
    const m = createModel(name, { seed: 4 });
    const x = randomImages(4, 8, 9);
    const b0 = buffersOf(m);
    const e = logits(m, x, false);
    assert.deepEqual(buffersOf(m), b0, `${name}: evaluation leaves the buffers`);
    const t = logits(m, x, true, 1);
    assert.ok(t.some((v, i) => v !== e[i]), `${name}: training mode normalises with batch statistics`);
    assert.deepEqual(buffersOf(m), b0, `${name}: training mode without updateStats leaves the buffers`);
    logits(m, x, false, undefined, true);
    assert.deepEqual(buffersOf(m), b0, `${name}: updateStats in evaluation mode leaves the buffers`);
    assert.deepEqual(logits(m, x, true, 1, true), t, `${name}: updateStats does not change the output`);
    const b1 = buffersOf(m);
    for (const [k, v] of b1) assert.ok(v.some((a, i) => a !== b0.get(k)![i]), `${name}: ${k} updated`);
    // stem: the running mean moves 10% of the way to the batch mean of the stem conv output
    if (name === 'resnet-tiny-test') {
      const conv = tf.conv2d(x, m.params.get('stem.conv.kernel')! as tf.Tensor4D, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const { mean, variance } = tf.moments(conv, [0, 1, 2]);
      const n = 4 * 8 * 8;
      const em = Array.from(mean.dataSync()).map((v) => 0.1 * v);
      const ev = Array.from(variance.dataSync()).map((v) => 0.9 + 0.1 * v * (n / (n - 1)));
      b1.get('stem.bn.running_mean')!.forEach((v, i) => assert.ok(Math.abs(v - em[i]!) < 1e-5, `running mean ${v} vs ${em[i]}`));
      b1.get('stem.bn.running_var')!.forEach((v, i) => assert.ok(Math.abs(v - ev[i]!) < 1e-4, `running var ${v} vs ${ev[i]}`));
    }
    // evaluation now uses the updated running statistics
    assert.ok(logits(m, x, false).some((v, i) => v !== e[i]));
    // the parameters themselves never change in a forward pass
    m.dispose();
  }
});

test('transformers have no buffers; CNNs have two per BatchNorm', () => {
  const v = createModel('vit-tiny-test');
  assert.equal(v.buffers.size, 0);
  const r = createModel('resnet-tiny-test');
  const bns = r.paramInfo.filter((p) => p.name.endsWith('.gamma')).length;
  assert.equal(r.buffers.size, 2 * bns);
  v.dispose();
  r.dispose();
});
