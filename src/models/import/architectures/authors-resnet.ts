// The authors' CIFAR ResNet (xxxnell/how-do-vits-work, models/resnet.py with resnet_dnn_block.py,
// `models.get_model("resnet_50", num_classes=100, stem=False)`): a 3x3 stride-1 stem (layer0), post-
// activation basic or bottleneck blocks with the stride on the 3x3 convolution, projection shortcuts
// (1x1 conv + BN) wherever the shape changes, GAP + Linear (classifier.0.dense). vitscope's
// resnet-18/resnet-50 presets are this network; each conv/BN pair sits in an nn.Sequential there.
import type { SourceArchitecture } from './types.ts';
import { torchName } from './types.ts';

function sourceName(target: string): string {
  let m = /^stem\.(conv|bn)\.(.+)$/.exec(target);
  if (m) return `layer0.${m[1] === 'conv' ? 0 : 1}.${m[2]}`;
  m = /^layers\.(\d+)\.blocks\.(\d+)\.(conv|bn)(\d)\.(.+)$/.exec(target);
  if (m) return `layer${Number(m[1]) + 1}.${m[2]}.conv${m[4]}.${m[3] === 'conv' ? 0 : 1}.${m[5]}`;
  m = /^layers\.(\d+)\.blocks\.(\d+)\.shortcut\.(conv|bn)\.(.+)$/.exec(target);
  if (m) return `layer${Number(m[1]) + 1}.${m[2]}.shortcut.${m[3] === 'conv' ? 0 : 1}.${m[4]}`;
  m = /^head\.(.+)$/.exec(target);
  if (m) return `classifier.0.dense.${m[1]}`;
  return target;
}

export const authorsResNet: SourceArchitecture = {
  id: 'authors-resnet',
  title: "the authors' CIFAR ResNet (how-do-vits-work models/resnet.py, dnn blocks)",
  recognises: (keys) => keys.has('layer0.0.weight') && keys.has('classifier.0.dense.weight'),
  refusal(config) {
    if (config.family !== 'resnet') return `it is a ResNet, and preset '${config.preset}' is a ${config.family}; choose resnet-50 or resnet-18`;
    if (config.shortcut === 'A')
      return `preset '${config.preset}' uses parameter-free option-A shortcuts; the authors' ResNet always projects (1x1 conv + BN) where the shape changes (use resnet-50 or resnet-18)`;
    return null;
  },
  headKey: 'classifier.0.dense.weight',
  rule(target, rank) {
    const { name, layout } = torchName(target, rank);
    return { target, source: sourceName(name), layout };
  },
  ignored: /\.num_batches_tracked$/,
};
