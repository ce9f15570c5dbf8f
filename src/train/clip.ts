// Gradient-norm clipping over all parameters together (torch.nn.utils.clip_grad_norm_):
// when the global L2 norm exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6).
import { tf } from '../backend/tf.ts';
import { sumOfSquares } from '../backend/sum-of-squares.ts';

/** The global L2 norm of the gradients as a scalar tensor (the caller disposes it; read it with `await .data()`). */
export function globalNormTensor(grads: ReadonlyMap<string, tf.Tensor>): tf.Scalar {
  if (grads.size === 0) return tf.scalar(0);
  // one kernel over all gradients on host backends (src/backend/sum-of-squares.ts)
  return tf.tidy(() => tf.sqrt(sumOfSquares([...grads.values()])) as tf.Scalar);
}

export async function globalNorm(grads: ReadonlyMap<string, tf.Tensor>): Promise<number> {
  const t = globalNormTensor(grads);
  try {
    return (await t.data())[0]!;
  } finally {
    t.dispose();
  }
}

/**
 * Clips to `maxNorm` given the norm already read. When clipping happens the returned map holds new tensors (the
 * caller disposes both maps); otherwise it is `grads` itself. maxNorm <= 0 disables clipping.
 */
export function clipToNorm(grads: Map<string, tf.Tensor>, maxNorm: number, norm: number): { grads: Map<string, tf.Tensor>; clipped: boolean } {
  if (!(maxNorm > 0) || !(norm > maxNorm)) return { grads, clipped: false };
  const scale = maxNorm / (norm + 1e-6);
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) out.set(k, tf.mul(g, scale));
  return { grads: out, clipped: true };
}

/** Reads the global norm and clips to it (clipToNorm); returns the norm before clipping too. */
export async function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): Promise<{ grads: Map<string, tf.Tensor>; norm: number; clipped: boolean }> {
  const norm = await globalNorm(grads);
  return { ...clipToNorm(grads, maxNorm, norm), norm };
}
