// Gradient-norm clipping over all parameters together (torch.nn.utils.clip_grad_norm_):
// when the global L2 norm exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6).
import { tf } from '../backend/tf.ts';

export function globalNorm(grads: ReadonlyMap<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  return tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
}

/**
 * Returns the gradients to use and the norm before clipping. When clipping happens the returned map holds
 * new tensors (the caller disposes both maps); otherwise it is `grads` itself. maxNorm <= 0 disables clipping.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number; clipped: boolean } {
  const norm = globalNorm(grads);
  if (!(maxNorm > 0) || !(norm > maxNorm)) return { grads, norm, clipped: false };
  const scale = maxNorm / (norm + 1e-6);
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) out.set(k, tf.mul(g, scale));
  return { grads: out, norm, clipped: true };
}
