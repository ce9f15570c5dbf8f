import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt, scheduleCurve, type ScheduleConfig } from '../../src/train/schedule.ts';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('cosine: linear warm-up to the base rate, then half a cosine over the remaining steps', () => {
  const c: ScheduleConfig = { name: 'cosine', baseLr: 1, totalSteps: 110, stepsPerEpoch: 10, warmupSteps: 10 };
  close(learningRateAt(c, 0), 0.1);
  close(learningRateAt(c, 4), 0.5);
  close(learningRateAt(c, 9), 1);
  close(learningRateAt(c, 10), 1); // first post-warm-up step: cos(0)
  close(learningRateAt(c, 60), 0.5); // halfway through the 100 cosine steps
  close(learningRateAt(c, 35), 0.5 * (1 + Math.cos(Math.PI * 0.25)));
  const curve = scheduleCurve(c);
  assert.equal(curve.length, 110);
  for (let i = 11; i < 110; i++) assert.ok(curve[i]! < curve[i - 1]!, `not decreasing at ${i}`);
  assert.ok(curve[109]! > 0 && curve[109]! < 1e-3);
});

test('cosine decays towards minLr; warm-up may start from warmupStartLr', () => {
  const c: ScheduleConfig = { name: 'cosine', baseLr: 2, totalSteps: 20, stepsPerEpoch: 5, warmupSteps: 4, warmupStartLr: 1, minLr: 0.5 };
  close(learningRateAt(c, 0), 1.25);
  close(learningRateAt(c, 3), 2);
  close(learningRateAt(c, 12), 0.5 + 0.75 * (1 + Math.cos(Math.PI * 0.5)));
});

test('step decay: x gamma at each milestone epoch, after a one-epoch warm-up (the weak recipe)', () => {
  const c: ScheduleConfig = { name: 'step', baseLr: 0.1, totalSteps: 200 * 3, stepsPerEpoch: 3, warmupSteps: 3, milestones: [60, 120, 160], gamma: 0.2 };
  close(learningRateAt(c, 0), 0.1 / 3);
  close(learningRateAt(c, 3), 0.1);
  close(learningRateAt(c, 59 * 3 + 2), 0.1);
  close(learningRateAt(c, 60 * 3), 0.02);
  close(learningRateAt(c, 120 * 3), 0.004);
  close(learningRateAt(c, 160 * 3), 0.0008);
  close(learningRateAt(c, 599), 0.0008);
});

test('constant schedule and invalid configurations', () => {
  close(learningRateAt({ name: 'constant', baseLr: 0.3, totalSteps: 5, stepsPerEpoch: 5, warmupSteps: 0 }, 4), 0.3);
  assert.throws(() => scheduleCurve({ name: 'step', baseLr: 0.1, totalSteps: 5, stepsPerEpoch: 5, warmupSteps: 0 }), /'gamma'/);
  assert.throws(() => scheduleCurve({ name: 'cosine', baseLr: 0.1, totalSteps: 0, stepsPerEpoch: 5, warmupSteps: 0 }), /'totalSteps' is 0/);
});
