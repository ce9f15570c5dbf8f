// The contract between models and everything that uses them (training, Hessian, analyses).
// Models know nothing about analyses; analyses see only this interface.
import type { tf } from '../backend/tf.ts';

/**
 * What a block of the network is, as the paper labels them in its depth plots ('token-mlp': MLP-Mixer's
 * token-mixing MLP, which mixes spatially like an MSA but is not attention). Parameters declare one too
 * (ParamInfo.block): the kind of block whose computation they take part in.
 */
export type BlockKind = 'embedding' | 'msa' | 'mlp' | 'token-mlp' | 'conv' | 'pool' | 'head';

/** Every BlockKind, in a fixed order (option lists, checks). */
export const BLOCK_KINDS: readonly BlockKind[] = ['embedding', 'msa', 'mlp', 'token-mlp', 'conv', 'pool', 'head'];

/** One feature map from `features(x)`: NHWC, tokens reshaped back to H x W, class token dropped. */
export interface FeatureMap {
  name: string; // e.g. 'blocks.3.attn'
  kind: BlockKind;
  tensor: tf.Tensor4D; // [B, H, W, C]
}

/** How a parameter is treated by weight decay and by analyses. */
export type ParamRole = 'weight' | 'bias' | 'norm' | 'embedding' | 'position';

/**
 * How a parameter tensor is laid out here (tfjs layouts), which fixes its filter axis and its PyTorch
 * counterpart (src/models/import converts by it; the landscape normalises filters by it):
 * - 'dense': a Linear weight [in, out] (PyTorch [out, in]); a filter is one output unit (a column);
 * - 'conv': a convolution filter bank HWIO [kh, kw, in, out] (PyTorch OIHW); a filter is one output channel;
 * - 'depthwise': a depthwise filter [kh, kw, C, M] (M = channel multiplier; PyTorch Conv2d(C, C*M, groups=C)
 *   weight [C*M, 1, kh, kw], output channel c*M + m); a filter is one (c, m) slice [kh, kw];
 * - 'tokens': token-indexed values stored as PyTorch stores them: class token / 1-D position embedding
 *   [1, N, C], relative-position bias tables [(2w-1)^2, heads];
 * - 'spatial': a 2-D position embedding [1, H, W, C] (PyTorch [1, C, H, W], e.g. PiT's pos_embed);
 * - 'vector': 1-D (biases, normalisation scales and shifts).
 */
export type ParamLayout = 'dense' | 'conv' | 'depthwise' | 'tokens' | 'spatial' | 'vector';

/** Every ParamLayout, in a fixed order. */
export const PARAM_LAYOUTS: readonly ParamLayout[] = ['dense', 'conv', 'depthwise', 'tokens', 'spatial', 'vector'];

/** What a family declares about a parameter where it creates it (src/models/base.ts `param`). */
export interface ParamDecl {
  role: ParamRole;
  layout: ParamLayout;
  /**
   * The kind of block the parameter belongs to: 'msa' (attention projections, bias tables, and the block's
   * norm), 'mlp', 'token-mlp', 'conv' (any convolution block, a CNN stem included), 'pool' (downsampling
   * between stages: Swin's patch merging, PiT's pooling), 'embedding' (patch/position embeddings, class token),
   * 'head' (classifier, and the final norm before it). Norm parameters keep role 'norm' whatever their block.
   */
  block: BlockKind;
}

export interface ParamInfo extends ParamDecl {
  name: string; // e.g. 'blocks.3.attn.qkv.kernel'
  shape: number[];
  /**
   * The residual or transformer block the parameter belongs to: its position among the model's blocks in forward
   * order, across stages (0-based; what `--params block:<i>` selects). Absent outside blocks: stem, embeddings,
   * pooling between stages, the head. Declared by the family where it creates the block (BaseModel.declareBlock).
   */
  blockIndex?: number;
}

export interface ForwardOptions {
  /** Training mode: dropout/drop-path on, BatchNorm normalises with batch statistics. */
  training: boolean;
  /**
   * Whether this pass may move BatchNorm's running statistics (only in training mode). Default false:
   * only the training loop asks for it, so no analysis, timing or evaluation ever changes a model's buffers.
   */
  updateStats?: boolean;
  /** Seed for stochastic layers (drop path, dropout) in training mode. */
  seed?: number;
  /**
   * Parameter values to use instead of the model's variables (any subset, by name).
   * This is how the Hessian differentiates the loss with respect to a flat parameter vector.
   */
  params?: ReadonlyMap<string, tf.Tensor>;
}

/**
 * The preprocessing a model's weights expect, as timm's `pretrained_cfg` records it (see
 * src/models/pretrained-cfg.ts: every preset owns one; pretrainedCfgOf resolves it).
 */
export interface PretrainedCfg {
  /** Side of the square input the weights expect (timm's input_size[1:]). */
  inputSize: number;
  /** Per-channel (RGB) mean and std of pixels scaled to [0, 1]. */
  mean: [number, number, number];
  std: [number, number, number];
  /** How timm's evaluation transform resizes. */
  interpolation: 'bicubic' | 'bilinear' | 'nearest';
  /** timm's crop_pct: resize the shorter side to inputSize / cropPct, then centre-crop inputSize (1: no margin). */
  cropPct: number;
}

export interface ModelConfig {
  /** A registered family (src/models/registry.ts): 'vit', 'swin', 'resnet', 'alternet', or one registered later. */
  family: string;
  preset: string;
  numClasses: number;
  imageSize: number;
  /** The preprocessing of imported weights (set by the importer; see PretrainedCfg); absent: the preset's. */
  pretrainedCfg?: PretrainedCfg;
  [key: string]: unknown;
}

export interface Model {
  readonly config: ModelConfig;
  /** Trainable parameters in a fixed order (the order of the flat parameter vector). */
  readonly paramInfo: readonly ParamInfo[];
  /** Trainable parameters by name. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Non-trainable state saved in checkpoints (BatchNorm running mean/variance). */
  readonly buffers: ReadonlyMap<string, tf.Variable>;
  /** NHWC normalised images in, logits [B, numClasses] out. */
  forward(x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor2D;
  /** Output of every block in order (evaluation mode unless opts.training), logits excluded. */
  features(x: tf.Tensor4D, opts?: ForwardOptions): FeatureMap[];
  dispose(): void;
}
