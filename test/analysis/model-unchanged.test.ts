// No analysis changes a model: every analysis the commands run (Hessian timing, max-eigenvalue spectrum,
// averaged-Hessian spectrum, Fourier, variance, frequency noise, loss landscape) leaves every parameter and
// every BatchNorm buffer bit-identical, on a ResNet with BatchNorm, an AlterNet and a ViT. The commands also
// check it at run time (experiments/analysis-support.ts verifyModelsUnchanged), which the last test shows can fail.
import { test, before } from 'node:test';
import '../support/presets.ts'; // the tiny test presets
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select.ts';
import { tf } from '../../src/backend/tf.ts';
import { createModel } from '../../src/models/create.ts';
import type { Model } from '../../src/models/model.ts';
import { fourierByDepth, sliceBatches, varianceByDepth } from '../../src/analysis/depth.ts';
import { noiseRobustness } from '../../src/analysis/noise-robustness.ts';
import { lossLandscape } from '../../src/analysis/landscape.ts';
import { trainingTargetBatches } from '../../src/train/training-targets.ts';
import { modelFingerprint, verifyModelsUnchanged, type AnalysedModel } from '../../src/experiments/analysis-support.ts';
import { timeHvpVsStep } from '../../src/hessian/timing.ts';
import { hessianSpectrum, maxEigenvalueSpectrum } from '../../src/hessian/spectrum.ts';
import type { HessianBatch } from '../../src/hessian/model-operator.ts';

before(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const K = 5;

function snapshot(model: Model): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [n, v] of model.params) out.set(`param:${n}`, Float32Array.from(v.dataSync()));
  for (const [n, v] of model.buffers) out.set(`buffer:${n}`, Float32Array.from(v.dataSync()));
  return out;
}

function images(n: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([n, 8, 8, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

function labels(n: number, seed: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % K);
}

for (const preset of ['resnet-tiny-test', 'alternet-tiny-test', 'vit-tiny-test']) {
  test(`${preset}: every analysis leaves parameters and buffers bit-identical`, async () => {
    const model = createModel(preset, { numClasses: K, seed: 3 });
    // non-trivial running statistics first (the training loop's kind of pass)
    if (model.buffers.size > 0) model.forward(images(6, 1), { training: true, updateStats: true, seed: 1 }).dispose();
    const before = snapshot(model);
    const am: AnalysedModel = { label: preset, model, source: 'test', fingerprint: await modelFingerprint(model) };
    const unchanged = async (what: string): Promise<void> => {
      const now = snapshot(model);
      for (const [k, v] of before) assert.deepEqual(now.get(k), v, `${what} changed ${k}`);
      await verifyModelsUnchanged(what, [am]);
    };
    // Hessian batches with soft targets, as the command builds them
    const x = images(8, 2);
    const y = labels(8, 0);
    const soft = await trainingTargetBatches(x, y, { batchSize: 4, numClasses: K, mix: true, labelSmoothing: 0.1, seed: 0 });
    const hb: HessianBatch[] = soft.map((b) => ({ x: b.x, y: b.targets }));
    const names = model.paramInfo.slice(-2).map((p) => p.name);

    await timeHvpVsStep(model, hb[0]!, { names, repeats: 1 });
    await unchanged('hessian timing (training-mode passes)');
    await maxEigenvalueSpectrum(model, hb, { names, seed: 0, k: 1, maxIter: 3, groups: 1, l2: 0.05 });
    await unchanged('max-eigenvalue spectrum');
    await hessianSpectrum(model, [[hb[0]!], [hb[1]!]], { names, seed: 0, k: 1, lanczosSteps: 3, slqSteps: 3, slqRuns: 1, traceSamples: 1 });
    await unchanged('averaged-Hessian spectrum');
    await fourierByDepth(model, sliceBatches(x, 4));
    await unchanged('fourier');
    await varianceByDepth(model, sliceBatches(x, 4));
    await unchanged('variance');
    await noiseRobustness([{ label: preset, model }], { x, y }, { frequencies: [0.5], bandwidth: 0.2 / Math.PI, scale: 0.7, noise: 'sign', mask: 'authors', groups: 1, batchSize: 4 });
    await unchanged('noise');
    await lossLandscape(model, soft, { resolution: 2, normalization: 'authors', l2: 0.05 });
    await unchanged('landscape');

    // The checks can fail: a pass that moves BatchNorm statistics, or any write to a parameter, is caught.
    if (model.buffers.size > 0) model.forward(x, { training: true, updateStats: true, seed: 2 }).dispose();
    else {
      const p = model.params.get(names[0]!)!;
      p.assign(tf.add(p, 1e-3) as typeof p);
    }
    await assert.rejects(verifyModelsUnchanged('mutation', [am]), /changed during the analysis/);
    tf.dispose([x, ...soft.flatMap((b) => [b.x, b.targets])]);
    model.dispose();
  });
}
