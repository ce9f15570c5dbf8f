// The paper-sized presets: built once each, parameter counts checked against the architecture, and
// one image through the network (on the fastest backend available; shapes only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/backend/tf.ts';
import { initBackend } from '../../src/backend/select.ts';
import { countParams, createModel, paramInfoCount } from '../../src/models/index.ts';
import { randomImages } from './helpers.ts';

// Published reference counts for the CIFAR-100 variants of these architectures.
const REFERENCE: Record<string, [number, number]> = {
  'vit-ti': [5.3e6, 5.5e6], // the paper's ViT-Ti: about 5.4 M
  'resnet-18': [11.1e6, 11.3e6], // CIFAR ResNet-18, 100 classes: 11.2 M
  'resnet-50': [23.6e6, 23.8e6], // CIFAR ResNet-50, 100 classes: 23.7 M
  'swin-ti': [27.0e6, 28.5e6], // Swin-T is 28.3 M with a 1000-class head and 7x7 windows
};

for (const name of ['vit-ti', 'vit-ti-gap', 'swin-ti', 'resnet-18', 'resnet-50', 'alternet-50']) {
  test(`${name}: parameter count and logits of one image`, async () => {
    await initBackend({ quiet: true }); // VITSCOPE_BACKEND or the fastest available
    const m = createModel(name, { seed: 0 });
    const n = paramInfoCount(m.paramInfo);
    assert.equal(n, countParams(name));
    const ref = REFERENCE[name];
    if (ref) assert.ok(n >= ref[0] && n <= ref[1], `${name}: ${n} parameters, expected within [${ref}]`);
    const x = randomImages(1, 32, 1);
    const y = m.forward(x, { training: false });
    assert.deepEqual(y.shape, [1, 100]);
    assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
    tf.dispose([x, y]);
    m.dispose();
  });
}
