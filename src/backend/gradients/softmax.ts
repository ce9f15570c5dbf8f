// Softmax, twice differentiable: dx = y * (dy - sum(dy * y)). See exp.ts for why the saved output y
// cannot be used when the gradient itself is recorded; then y is recomputed from the saved logits.
//
// On the host backends (cpu, native) dx is one fused kernel, 'VitscopeSoftmaxGrad' (inputs y, dy; last axis only),
// instead of four composite ops: in a Hessian-vector product of a ViT the first backward pass records one kernel per
// attention layer instead of four score-sized ones, and the second backward pass differentiates it with one more
// fused kernel, 'VitscopeSoftmaxGradGrad' (both input adjoints in one pass per row). When that gradient is itself
// recorded (third order) it is expressed with differentiable ops. Other axes, dtypes and backends use the composite.
import { tf, recordingTape, runKernel, hostKernelTakes } from './tf-core.ts';

/** y (dy - s), s = sum(dy y) over the last axis: inputs {y, dy} of one shape, attribute {dim} (the last axis). */
export const SOFTMAX_GRAD = 'VitscopeSoftmaxGrad';
/**
 * SoftmaxGrad's input adjoints given the adjoint a of its output, s = sum(dy y), r = sum(a y) per row: inputs
 * {y, dy, a}, outputs [gy, gdy] = [a (dy - s) - r dy, y (a - r)]. Not differentiable (runs only off the tape).
 */
export const SOFTMAX_GRAD_GRAD = 'VitscopeSoftmaxGradGrad';

let fusedEnabled = true;

/** Turns the fused softmax gradient off (false: the composite, as before) or back on; returns the previous setting. */
export function setFusedSoftmaxGradEnabled(enabled: boolean): boolean {
  const prev = fusedEnabled;
  fusedEnabled = enabled;
  return prev;
}

const shapeText = (t: tf.TensorInfo) => `[${t.shape.join(',')}]`;

/**
 * Checks the inputs of SoftmaxGrad or SoftmaxGradGrad (float32, one shape of rank >= 1, dim the last axis) and
 * returns the rows and columns of their [rows, cols] layout; throws naming the kernel and what was found.
 */
export function softmaxGradLayout(kernel: string, inputs: tf.TensorInfo[], attrs: tf.NamedAttrMap | undefined): { rows: number; cols: number } {
  const first = inputs[0]!;
  const rank = first.shape.length;
  const dim = (attrs as unknown as { dim?: number } | undefined)?.dim ?? -1;
  if (rank === 0 || (dim !== -1 && dim !== rank - 1)) throw new Error(`${kernel}: dim ${dim} of shape ${shapeText(first)}, expected the last axis`);
  for (const t of inputs) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: an input has dtype ${t.dtype}, expected float32`);
    if (!tf.util.arraysEqual(t.shape, first.shape)) throw new Error(`${kernel}: inputs of shapes ${shapeText(first)} and ${shapeText(t)}, expected one shape`);
  }
  const cols = first.shape[rank - 1]!;
  return { rows: cols === 0 ? 0 : tf.util.sizeFromShape(first.shape) / cols, cols };
}

function fusedApplies(kernel: string, ts: tf.Tensor[], dim: number): boolean {
  const rank = ts[0]!.rank;
  return fusedEnabled && rank > 0 && (dim === -1 || dim === rank - 1) && hostKernelTakes(kernel, ts);
}

/** y (dy - sum(dy y, dim)): softmax's gradient given its output y; the fused kernel where it applies. Differentiable. */
export function softmaxGrad(y: tf.Tensor, dy: tf.Tensor, dim: number): tf.Tensor {
  if (fusedApplies(SOFTMAX_GRAD, [y, dy], dim)) return runKernel<tf.Tensor>(SOFTMAX_GRAD, { y, dy }, { dim: y.rank - 1 });
  const dyTimesY = tf.mul(dy, y);
  return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
}

export const softmaxGradConfig: tf.GradConfig = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [logits, savedY] = saved;
    const { dim } = attrs as unknown as tf.SoftmaxAttrs;
    return {
      logits: () => {
        const y = recordingTape() ? tf.softmax(logits, dim) : savedY!;
        return softmaxGrad(y, dy as tf.Tensor, dim);
      },
    };
  },
};

/**
 * SoftmaxGrad(y, dy) = y (dy - s), s = sum(dy y) per row. Given the adjoint A of its output, r = sum(A y):
 *   d/d dy = y (A - r) = SoftmaxGrad(y, A),   d/d y = A (dy - s) - r dy.
 * Off the tape both come from the one SoftmaxGradGrad kernel, run here (not in a thunk, whose tidy would dispose
 * the other output); recorded, they are differentiable ops (SoftmaxGrad's gradient being this one).
 */
export const softmaxGradGradConfig: tf.GradConfig = {
  kernelName: SOFTMAX_GRAD,
  inputsToSave: ['y', 'dy'],
  gradFunc: (ddx, saved) => {
    const [y, dy] = saved as [tf.Tensor, tf.Tensor];
    const A = ddx as tf.Tensor;
    const dim = y.rank - 1;
    if (!recordingTape() && fusedApplies(SOFTMAX_GRAD_GRAD, [y, dy, A], dim)) {
      const [gy, gdy] = runKernel<tf.Tensor>(SOFTMAX_GRAD_GRAD, { y, dy, a: A }, { dim }) as unknown as [tf.Tensor, tf.Tensor];
      return { y: () => gy, dy: () => gdy };
    }
    return {
      dy: () => softmaxGrad(y, A, dim),
      y: () => {
        const s = tf.sum(tf.mul(dy, y), dim, true);
        const r = tf.sum(tf.mul(A, y), dim, true);
        return tf.sub(tf.mul(A, tf.sub(dy, s)), tf.mul(r, dy));
      },
    };
  },
};
