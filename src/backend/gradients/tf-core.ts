// tfjs-core for the gradient registrations. This folder is imported by src/backend/tf.ts itself, so it
// cannot import that module (cycle); it imports the union package first so that tfjs-core's own
// gradients are registered before ours override or extend them.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { HOST_BACKENDS } from '../host-backends.ts';

export { tf };

/**
 * Whether the engine is recording a tape right now, i.e. whether the tensors a gradient function creates
 * will themselves be differentiated (a gradient of a gradient: Hessian-vector products).
 */
export function recordingTape(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean; state: { gradientDepth: number; kernelDepth: number } };
  if (typeof engine.isTapeOn === 'function') return engine.isTapeOn();
  return engine.state.gradientDepth > 0 && engine.state.kernelDepth === 0;
}

/** Runs a registered kernel through the engine (so that it is recorded on the tape like any op). */
export function runKernel<T extends tf.Tensor>(name: string, inputs: Record<string, tf.Tensor>, attrs: object): T {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as T;
}

/**
 * Whether a fused host kernel can take these inputs: the current backend is a host backend (cpu, native) that has
 * `kernel` registered, and the inputs are float32 tensors of one shape. Other backends use the composites.
 */
export function hostKernelTakes(kernel: string, inputs: readonly tf.Tensor[]): boolean {
  const backend = tf.getBackend();
  if (!HOST_BACKENDS.has(backend) || tf.getKernel(kernel, backend) === undefined) return false;
  const shape = inputs[0]?.shape ?? [];
  return inputs.every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, shape));
}
