import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import type { ParamInfo } from '../../src/models/model.ts';
import { createModel } from '../../src/models/create.ts';
import { decayedParams, DEFAULT_NO_DECAY_ROLES } from '../../src/train/weight-decay.ts';
import { binIndex, expectedCalibrationError } from '../../src/train/calibration.ts';
import { MetricAccumulator } from '../../src/train/metrics.ts';
import { applyMix, drawMix, type MixConfig } from '../../src/train/mixup.ts';
import { AdamW } from '../../src/train/adamw.ts';
import { Sgd } from '../../src/train/sgd.ts';
import { clipByGlobalNorm } from '../../src/train/clip.ts';
import { Rng } from '../../src/util/random.ts';

await initBackend({ backend: 'cpu', quiet: true });

test('weight decay excludes norms, biases, embeddings and position tables by role; [] decays all', () => {
  const info: Pick<ParamInfo, 'name' | 'shape' | 'role'>[] = [
    { name: 'patch.kernel', shape: [1], role: 'weight' },
    { name: 'patch.bias', shape: [1], role: 'bias' },
    { name: 'cls_token', shape: [1], role: 'embedding' },
    { name: 'pos_embed', shape: [1], role: 'position' },
    { name: 'blocks.0.norm1.gamma', shape: [1], role: 'norm' },
    { name: 'head.kernel', shape: [1], role: 'weight' },
  ];
  assert.deepEqual([...decayedParams(info)].sort(), ['head.kernel', 'patch.kernel']);
  assert.deepEqual([...decayedParams(info, [])].length, 6);
  assert.deepEqual([...decayedParams(info, ['norm'])].sort(), ['cls_token', 'head.kernel', 'patch.bias', 'patch.kernel', 'pos_embed']);
  assert.throws(() => decayedParams(info, ['bogus' as 'norm']), /unknown parameter role 'bogus'/);
  // On a real model every decayed parameter is a weight under the default exclusion.
  const model = createModel('vit-tiny-test', { numClasses: 4 });
  const decayed = decayedParams(model.paramInfo, DEFAULT_NO_DECAY_ROLES);
  assert.ok(decayed.size > 0 && decayed.size < model.paramInfo.length);
  for (const p of model.paramInfo) assert.equal(decayed.has(p.name), p.role === 'weight', p.name);
  model.dispose();
});

test('ECE on hand-computed cases (15 equal-width bins)', () => {
  // All in one bin (0.9 -> bin 13): |accuracy 0.5 - confidence 0.9| = 0.4.
  assert.ok(Math.abs(expectedCalibrationError([0.9, 0.9], [1, 0]) - 0.4) < 1e-12);
  // Perfectly calibrated: confidence 1 and correct.
  assert.equal(expectedCalibrationError([1, 1, 1], [1, 1, 1]), 0);
  // Two bins: {0.21 (wrong), 0.25 (right)} in bin 3 = (0.2, 0.2667] -> |0.5 - 0.23| = 0.27, weight 2/4;
  // {0.95 (right), 0.99 (right)} in bin 14 -> |1 - 0.97| = 0.03, weight 2/4. ECE = 0.15.
  assert.ok(Math.abs(expectedCalibrationError([0.21, 0.25, 0.95, 0.99], [0, 1, 1, 1]) - 0.15) < 1e-12);
  // 0.2 lies on an edge: it belongs to bin 2 = (0.1333, 0.2], apart from 0.25. ECE = (0.2 + 0.75 + 2 * 0.03) / 4.
  assert.ok(Math.abs(expectedCalibrationError([0.2, 0.25, 0.95, 0.99], [0, 1, 1, 1]) - 0.2525) < 1e-12);
  // Bin edges are (lo, hi]: 1/15 belongs to bin 0, just above it to bin 1.
  assert.equal(binIndex(1 / 15, 15), 0);
  assert.equal(binIndex(1 / 15 + 1e-9, 15), 1);
  assert.equal(binIndex(0, 15), 0);
  assert.equal(binIndex(1, 15), 14);
});

test('metric accumulator: NLL, top-1, top-5 and ECE from logits', () => {
  const acc = new MetricAccumulator();
  // 2 examples, 6 classes.
  const logits = new Float32Array([
    5, 1, 1, 1, 1, 1, // label 0: top-1 correct
    0, 1, 2, 3, 4, 5, // label 1: rank 5 of 6 (4 logits above) -> top-5 correct, top-1 wrong
  ]);
  acc.add(logits, [0, 1], 6);
  const r = acc.result();
  const lse0 = Math.log(Math.exp(5) + 5 * Math.exp(1));
  const lse1 = Math.log([0, 1, 2, 3, 4, 5].reduce((s, v) => s + Math.exp(v), 0));
  assert.ok(Math.abs(r.nll - ((lse0 - 5) + (lse1 - 1)) / 2) < 1e-6);
  assert.equal(r.acc, 0.5);
  assert.equal(r.top5, 1);
  const c0 = Math.exp(5 - lse0);
  const c1 = Math.exp(5 - lse1);
  assert.ok(Math.abs(r.ece - expectedCalibrationError([c0, c1], [1, 0])) < 1e-6);
  const acc2 = new MetricAccumulator();
  acc2.add(new Float32Array([0, 1, 2, 3, 4, 5]), [0], 6); // label 0 is ranked 6th
  assert.equal(acc2.result().top5, 0);
});

test('mixup/CutMix: every target row sums to 1 and label mass matches lambda', () => {
  const cfg: MixConfig = { mixupAlpha: 1.0, cutmixAlpha: 0.8, prob: 1, switchProb: 0.5 };
  const labels = Int32Array.from([0, 1, 2, 3, 4]);
  const x = tf.randomNormal([5, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const seen = new Set<string>();
  for (let s = 0; s < 40; s++) {
    const draw = drawMix(cfg, new Rng(s), 8, 8);
    seen.add(draw.mode);
    assert.ok(draw.lam >= 0 && draw.lam <= 1);
    const m = applyMix(x, labels, draw, 10, 0.1);
    const t = m.targets.arraySync();
    for (const row of t) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    // Weight on the own label: lam * (0.9 + 0.01) + (1 - lam) * 0.01 (partner differs).
    assert.ok(Math.abs(t[0]![0]! - (draw.lam * 0.91 + (1 - draw.lam) * 0.01)) < 1e-5);
    if (draw.mode === 'cutmix') {
      const box = draw.box!;
      const area = (box.y1 - box.y0) * (box.x1 - box.x0);
      assert.ok(Math.abs(draw.lam - (1 - area / 64)) < 1e-12);
      // Pixels inside the box come from the partner (image B-1-i), outside from the image itself.
      const xm = m.x.arraySync();
      const xs = x.arraySync();
      if (area > 0) assert.equal(xm[0]![box.y0]![box.x0]![0], xs[4]![box.y0]![box.x0]![0]);
      if (box.y0 > 0) assert.equal(xm[0]![0]![0]![0], xs[0]![0]![0]![0]);
    }
    tf.dispose([m.x, m.targets]);
  }
  assert.ok(seen.has('mixup') && seen.has('cutmix'), `modes seen: ${[...seen]}`);
  assert.equal(drawMix({ ...cfg, prob: 0 }, new Rng(1), 8, 8).mode, 'none');
  assert.equal(drawMix({ ...cfg, cutmixAlpha: 0 }, new Rng(1), 8, 8).mode, 'mixup');
  x.dispose();
});

test('AdamW matches the formula of torch.optim.AdamW for two steps, decay only where asked', () => {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const q = tf.variable(tf.tensor1d([3]));
  const params = new Map([['p', p], ['q', q]]);
  const opt = new AdamW({ weightDecay: 0.1, decay: new Set(['p']) });
  const lr = 0.01;
  const gs = [[0.5, -1], [0.25, 2]];
  let ref = [1, -2];
  let m = [0, 0];
  let v = [0, 0];
  for (let t = 1; t <= 2; t++) {
    const g = gs[t - 1]!;
    opt.apply(params, new Map([['p', tf.tensor1d(g)]]), lr);
    ref = ref.map((w, i) => {
      m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      return w * (1 - lr * 0.1) - (lr / (1 - 0.9 ** t)) * (m[i]! / denom);
    });
  }
  const got = Array.from(p.dataSync());
  ref.forEach((r, i) => assert.ok(Math.abs(got[i]! - r) < 1e-6, `${got[i]} vs ${r}`));
  assert.equal(q.dataSync()[0], 3); // no gradient: untouched
  assert.equal(opt.state().slots.size, 2);
  assert.equal(opt.state().step, 2);
  opt.dispose();
});

test('SGD with momentum and coupled weight decay; state round-trips', () => {
  const p = tf.variable(tf.tensor1d([1]));
  const opt = new Sgd({ momentum: 0.9, weightDecay: 0.5 });
  opt.apply(new Map([['p', p]]), new Map([['p', tf.tensor1d([1])]]), 0.1); // g=1.5, b=1.5, p=0.85
  opt.apply(new Map([['p', p]]), new Map([['p', tf.tensor1d([1])]]), 0.1); // g=1.425, b=2.775, p=0.5725
  assert.ok(Math.abs(p.dataSync()[0]! - 0.5725) < 1e-6);
  const copy = new Sgd({ momentum: 0.9, weightDecay: 0.5 });
  copy.load(opt.state());
  assert.equal(copy.step, 2);
  assert.ok(Math.abs(copy.state().slots.get('p#momentum')!.dataSync()[0]! - 2.775) < 1e-6);
  assert.throws(() => copy.load({ name: 'adamw', step: 1, slots: new Map() }), /expected 'sgd'/);
});

test('gradient clipping scales to the global norm only when above it', async () => {
  const g = new Map([['a', tf.tensor1d([3])], ['b', tf.tensor1d([4])]]);
  const r = await clipByGlobalNorm(g, 1);
  assert.ok(Math.abs(r.norm - 5) < 1e-6);
  assert.ok(r.clipped);
  assert.ok(Math.abs(r.grads.get('a')!.dataSync()[0]! - 0.6) < 1e-5);
  const s = await clipByGlobalNorm(g, 10);
  assert.equal(s.clipped, false);
  assert.equal(s.grads, g);
});
