// The stage layout ResNet and AlterNet share: a stem of `stemWidth` channels, then stages of `stageBlocks[s]`
// blocks with `widths[s]` planes (a bottleneck block outputs 4x planes), the first block of every stage but
// the first with stride 2; drop-path rates rise linearly over all blocks.
import { fail, oneOf, positiveInt, positiveIntList, rate } from './config-checks.ts';
import type { ModelConfig } from './model.ts';

export interface CnnStageConfig {
  block: 'basic' | 'bottleneck';
  stemWidth: number;
  /** Planes per stage (a bottleneck stage outputs 4x planes). The first stage has stride 1, later ones 2. */
  widths: number[];
  stageBlocks: number[];
  dropPathRate: number;
}

export interface CnnBlock {
  name: string; // 'layers.<stage>.blocks.<index>'
  stage: number;
  index: number;
  cin: number;
  planes: number;
  cout: number;
  stride: number;
  /** Map size at the block's input and output. */
  inputSize: number;
  outputSize: number;
  dropPath: number;
}

const BOTTLENECK_EXPANSION = 4;

export function expansionOf(block: CnnStageConfig['block']): number {
  return block === 'bottleneck' ? BOTTLENECK_EXPANSION : 1;
}

/** Every block in order; `inputSize` is the map size after the stem. */
export function cnnBlocks(c: CnnStageConfig, inputSize: number): CnnBlock[] {
  const expansion = expansionOf(c.block);
  const total = c.stageBlocks.reduce((a, b) => a + b, 0);
  const blocks: CnnBlock[] = [];
  let cin = c.stemWidth;
  let size = inputSize;
  c.widths.forEach((planes, stage) => {
    for (let index = 0; index < c.stageBlocks[stage]!; index++) {
      const stride = index === 0 && stage > 0 ? 2 : 1;
      const cout = planes * expansion;
      blocks.push({
        name: `layers.${stage}.blocks.${index}`,
        stage,
        index,
        cin,
        planes,
        cout,
        stride,
        inputSize: size,
        outputSize: size / stride,
        dropPath: total > 1 ? (c.dropPathRate * blocks.length) / (total - 1) : c.dropPathRate,
      });
      size /= stride;
      cin = cout;
    }
  });
  return blocks;
}

/** Checks the stage-layout fields; `stemReduction` is how much the stem shrinks the image (1 for CIFAR stems). */
export function checkCnnStages(config: ModelConfig, stemReduction = 1): CnnStageConfig {
  oneOf(config, 'block', ['basic', 'bottleneck']);
  positiveInt(config, 'stemWidth');
  const widths = positiveIntList(config, 'widths');
  positiveIntList(config, 'stageBlocks', widths.length);
  const multiple = stemReduction * 2 ** (widths.length - 1);
  if (config.imageSize % multiple !== 0)
    fail(config, 'imageSize', config.imageSize, `a multiple of ${multiple} for ${stemReduction > 1 ? `a stem reducing ${stemReduction}x and ` : ''}${widths.length} stages`);
  rate(config, 'dropPathRate');
  return config as unknown as CnnStageConfig;
}
