// A source architecture: a model family as another codebase names and lays out its weights, and the
// name map from vitscope's parameters and buffers to that codebase's state-dict keys (like timm's
// checkpoint filters, one file per source architecture).
import type { AnyModelConfig } from '../../families.ts';

/**
 * How a source tensor's layout becomes vitscope's: 'same'; 'linear': PyTorch Linear [out, in] to a
 * dense kernel [in, out]; 'conv': PyTorch conv OIHW to vitscope's [kh, kw, in, out].
 */
export type Layout = 'same' | 'linear' | 'conv';

export interface Rule {
  /** vitscope's parameter or buffer name. */
  target: string;
  /** The state-dict key it comes from. */
  source: string;
  layout: Layout;
}

export interface SourceArchitecture {
  /** Short identifier, e.g. 'timm-vit'. */
  id: string;
  /** What it is, for messages, e.g. "timm's VisionTransformer". */
  title: string;
  /** True when the state dict's keys are this architecture's (the keys every such checkpoint has). */
  recognises(keys: ReadonlySet<string>): boolean;
  /** Why this source cannot be imported into `config` (a different family, an unmatched variant), or null. */
  refusal(config: AnyModelConfig): string | null;
  /** The state-dict key of the classifier weight [classes, features], which sets numClasses. */
  headKey: string;
  /** Where each of vitscope's tensors comes from. */
  rule(target: string, rank: number, config: AnyModelConfig): Rule;
  /** Source keys that are known and deliberately dropped (e.g. BatchNorm's num_batches_tracked). */
  ignored: RegExp;
}

/** The usual renaming: `.kernel` -> `.weight` (conv when 4-D, Linear when 2-D), LayerNorm/BatchNorm gamma/beta -> weight/bias. */
export function torchName(name: string, rank: number): { name: string; layout: Layout } {
  if (name.endsWith('.kernel')) return { name: name.slice(0, -'.kernel'.length) + '.weight', layout: rank === 4 ? 'conv' : 'linear' };
  if (name.endsWith('.gamma')) return { name: name.slice(0, -'.gamma'.length) + '.weight', layout: 'same' };
  if (name.endsWith('.beta')) return { name: name.slice(0, -'.beta'.length) + '.bias', layout: 'same' };
  return { name, layout: 'same' };
}
