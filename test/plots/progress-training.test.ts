// trainingFigures (the report's and the results browser's rule: the per-step curve for runs of < 3 epochs) and
// unitProgressFigure (units finished over time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingFigures, unitProgressFigure, MIN_EPOCHS_FOR_CURVES, type TrainingCurves } from '../../src/plots/index.ts';

const curves = (label: string, epochs: number): TrainingCurves => {
  const e = Array.from({ length: epochs }, (_, i) => i + 1);
  return { label, epoch: e, trainLoss: e.map((x) => 4 / x), testLoss: e.map((x) => 4.2 / x), trainAcc: e.map((x) => x / 10), testAcc: e.map((x) => x / 12) };
};
const steps = (label: string, n: number) => ({ label, step: Array.from({ length: n }, (_, i) => i + 1), loss: Array.from({ length: n }, (_, i) => 4 - i / n) });

test('trainingFigures: runs of fewer than 3 epochs get the per-step curve only; longer runs also their epoch curves', () => {
  assert.equal(MIN_EPOCHS_FOR_CURVES, 3);
  const short = trainingFigures([{ curves: curves('a', 1), steps: steps('a', 8) }, { curves: curves('b', 2), steps: steps('b', 8) }]);
  assert.deepEqual(short.map((f) => f.name), ['training-loss-steps']);
  const mixed = trainingFigures([{ curves: curves('a', 1), steps: steps('a', 8) }, { curves: curves('b', 3), steps: steps('b', 8) }]);
  assert.deepEqual(mixed.map((f) => f.name), ['training-curves', 'training-loss-steps']);
  assert.deepEqual([...new Set(mixed[0]!.data.map((t) => String(t.name).split(' · ')[0]))], ['b']);
  // Without steps, a short run still shows its epochs (there is nothing else to show).
  assert.deepEqual(trainingFigures([{ curves: curves('c', 1) }]).map((f) => f.name), ['training-curves']);
  assert.deepEqual(trainingFigures([]), []);
});

test('unitProgressFigure: a cumulative count per model against time, the total as a dotted line; bad input named', () => {
  const fig = unitProgressFigure([
    { label: 'vit', finishedAt: ['2026-12-05T08:02:00Z', '2026-12-05T08:01:00Z', 'not a time'], total: 4 },
    { label: 'resnet', finishedAt: [], total: 4 },
  ]);
  assert.equal(fig.name, 'unit-progress');
  const vit = fig.data[0]!;
  assert.equal(vit.name, 'vit (2 of 4)');
  assert.deepEqual(vit.x, ['2026-12-05T08:01:00.000Z', '2026-12-05T08:02:00.000Z']);
  assert.deepEqual(vit.y, [1, 2]);
  assert.deepEqual(fig.data[1]!.y, [4, 4]);
  assert.equal(fig.data[2]!.name, 'resnet (0 of 4)');
  assert.throws(() => unitProgressFigure([{ label: 'x', finishedAt: [], total: -1 }]), /unitProgressFigure: series 'x' field 'total' is -1, expected a count >= 0/);
  assert.throws(() => unitProgressFigure([]), /unitProgressFigure: expected a non-empty array of series/);
});
