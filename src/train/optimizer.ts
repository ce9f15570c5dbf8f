// The optimiser contract: updates named parameters from named gradients at a given learning rate and keeps
// its state in explicit, named slot tensors so that a checkpoint can store and restore it exactly.
import type { tf } from '../backend/tf.ts';

export interface OptimizerState {
  name: string;
  /** Number of updates applied so far. */
  step: number;
  /** Slot tensors by `<param>#<slot>` (e.g. `blocks.0.attn.qkv.kernel#m`). */
  slots: Map<string, tf.Tensor>;
}

export interface Optimizer {
  readonly name: string;
  /** Updates applied so far. */
  readonly step: number;
  /** Applies one update: params[name] -= f(grads[name]); parameters without a gradient are left alone. */
  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void;
  /** The live state (slot tensors are the optimiser's own; do not dispose them). */
  state(): OptimizerState;
  /** Replaces the state with copies of `state`'s tensors (shapes must match the parameters). */
  load(state: OptimizerState): void;
  dispose(): void;
}

export function slotName(param: string, slot: string): string {
  return `${param}#${slot}`;
}
