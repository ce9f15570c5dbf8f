// The stage layout ResNet and AlterNet share (src/models/cnn-stages.ts), worked out by hand for ResNet-20
// (He et al. 2016: 3 stages of 3 basic blocks, 16-32-64 channels, stride 2 at the first block of stages 2 and 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCnnStages, cnnBlocks } from '../../src/models/cnn-stages.ts';
import { getPreset } from '../../src/models/index.ts';

const resnet20 = { block: 'basic' as const, stemWidth: 16, widths: [16, 32, 64], stageBlocks: [3, 3, 3], dropPathRate: 0.1 };

test('ResNet-20: strides, map sizes, channels and drop-path rates of its nine blocks', () => {
  const blocks = cnnBlocks(resnet20, 32);
  assert.deepEqual(blocks.map((b) => b.name), [0, 1, 2].flatMap((s) => [0, 1, 2].map((j) => `layers.${s}.blocks.${j}`)));
  assert.deepEqual(blocks.map((b) => b.stride), [1, 1, 1, 2, 1, 1, 2, 1, 1]);
  assert.deepEqual(blocks.map((b) => b.outputSize), [32, 32, 32, 16, 16, 16, 8, 8, 8]);
  assert.deepEqual(blocks.map((b) => b.inputSize), [32, 32, 32, 32, 16, 16, 16, 8, 8]);
  assert.deepEqual(blocks.map((b) => [b.cin, b.cout]), [[16, 16], [16, 16], [16, 16], [16, 32], [32, 32], [32, 32], [32, 64], [64, 64], [64, 64]]);
  blocks.forEach((b, i) => assert.ok(Math.abs(b.dropPath - (0.1 * i) / 8) < 1e-12, `${b.name}: ${b.dropPath}`));
});

test('bottleneck stages output four times their planes', () => {
  const blocks = cnnBlocks({ ...resnet20, block: 'bottleneck', stemWidth: 64, widths: [64, 128], stageBlocks: [2, 1] }, 32);
  assert.deepEqual(blocks.map((b) => [b.cin, b.planes, b.cout, b.stride]), [[64, 64, 256, 1], [256, 64, 256, 1], [256, 128, 512, 2]]);
});

test('the stage fields are checked with the preset named', () => {
  const base = { ...getPreset('resnet-20'), preset: 'mine' };
  assert.throws(() => checkCnnStages({ ...base, stageBlocks: [3, 3] }), /model config 'mine': field 'stageBlocks' is \[3,3\], expected a list of 3 entries/);
  assert.throws(() => checkCnnStages({ ...base, imageSize: 30 }), /field 'imageSize' is 30, expected a multiple of 4 for 3 stages/);
  assert.throws(() => checkCnnStages({ ...base, imageSize: 40 }, 4), /field 'imageSize' is 40, expected a multiple of 16 for a stem reducing 4x and 3 stages/);
  assert.throws(() => checkCnnStages({ ...base, block: 'wide' }), /field 'block' is "wide", expected 'basic' or 'bottleneck'/);
  assert.doesNotThrow(() => checkCnnStages(base));
});
