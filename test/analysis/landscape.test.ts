import { test, before } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { normalizeDirection, randomDirection, lossLandscape, evaluateAt, isIgnoredParam, pytorchDim0Axis, pytorchDim0Axes, filterAxes, clipLandscape } from '../../src/analysis/landscape.ts';
import { createModel } from '../../src/models/create.ts';
import { crossEntropy } from '../../src/train/losses.ts';
import { Rng } from '../../src/util/random.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

function sliceNorms(t: tf.Tensor): number[] {
  const last = t.shape[t.shape.length - 1]!;
  const v = t.dataSync();
  const out = new Array<number>(last).fill(0);
  for (let i = 0; i < v.length; i++) out[i % last]! += v[i]! ** 2;
  return out.map(Math.sqrt);
}

test('filter normalisation gives each filter of the direction the norm of the weight filter', () => {
  const weight = tf.randomNormal([3, 3, 2, 5], 0, 1, 'float32', 1);
  // Scale weight filters very differently so a wrong axis would show.
  const scaled = tf.mul(weight, tf.tensor1d([0.01, 0.1, 1, 10, 100]));
  const direction = tf.randomNormal([3, 3, 2, 5], 0, 1, 'float32', 2);
  const d = normalizeDirection(direction, scaled, 'filter');
  const want = sliceNorms(scaled);
  sliceNorms(d).forEach((v, i) => assert.ok(Math.abs(v / want[i]! - 1) < 1e-4, `filter ${i}: ${v} vs ${want[i]}`));
  // Direction within each filter is kept (positive multiple).
  const ratio = tf.div(d, direction).dataSync();
  for (let i = 0; i < ratio.length; i++) assert.ok(ratio[i]! > 0);
  const dense = normalizeDirection(tf.randomNormal([7, 3], 0, 1, 'float32', 3), tf.mul(tf.randomNormal([7, 3], 0, 1, 'float32', 4), tf.tensor1d([1, 5, 25])), 'filter');
  assert.equal(sliceNorms(dense).length, 3);
  const t = normalizeDirection(direction, scaled, 'tensor');
  assert.ok(Math.abs(tf.norm(t).dataSync()[0]! / tf.norm(scaled).dataSync()[0]! - 1) < 1e-4);
  assert.ok(Math.abs(sliceNorms(t)[0]! / want[0]! - 1) > 0.5, 'tensor mode should not match per-filter norms');
});

test('random directions: zero on 1-D, norm and position parameters, filter-normalised elsewhere, seeded', () => {
  const model = createModel('vit-tiny-test', { numClasses: 3, seed: 2 });
  const d = randomDirection(model, new Rng(5));
  const again = randomDirection(model, new Rng(5));
  let ignored = 0;
  for (const info of model.paramInfo) {
    const t = d.get(info.name)!;
    assert.deepEqual(t.shape, info.shape);
    if (isIgnoredParam(info)) {
      ignored++;
      assert.equal(tf.max(tf.abs(t)).dataSync()[0], 0, `${info.name} should be zero`);
    } else {
      const w = sliceNorms(model.params.get(info.name)!);
      sliceNorms(t).forEach((v, i) => assert.ok(Math.abs(v - w[i]!) < 1e-4 * Math.max(1, w[i]!), `${info.name} filter ${i}`));
    }
    assert.deepEqual(t.dataSync(), again.get(info.name)!.dataSync());
  }
  assert.ok(ignored > 0 && model.paramInfo.some((p) => p.role === 'position' && isIgnoredParam(p)));
  model.dispose();
});

test('the landscape centre is the model loss; zero directions give a flat surface; l2 adds the authors term', async () => {
  const model = createModel('resnet-tiny-test', { numClasses: 4, seed: 3 });
  const x = tf.randomNormal([12, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
  const y = Int32Array.from({ length: 12 }, (_, i) => i % 4);
  const batches = [
    { x: tf.slice(x, [0, 0, 0, 0], [7, -1, -1, -1]) as tf.Tensor4D, y: y.slice(0, 7) },
    { x: tf.slice(x, [7, 0, 0, 0], [5, -1, -1, -1]) as tf.Tensor4D, y: y.slice(7) },
  ];
  const direct = tf.tidy(() => crossEntropy(model.forward(x, { training: false }), tf.tensor1d(y, 'int32')).dataSync()[0]!);

  const surface = await lossLandscape(model, batches, { resolution: 3, seed: 1 });
  assert.deepEqual(surface.x, [-1, 0, 1]);
  assert.equal(surface.loss.length, 3);
  assert.ok(Math.abs(surface.centre.nll - direct) < 1e-4, `centre ${surface.centre.nll} vs ${direct}`);
  assert.ok(Math.abs(surface.loss[1]![1]! - direct) < 1e-4);
  assert.ok(surface.loss.flat().every(Number.isFinite));
  // Moving a full weight norm along a random direction changes the loss.
  assert.ok(surface.loss.flat().some((v) => Math.abs(v - direct) > 1e-3));

  const zero = new Map(model.paramInfo.map((p) => [p.name, tf.zeros(p.shape)]));
  const flat = await lossLandscape(model, batches, { resolution: 2, range: [-2, 3], directions: [zero, zero] });
  flat.loss.flat().forEach((v) => assert.ok(Math.abs(v - direct) < 1e-4));

  const withL2 = await evaluateAt(model, batches, model.params, { l2: 0.05 });
  let norms = 0;
  for (const p of model.params.values()) norms += Math.sqrt(Array.from(p.dataSync()).reduce((s, v) => s + v * v, 0));
  assert.ok(Math.abs(withL2.loss - withL2.nll - 0.05 * norms) < 1e-3, `l2 term ${withL2.loss - withL2.nll} vs ${0.05 * norms}`);
  model.dispose();
});

/**
 * ops/loss_landscapes.py normalize_filter on the PyTorch layout, written out: w and d as [out, ...rest],
 * norms over dim 0 at every rest position, d · ‖w‖ / (‖d‖ + 1e-7).
 */
function torchNormalizeDim0(w: Float64Array, d: Float64Array, out: number): Float64Array {
  const rest = w.length / out;
  const res = new Float64Array(d.length);
  for (let r = 0; r < rest; r++) {
    let wn = 0;
    let dn = 0;
    for (let o = 0; o < out; o++) {
      wn += w[o * rest + r]! ** 2;
      dn += d[o * rest + r]! ** 2;
    }
    for (let o = 0; o < out; o++) res[o * rest + r] = (Math.sqrt(wn) / (Math.sqrt(dn) + 1e-7)) * d[o * rest + r]!;
  }
  return res;
}

/** Our conv kernel [kh, kw, in, out] -> PyTorch [out, in, kh, kw] (flat), and back. */
function convToTorch(t: Float32Array | Float64Array, [kh, kw, cin, cout]: number[]): Float64Array {
  const out = new Float64Array(t.length);
  for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) for (let i = 0; i < cin!; i++) for (let o = 0; o < cout!; o++)
    out[((o * cin! + i) * kh! + y) * kw! + x] = t[((y * kw! + x) * cin! + i) * cout! + o]!;
  return out;
}

test("'authors' normalisation is torch.norm(w, dim=0) on the PyTorch layout: our kernels' last axis, the class token's first", () => {
  const shape = [3, 3, 2, 5];
  const weight = tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 7), tf.tensor1d([0.01, 0.1, 1, 10, 100]));
  const direction = tf.randomNormal(shape, 0, 1, 'float32', 8);
  const got = convToTorch(normalizeDirection(direction, weight, 'authors', { axis: pytorchDim0Axis({ layout: 'conv', shape }) }).dataSync() as Float32Array, shape);
  const want = torchNormalizeDim0(convToTorch(weight.dataSync() as Float32Array, shape), convToTorch(direction.dataSync() as Float32Array, shape), 5);
  want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `conv entry ${i}: ${got[i]} vs ${v}`));
  // dense [in, out] is PyTorch's [out, in] transposed
  const dw = tf.randomNormal([4, 3], 0, 1, 'float32', 9);
  const dd = tf.randomNormal([4, 3], 0, 1, 'float32', 10);
  const dense = tf.transpose(normalizeDirection(dd, dw, 'authors', { axis: pytorchDim0Axis({ layout: 'dense', shape: [4, 3] }) })).dataSync();
  const denseWant = torchNormalizeDim0(Float64Array.from(tf.transpose(dw).dataSync()), Float64Array.from(tf.transpose(dd).dataSync()), 3);
  denseWant.forEach((v, i) => assert.ok(Math.abs(dense[i]! - v) <= 1e-5 * Math.max(1, Math.abs(v)), `dense entry ${i}`));
  // the class token [1, 1, C] has PyTorch's layout: dim 0 has size 1, so each entry becomes sign(d)·|w|
  const tw = tf.tensor3d([[[0.5, -2, 3]]]);
  const td = tf.tensor3d([[[-1, 4, 0.25]]]);
  const token = normalizeDirection(td, tw, 'authors', { axis: pytorchDim0Axis({ layout: 'tokens', shape: [1, 1, 3] }) }).dataSync();
  [-0.5, 2, 3].forEach((v, i) => assert.ok(Math.abs(token[i]! - v) < 1e-5, `token ${i}: ${token[i]} vs ${v}`));
  // neither Li et al.'s per-filter rule nor per-tensor scaling
  const filter = convToTorch(normalizeDirection(direction, weight, 'filter').dataSync() as Float32Array, shape);
  assert.ok(filter.some((v, i) => Math.abs(v - want[i]!) > 1e-2 * Math.max(1, Math.abs(v))));
  tf.dispose([weight, direction, dw, dd, tw, td]);
});

test('a depthwise filter [kh, kw, C, M] is normalised per (c, m) filter by its declared layout, and as PyTorch [C*M, 1, kh, kw] in authors mode', () => {
  const [kh, kw, c, m] = [3, 3, 2, 3];
  const shape = [kh, kw, c, m];
  const info = { layout: 'depthwise' as const, shape };
  assert.deepEqual(filterAxes(info), [2, 3]);
  assert.deepEqual(pytorchDim0Axes(info), [2, 3]);
  assert.throws(() => pytorchDim0Axis(info), /pytorchDim0Axes/);
  // weights with very different scales per (c, m) filter, so a wrong axis shows
  const scales = Float32Array.from({ length: c * m }, (_, i) => 10 ** (i - 2));
  const weight = tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 21), tf.reshape(tf.tensor1d(scales), [1, 1, c, m]));
  const direction = tf.randomNormal(shape, 0, 1, 'float32', 22);
  const w = weight.dataSync();
  const d = direction.dataSync();
  const at = (y: number, x: number, ci: number, mi: number) => ((y * kw + x) * c + ci) * m + mi;
  // filter mode: each (c, m) slice [kh, kw] of the result has the norm of the weight's slice
  const got = normalizeDirection(direction, weight, 'filter', { filterAxes: filterAxes(info) }).dataSync();
  for (let ci = 0; ci < c; ci++)
    for (let mi = 0; mi < m; mi++) {
      let gn = 0;
      let wn = 0;
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
        gn += got[at(y, x, ci, mi)]! ** 2;
        wn += w[at(y, x, ci, mi)]! ** 2;
      }
      assert.ok(Math.abs(Math.sqrt(gn) - Math.sqrt(wn)) <= 1e-4 * Math.sqrt(wn), `filter (${ci}, ${mi}): ${Math.sqrt(gn)} vs ${Math.sqrt(wn)}`);
    }
  // the last-axis rule a rank guess would apply gives other norms
  const wrong = normalizeDirection(direction, weight, 'filter').dataSync();
  assert.ok(wrong.some((v, i) => Math.abs(v - got[i]!) > 1e-3 * Math.max(1e-3, Math.abs(got[i]!))));
  // authors mode: torch.norm(dim=0) on PyTorch's [C*M, 1, kh, kw] (output channel c*M + m)
  const toTorch = (t: ArrayLike<number>) => {
    const out = new Float64Array(t.length);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let ci = 0; ci < c; ci++) for (let mi = 0; mi < m; mi++)
      out[((ci * m + mi) * kh + y) * kw + x] = t[at(y, x, ci, mi)]!;
    return out;
  };
  const authors = toTorch(normalizeDirection(direction, weight, 'authors', { axes: pytorchDim0Axes(info) }).dataSync());
  const want = torchNormalizeDim0(toTorch(w), toTorch(d), c * m);
  want.forEach((v, i) => assert.ok(Math.abs(authors[i]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `authors entry ${i}: ${authors[i]} vs ${v}`));
  tf.dispose([weight, direction]);
});

test('clipLandscape: loss minus its minimum, points more than clip above it dropped (NaN)', () => {
  const z = clipLandscape([[3, 2.5], [50, 2]], 1);
  assert.deepEqual(z[0], [1, 0.5]);
  assert.ok(Number.isNaN(z[1]![0]!));
  assert.equal(z[1]![1], 0);
  assert.deepEqual(clipLandscape([[3, 50]], 0), [[0, 47]], 'clip 0 keeps every point');
});
