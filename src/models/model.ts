// The contract between models and everything that uses them (training, Hessian, analyses).
// Models know nothing about analyses; analyses see only this interface.
import type { tf } from '../backend/tf.ts';

/** What a block of the network is, as the paper labels them in its depth plots. */
export type BlockKind = 'embedding' | 'msa' | 'mlp' | 'conv' | 'pool' | 'head';

/** One feature map from `features(x)`: NHWC, tokens reshaped back to H x W, class token dropped. */
export interface FeatureMap {
  name: string; // e.g. 'blocks.3.attn'
  kind: BlockKind;
  tensor: tf.Tensor4D; // [B, H, W, C]
}

/** How a parameter is treated by weight decay and by analyses. */
export type ParamRole = 'weight' | 'bias' | 'norm' | 'embedding' | 'position';

export interface ParamInfo {
  name: string; // e.g. 'blocks.3.attn.qkv.kernel'
  shape: number[];
  role: ParamRole;
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

export interface ModelConfig {
  /** A registered family (src/models/registry.ts): 'vit', 'swin', 'resnet', 'alternet', or one registered later. */
  family: string;
  preset: string;
  numClasses: number;
  imageSize: number;
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
