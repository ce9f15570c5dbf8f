// timm's VisionTransformer (timm/models/vision_transformer.py), which the authors trained on CIFAR-100
// (img 32, patch 2, dim 192, depth 12, 3 heads, qkv_bias=False) and which timm's ImageNet ViTs are
// (e.g. vit_tiny_patch16_224). vitscope's ViT is built as timm's: pre-norm blocks, LayerNorm eps 1e-6,
// exact GELU, attention scale dh^-1/2, qkv as one Linear (q | k | v, heads inside each), final norm,
// head on the class token (or fc_norm after global pooling). Names map one to one; only layouts change.
import type { SourceArchitecture } from './types.ts';
import { torchName } from './types.ts';

export const timmViT: SourceArchitecture = {
  id: 'timm-vit',
  title: "timm's VisionTransformer",
  recognises: (keys) => keys.has('patch_embed.proj.weight') && keys.has('blocks.0.attn.qkv.weight'),
  refusal(config) {
    if (config.family !== 'vit') return `it is a ViT, and preset '${config.preset}' is a ${config.family}; choose a ViT preset (vit-ti, vit-ti-16-224, ...)`;
    return null;
  },
  headKey: 'head.weight',
  rule(target, rank, config) {
    // with global average pooling timm normalises after pooling in `fc_norm` (and `norm` is Identity)
    const renamed = config.family === 'vit' && config.pool === 'gap' && target.startsWith('norm.') ? 'fc_' + target : target;
    const { name, layout } = torchName(renamed, rank);
    return { target, source: name, layout };
  },
  ignored: /^$/,
};
