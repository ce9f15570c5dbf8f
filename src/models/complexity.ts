// Parameter counts and FLOPs computed analytically from a configuration (closed-form per layer,
// independent of the model code, so tests can compare the two).
// FLOPs convention: 2 x multiply-accumulates of the forward pass on one image, counting every
// dense/conv layer and the attention products (q k^T and attention x v); normalisations,
// activations, softmax, biases, additions and pooling are not counted (they are a few percent).
import type { ModelConfig } from './model.ts';
import { resolveConfig } from './create.ts';
import type { AlterNetConfig, ResNetConfig, SwinConfig, ViTConfig } from './configs.ts';

export interface Complexity {
  params: number;
  /** Multiply-accumulates per image (forward). */
  macs: number;
}

function vit(c: ViTConfig): Complexity {
  const d = c.dim;
  const g = c.imageSize / c.patchSize;
  const tokens = g * g + (c.pool === 'cls' ? 1 : 0);
  const hid = Math.round(d * c.mlpRatio);
  const pp3 = c.patchSize * c.patchSize * 3;
  let params = pp3 * d + d + (c.pool === 'cls' ? d : 0) + tokens * d;
  const block = 4 * d + 3 * d * d + (c.qkvBias ? 3 * d : 0) + d * d + d + d * hid + hid + hid * d + d;
  params += c.depth * block + 2 * d + d * c.numClasses + c.numClasses;
  let macs = g * g * pp3 * d;
  macs += c.depth * (tokens * (4 * d * d + 2 * d * hid) + 2 * tokens * tokens * d);
  macs += d * c.numClasses;
  return { params, macs };
}

function swin(c: SwinConfig): Complexity {
  let r = c.imageSize / c.patchSize;
  const pp3 = c.patchSize * c.patchSize * 3;
  let params = pp3 * c.dim + c.dim + 2 * c.dim;
  let macs = r * r * pp3 * c.dim;
  let d = c.dim;
  c.depths.forEach((depth, s) => {
    if (s > 0) {
      params += 2 * 4 * d + 4 * d * 2 * d;
      r /= 2;
      macs += r * r * 4 * d * 2 * d;
      d *= 2;
    }
    const w = Math.min(c.windowSize, r);
    const hid = Math.round(d * c.mlpRatio);
    const heads = c.heads[s]!;
    params += depth * (4 * d + (2 * w - 1) ** 2 * heads + 3 * d * d + (c.qkvBias ? 3 * d : 0) + d * d + d + 2 * d * hid + hid + d);
    macs += depth * (r * r * (4 * d * d + 2 * d * hid) + 2 * r * r * w * w * d);
  });
  params += 2 * d + d * c.numClasses + c.numClasses;
  macs += d * c.numClasses;
  return { params, macs };
}

function resnet(c: ResNetConfig): Complexity {
  const bottleneck = c.block === 'bottleneck';
  const e = bottleneck ? 4 : 1;
  const k2 = c.stem === 'imagenet' ? 49 : 9;
  let r = c.stem === 'imagenet' ? c.imageSize / 2 : c.imageSize;
  let params = 3 * k2 * c.stemWidth + 2 * c.stemWidth;
  let macs = r * r * 3 * k2 * c.stemWidth;
  if (c.stem === 'imagenet') r /= 2; // max-pool
  let cin = c.stemWidth;
  c.widths.forEach((p, s) => {
    for (let j = 0; j < c.stageBlocks[s]!; j++) {
      const stride = j === 0 && s > 0 ? 2 : 1;
      const ri = r;
      r = r / stride;
      const cout = p * e;
      if (bottleneck) {
        params += cin * p + 2 * p + 9 * p * p + 2 * p + p * cout + 2 * cout;
        macs += ri * ri * cin * p + r * r * (9 * p * p + p * cout);
      } else {
        params += 9 * cin * p + 2 * p + 9 * p * cout + 2 * cout;
        macs += r * r * (9 * cin * p + 9 * p * cout);
      }
      if ((stride !== 1 || cin !== cout) && c.shortcut === 'B') {
        params += cin * cout + 2 * cout;
        macs += r * r * cin * cout;
      }
      cin = cout;
    }
  });
  params += cin * c.numClasses + c.numClasses;
  macs += cin * c.numClasses;
  return { params, macs };
}

function alternet(c: AlterNetConfig): Complexity {
  const bottleneck = c.block === 'bottleneck';
  const e = bottleneck ? 4 : 1;
  let r = c.imageSize;
  let params = 27 * c.stemWidth;
  let macs = r * r * 27 * c.stemWidth;
  let cin = c.stemWidth;
  c.widths.forEach((p, s) => {
    for (let j = 0; j < c.stageBlocks[s]!; j++) {
      const stride = j === 0 && s > 0 ? 2 : 1;
      const ri = r;
      r = r / stride;
      const cout = p * e;
      if (c.msaBlocks[s]!.includes(j)) {
        const width = Math.max(1, Math.floor(cin / e));
        const inner = c.heads[s]! * c.headDim;
        const w = Math.min(c.windowSize, r);
        params += 2 * cin + cin * width + 2 * width + 3 * width * inner + (2 * w - 1) ** 2 + inner * cout + cout;
        macs += r * r * (cin * width + 3 * width * inner + inner * cout) + 2 * r * r * w * w * inner;
      } else if (bottleneck) {
        params += 2 * cin + cin * p + 2 * p + 9 * p * p + 2 * p + p * cout;
        macs += ri * ri * cin * p + r * r * (9 * p * p + p * cout);
      } else {
        params += 2 * cin + 9 * cin * p + 2 * p + 9 * p * cout;
        macs += r * r * (9 * cin * p + 9 * p * cout);
      }
      if (stride !== 1 || cin !== cout) {
        params += cin * cout;
        macs += r * r * cin * cout;
      }
      cin = cout;
    }
  });
  params += 2 * cin + cin * c.numClasses + c.numClasses;
  macs += cin * c.numClasses;
  return { params, macs };
}

/** Parameter count and multiply-accumulates per image of a preset or configuration. */
export function complexity(presetOrConfig: string | ModelConfig, opts: { numClasses?: number } = {}): Complexity {
  const c = resolveConfig(presetOrConfig, opts);
  switch (c.family) {
    case 'vit':
      return vit(c);
    case 'swin':
      return swin(c);
    case 'resnet':
      return resnet(c);
    case 'alternet':
      return alternet(c);
  }
}

/** Trainable parameters, from the architecture. */
export function countParams(presetOrConfig: string | ModelConfig, opts: { numClasses?: number } = {}): number {
  return complexity(presetOrConfig, opts).params;
}

/** Forward FLOPs per image = 2 x multiply-accumulates (see the convention above). */
export function flopsPerImage(presetOrConfig: string | ModelConfig, opts: { numClasses?: number } = {}): number {
  return 2 * complexity(presetOrConfig, opts).macs;
}

/** Sum of the sizes in model.paramInfo (what the model really holds). */
export function paramInfoCount(info: readonly { shape: readonly number[] }[]): number {
  return info.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}
