// timm's ResNet (timm/models/resnet.py; torchvision's resnet uses the same names): conv1/bn1 stem
// (7x7 stride 2, then a 3x3 stride-2 max-pool), layer1..4 of BasicBlock (conv1, bn1, conv2, bn2) or
// Bottleneck (+ conv3, bn3; stride on conv2), downsample.0/1 (1x1 conv + BN) where the shape changes,
// fc. vitscope builds it with the resnet family's stem 'imagenet' (presets resnet-50-224, resnet-18-224).
import type { SourceArchitecture } from './types.ts';
import { torchName } from './types.ts';

function sourceName(target: string): string {
  let m = /^stem\.(conv|bn)\.(.+)$/.exec(target);
  if (m) return `${m[1] === 'conv' ? 'conv1' : 'bn1'}.${m[2]}`;
  m = /^layers\.(\d+)\.blocks\.(\d+)\.(.+)$/.exec(target);
  if (m) {
    const rest = m[3]!.replace(/^shortcut\.conv\./, 'downsample.0.').replace(/^shortcut\.bn\./, 'downsample.1.');
    return `layer${Number(m[1]) + 1}.${m[2]}.${rest}`;
  }
  m = /^head\.(.+)$/.exec(target);
  if (m) return `fc.${m[1]}`;
  return target;
}

export const timmResNet: SourceArchitecture = {
  id: 'timm-resnet',
  title: "timm's (torchvision's) ResNet",
  recognises: (keys) => keys.has('conv1.weight') && keys.has('layer1.0.conv1.weight') && keys.has('fc.weight'),
  refusal(config) {
    if (config.family !== 'resnet') return `it is a ResNet, and preset '${config.preset}' is a ${config.family}; choose resnet-50-224 or resnet-18-224`;
    if (config.stem !== 'imagenet')
      return `timm's ResNet has the ImageNet stem (7x7 stride-2 conv + max-pool) and preset '${config.preset}' the CIFAR one; choose resnet-50-224 or resnet-18-224 (or a configuration with stem 'imagenet')`;
    if (config.shortcut === 'A') return `preset '${config.preset}' uses option-A shortcuts; timm's ResNet projects (downsample 1x1 conv + BN)`;
    return null;
  },
  headKey: 'fc.weight',
  rule(target, rank) {
    const { name, layout } = torchName(target, rank);
    return { target, source: sourceName(name), layout };
  },
  ignored: /\.num_batches_tracked$/,
};
