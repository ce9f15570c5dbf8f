// A checkpoint source: how another codebase (timm, the authors' code) names and lays out a family's weights,
// declared by the family in its own file (as timm's `checkpoint_filter_fn` sits beside each model) and carried
// by the registry (`registerFamily({ ..., checkpoints })`). The importer (src/models/import) is generic over
// them: it recognises a state dict by its keys, maps every vitscope parameter and buffer to its key, converts
// each by the parameter's declared layout (ParamInfo.layout) and checks the keys that follow from the
// configuration (timm <= 0.6's attn_mask, relative_position_index) instead of importing them.
import type { ModelConfig, ParamLayout } from './model.ts';

/** Where one vitscope tensor comes from: a key, and (rarely) a source layout other than the declared one. */
export interface SourceKey {
  key: string;
  /** The layout the source stores this tensor in, when it differs from the parameter's declaration. */
  layout?: ParamLayout;
}

/** Values a source key must hold for a configuration (float or integer values compared exactly). */
export interface DerivedTensor {
  shape: number[];
  values: ArrayLike<number>;
}

export interface CheckpointSource<C extends ModelConfig = ModelConfig> {
  /** Short identifier, unique over all families, e.g. 'timm-swin', 'timm-swin-0.5'. */
  id: string;
  /** What it is, for messages, e.g. "timm's SwinTransformer (timm >= 0.9)". */
  title: string;
  /** True when a state dict's keys are this source's (the keys every such checkpoint has). */
  recognises(keys: ReadonlySet<string>): boolean;
  /** Why this source cannot fill `config` (a variant it does not have), or null. Another family is refused by the importer. */
  refusal?(config: C): string | null;
  /** The classifier weight [classes, features], which sets numClasses. */
  headKey: string;
  /** The key (and optionally source layout) of a vitscope parameter or buffer; buffers are read as 'vector'/'tokens' (same layout). */
  key(target: string, config: C): string | SourceKey;
  /** Source keys that are known and dropped (BatchNorm's num_batches_tracked, ...). */
  ignored?: RegExp;
  /**
   * For keys not mapped by `key`: the values the key must hold for this configuration (timm's attention masks and
   * relative-position indices), checked and then dropped; null when the key is not one of them (it is then unexpected).
   */
  derived?(key: string, config: C): DerivedTensor | null;
}

/** A checkpoint layout recognised by its keys that vitscope refuses, and why (one line). */
export interface RefusedCheckpoint {
  title: string;
  recognises(keys: ReadonlySet<string>): boolean;
  reason: string;
}

/** PyTorch's usual names: `.kernel` -> `.weight` (Linear or conv), LayerNorm/BatchNorm `.gamma/.beta` -> `.weight/.bias`. */
export function torchName(name: string): string {
  if (name.endsWith('.kernel')) return name.slice(0, -'.kernel'.length) + '.weight';
  if (name.endsWith('.gamma')) return name.slice(0, -'.gamma'.length) + '.weight';
  if (name.endsWith('.beta')) return name.slice(0, -'.beta'.length) + '.bias';
  return name;
}
