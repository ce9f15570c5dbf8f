// The Lanczos run of the averaged-Hessian spectrum's extremes doubles as SLQ run 0 when it has an SLQ run's steps.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { HESSIAN_PROTOCOLS } from '../../src/hessian/protocol.ts';
import { hessianSpectrum, lanczosUnit, slqUnit } from '../../src/hessian/spectrum.ts';
import { hessianDataLayout, hessianModelUnits, lanczosShareSlq } from '../../src/hessian/units-plan.ts';
import type { HessianBatch } from '../../src/hessian/model-operator.ts';
import { Rng } from '../../src/util/random.ts';
import { TinyNet, randomBatch } from './tiny-model.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

test("the shared Lanczos unit's quadrature is SLQ run 0's bit for bit, and its extremes are that run's extreme nodes", async () => {
  const rng = new Rng(7);
  const model = new TinyNet(2);
  const batches: HessianBatch[] = [randomBatch(rng, 3, 4, 2, 3), randomBatch(rng, 3, 4, 2, 3)];
  const opts = { seed: 11, k: 2, lanczosSteps: 8, slqSteps: 8, slqRuns: 2, l2: 0.01 };
  const shared = await lanczosUnit(model, batches, 1, opts);
  const run0 = await slqUnit(model, batches, 1, 0, opts);
  assert.ok(shared.slq, 'expected the quadrature with the Lanczos part');
  assert.deepEqual(shared.slq, run0.slq);
  const nodes = [...run0.slq.nodes].sort((a, b) => b - a);
  assert.deepEqual(shared.top, nodes.slice(0, 2));
  assert.deepEqual(shared.bottom, nodes.slice(-2).reverse());
  // other steps: an independent Gaussian start, no quadrature
  const own = await lanczosUnit(model, batches, 1, { ...opts, lanczosSteps: 9 });
  assert.equal(own.slq, undefined);
  // the whole spectrum: slqRuns runs per subset, run 0 from the Lanczos unit, products one run fewer
  const spectrum = await hessianSpectrum(model, [batches], { ...opts, traceSamples: 2 });
  assert.equal(spectrum.subsets[0]!.slq.length, 2);
  assert.equal(spectrum.subsets[0]!.products, 8 + 8 + 2);
  const separate = await hessianSpectrum(model, [batches], { ...opts, lanczosSteps: 9, traceSamples: 2 });
  assert.equal(separate.subsets[0]!.slq.length, 2);
  assert.equal(separate.subsets[0]!.products, 9 + 8 + 8 + 2);
  model.dispose();
});

test('the plan leaves out SLQ run 0 exactly when the Lanczos unit is that run', () => {
  const quick = HESSIAN_PROTOCOLS.protocols.quick.settings;
  const paper = HESSIAN_PROTOCOLS.protocols.paper.settings;
  for (const s of [quick, paper, { ...quick, lanczosSteps: quick.slqSteps + 4 }, { ...paper, slqRuns: 3 }]) {
    const units = hessianModelUnits(s, hessianDataLayout(s, 50000), new Set(['spectrum'] as const));
    const runs = units.filter((u) => u.kind === 'spectrum-slq' && u.position === 0).map((u) => u.run);
    const first = lanczosShareSlq(s) ? 1 : 0;
    assert.deepEqual(runs, Array.from({ length: s.slqRuns - first }, (_, i) => first + i), `settings ${JSON.stringify(s)}`);
  }
  assert.equal(lanczosShareSlq(quick), true);
  assert.equal(lanczosShareSlq({ ...quick, lanczosSteps: 17 }), false);
});
