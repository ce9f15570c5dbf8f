// The tiny presets the tests use (8x8 images, a few channels: seconds per model on 2 cores), registered through
// the public registry API so that production never lists them. A test file that uses them imports this file;
// a child process that needs them gets `--import ./test/support/presets.ts` (the test files it runs import it).
import { getPreset, registerPreset, type ModelConfig } from '../../src/models/index.ts';

const names: string[] = [];

/** A test preset: a real preset's configuration with the fields given replaced. */
function testPreset(name: string, base: string, description: string, fields: Partial<Record<string, unknown>>): void {
  const { description: _baseDescription, ...config } = getPreset(base);
  registerPreset({ ...config, ...fields, preset: name } as ModelConfig, `test only: ${description}`);
  names.push(name);
}

testPreset('vit-tiny-test', 'vit-ti', '8x8 images, patch 2, dim 8, depth 2, 2 heads', {
  imageSize: 8, patchSize: 2, dim: 8, depth: 2, heads: 2, mlpRatio: 2, dropPathRate: 0,
});
testPreset('vit-gap-tiny-test', 'vit-ti', 'vit-tiny-test with global average pooling', {
  imageSize: 8, patchSize: 2, dim: 8, depth: 2, heads: 2, mlpRatio: 2, dropPathRate: 0, pool: 'gap',
});
testPreset('swin-tiny-test', 'swin-ti', '8x8 images, patch 1, window 2, dim 8, depths 2-2, heads 1-2', {
  imageSize: 8, patchSize: 1, windowSize: 2, dim: 8, depths: [2, 2], heads: [1, 2], mlpRatio: 2, dropPathRate: 0,
});
testPreset('resnet-tiny-test', 'resnet-18', '8x8 images, basic blocks, widths 4-8, option-B shortcut', {
  imageSize: 8, stemWidth: 4, widths: [4, 8], stageBlocks: [1, 1], shortcut: 'B', dropPathRate: 0,
});
testPreset('resnet-a-tiny-test', 'resnet-18', '8x8 images, basic blocks, widths 4-8, option-A shortcut', {
  imageSize: 8, stemWidth: 4, widths: [4, 8], stageBlocks: [1, 2], shortcut: 'A', dropPathRate: 0,
});
testPreset('resnet-bottleneck-tiny-test', 'resnet-18', '8x8 images, bottlenecks, widths 2-4', {
  imageSize: 8, block: 'bottleneck', stemWidth: 4, widths: [2, 4], stageBlocks: [1, 1], shortcut: 'B', dropPathRate: 0,
});
testPreset('alternet-tiny-test', 'alternet-50', '8x8 images, pre-activation basic blocks 4-8, MSA last in stage 2', {
  imageSize: 8, block: 'basic', stemWidth: 4, widths: [4, 8], stageBlocks: [1, 2], msaBlocks: [[], [1]],
  heads: [1, 2], headDim: 2, windowSize: 2, dropPathRate: 0,
});
testPreset('alternet-bottleneck-tiny-test', 'alternet-50', '8x8 images, pre-activation bottlenecks 2-4, MSA last in stage 2', {
  imageSize: 8, block: 'bottleneck', stemWidth: 4, widths: [2, 4], stageBlocks: [1, 2], msaBlocks: [[], [1]],
  heads: [1, 2], headDim: 2, windowSize: 2, dropPathRate: 0,
});
testPreset('pit-tiny-test', 'pit-ti', '8x8 images, patch 2 stride 1 (7x7 grid, pooled to 4x4 and 2x2), widths 2-4-8, depths 1-1-1', {
  imageSize: 8, patchSize: 2, stride: 1, baseDims: [2, 2, 2], depths: [1, 1, 1], heads: [1, 2, 4], mlpRatio: 2, dropPathRate: 0,
});
testPreset('mixer-tiny-test', 'mixer-ti', '8x8 images, patch 2 (16 tokens), dim 8, depth 2, token MLP 4, channel MLP 16', {
  imageSize: 8, patchSize: 2, dim: 8, depth: 2, channelMlpRatio: 2, dropPathRate: 0,
});

testPreset('mobilevit-tiny-test', 'mobilevit-xxs-cifar', '8x8 images, stem 4 stride 1, inverted residuals 4 (residual) and 8 (stride 2), then a MobileViT block (d 8, 1 layer, 2 heads; 2x2 patches of the 4x4 map: 4 sequences of 4 tokens), final conv 16', {
  imageSize: 8, stemWidth: 4, stemStride: 1, widths: [4, 8], stageBlocks: [1, 1], strides: [1, 2], transformerDims: [0, 8],
  transformerDepths: [0, 1], heads: 2, numFeatures: 16,
});

/** The test presets' names, in registration order. */
export const TEST_PRESETS: readonly string[] = names;
