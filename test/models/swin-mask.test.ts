// Shifted-window attention must not mix tokens that the cyclic shift brought together from opposite
// borders of the map.
import { test } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { createModel, getPreset } from '../../src/models/index.ts';
import { relativePositionIndex, roll2d, shiftedWindowMask, windowPartition, windowReverse } from '../../src/models/ops.ts';
import { randomImages } from './helpers.ts';

test('the mask allows exactly the pairs that were within a window distance before the shift', () => {
  for (const [size, ws, shift] of [[8, 4, 2], [8, 2, 1], [12, 4, 2], [6, 3, 1]] as const) {
    const mask = shiftedWindowMask(size, size, ws, shift);
    const n = ws * ws;
    const nw = size / ws;
    let blocked = 0;
    for (let wy = 0; wy < nw; wy++)
      for (let wx = 0; wx < nw; wx++)
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            // token coordinates in the shifted map, then where they came from in the original map
            const [yi, xi] = [wy * ws + Math.floor(i / ws), wx * ws + (i % ws)];
            const [yj, xj] = [wy * ws + Math.floor(j / ws), wx * ws + (j % ws)];
            const oy = (a: number) => (a + shift) % size;
            const near = Math.abs(oy(yi) - oy(yj)) < ws && Math.abs(oy(xi) - oy(xj)) < ws;
            const m = mask[((wy * nw + wx) * n + i) * n + j]!;
            assert.equal(m, near ? 0 : -100, `size ${size} ws ${ws} shift ${shift}: window (${wy},${wx}) pair ${i},${j}`);
            if (!near) blocked++;
          }
    assert.ok(blocked > 0);
  }
});

test('cyclic shift and window partition are inverted exactly', () => {
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => i), [2, 8, 8, 3]);
  const back = roll2d(windowReverse(windowPartition(roll2d(x, 2), 4), 4, 2, 8, 8), -2);
  assert.deepEqual(Array.from(back.dataSync()), Array.from(x.dataSync()));
  // roll by -s along H: row 0 of the result is row s of the input
  const r = roll2d(x, 3).arraySync();
  assert.deepEqual(r[0]![0]![0], x.arraySync()[0]![3]![3]);
});

test('relative position index covers the (2w-1)^2 table symmetrically', () => {
  const ws = 3;
  const idx = relativePositionIndex(ws);
  assert.equal(new Set(idx).size, (2 * ws - 1) ** 2);
  for (let i = 0; i < ws * ws; i++) assert.equal(idx[i * ws * ws + i], (ws - 1) * (2 * ws - 1) + ws - 1, 'zero offset in the centre');
});

test('perturbing a corner pixel reaches only its own and its shifted windows, never across the wrap', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  // one stage, block 0 unshifted, block 1 shifted by 1 (8x8 tokens, window 2)
  const cfg = { ...getPreset('swin-tiny-test'), depths: [2], heads: [1] };
  const model = createModel(cfg, { seed: 3 });
  const x = randomImages(1, 8, 4);
  const bump = tf.buffer([1, 8, 8, 3]);
  bump.set(1, 0, 0, 0, 0);
  const x2 = tf.add(x, bump.toTensor()) as tf.Tensor4D;
  const a = model.features(x);
  const b = model.features(x2);
  const changed = (name: string) => {
    const i = a.findIndex((f) => f.name === name);
    const d = tf.sum(tf.abs(tf.sub(a[i]!.tensor, b[i]!.tensor)), -1).arraySync() as number[][][];
    return d[0]!.map((row) => row.map((v) => v > 0)); // untouched tokens are computed identically: exactly 0
  };
  // after block 0 (windows aligned at 0): exactly the 2x2 window at the corner
  const c0 = changed('layers.0.blocks.0.mlp');
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) assert.equal(c0[y]![x], y < 2 && x < 2, `block 0 token (${y},${x})`);
  // after block 1 (windows shifted by 1): windows starting at 1 reach (1..2, 1..2); the window that
  // wraps (rows/cols 7 and 0) would reach 7 without the mask
  const c1 = changed('layers.0.blocks.1.attn');
  assert.ok(c1[2]![2], 'the shifted window spreads the change to (2,2)');
  for (const [y, x] of [[7, 7], [0, 7], [7, 0], [7, 1], [1, 7]] as const) assert.equal(c1[y]![x], false, `no leak across the wrap to (${y},${x})`);
  for (let y = 3; y < 7; y++) for (let x = 3; x < 7; x++) assert.equal(c1[y]![x], false, `(${y},${x}) is out of reach`);
  for (const f of [...a, ...b]) f.tensor.dispose();
  model.dispose();
});

test('the last stage of a map no larger than the window is not shifted', async () => {
  await initBackend({ backend: 'cpu', quiet: true });
  const m = createModel('swin-tiny-test');
  // stage 2 is 4x4 with window 2: shifted; a 2x2 stage with window 2 would not be
  const specs = (m as unknown as { specs: { name: string; shift: number; window: number }[] }).specs;
  assert.deepEqual(specs.map((s) => s.shift), [0, 1, 0, 1]);
  const t = createModel({ ...getPreset('swin-tiny-test'), imageSize: 4, depths: [2, 2] });
  const ts = (t as unknown as { specs: { shift: number; window: number }[] }).specs;
  assert.deepEqual(ts.map((s) => [s.window, s.shift]), [[2, 1], [2, 0], [2, 0], [2, 0]].map(([w, s], i) => (i < 2 ? [2, i % 2] : [w!, s!])));
  m.dispose();
  t.dispose();
});
