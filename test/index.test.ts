import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vitscope from '../src/index.ts';

test('the package entry exports the hessian and analysis contracts by name', () => {
  for (const fn of ['lanczos', 'slqDensity', 'densityOnGrid', 'hutchinsonTrace', 'powerIteration'] as const) {
    assert.equal(typeof vitscope.hessian[fn], 'function', `hessian.${fn}`);
  }
  for (const fn of ['fourierLogAmplitude', 'relativeLogAmplitude', 'frequencyNoise', 'featureMapVariance'] as const) {
    assert.equal(typeof vitscope.analysis[fn], 'function', `analysis.${fn}`);
  }
  assert.equal(typeof vitscope.models.createModel, 'function');
  assert.equal(typeof vitscope.data.loadCifar, 'function');
  assert.equal(typeof vitscope.train.train, 'function');
  assert.equal(typeof vitscope.plots.exportFigures, 'function');
});
