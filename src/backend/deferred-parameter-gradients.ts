// Parameter gradients whose values nobody reads, left uncomputed.
// An exact Hessian-vector product differentiates <∇L, v> a second time. Its first backward pass must build the
// whole graph of ∇L, but the values of the parameter gradients themselves are never read: only their tape nodes
// are differentiated again, and those gradients use the nodes' saved inputs, not their outputs. For every weight
// matrix and convolution filter that was one matrix product or filter-gradient convolution of full cost per
// layer (of nine in the product). Inside `withDeferredParameterGradients(params, f)` those kernels are replaced by
// stand-ins of the same shape (zeros) whose registered gradients are the real kernels' gradients, so the second
// pass is unchanged to the bit.
// Only BatchMatMul (a linear layer's weight), Conv2D and DepthwiseConv2dNative (a filter) are deferred, and only
// where the operand is one of the given parameters (same data) on a host backend; everything else runs as usual.
import { tf } from './tf.ts';
import { pool } from './native/buffer-pool.ts';
import { HOST_BACKENDS } from './host-backends.ts';
import type { Backend } from './native/kernels/util.ts';

export const DEFERRED_MATMUL = 'VitscopeDeferredBatchMatMul';
export const DEFERRED_CONV_FILTER = 'VitscopeDeferredConv2DBackpropFilter';
export const DEFERRED_DEPTHWISE_FILTER = 'VitscopeDeferredDepthwiseBackpropFilter';

/** Data of the parameters whose gradients are deferred right now; null outside withDeferredParameterGradients. */
let deferred: Set<object> | null = null;

let enabled = true;

/** Turns deferral off (false) or back on; returns the previous setting. For tests and profiling. */
export function setParameterGradientDeferral(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** f() with the gradients of `params` (as BatchMatMul, Conv2D or depthwise operands) computed as shape-only stand-ins. */
export function withDeferredParameterGradients<T>(params: readonly tf.Tensor[], f: () => T): T {
  if (!enabled || !HOST_BACKENDS.has(tf.getBackend()) || deferred !== null) return f();
  deferred = new Set(params.map((p) => p.dataId as object));
  try {
    return f();
  } finally {
    deferred = null;
  }
}

function isDeferred(t: tf.Tensor | undefined): boolean {
  return deferred !== null && t !== undefined && deferred.has(t.dataId as object);
}

/** Zeros of `shape`; on the native backend from its buffer pool (fresh memory costs page faults per product). */
function zerosInfo(backend: unknown, shape: number[]): tf.TensorInfo {
  const n = tf.util.sizeFromShape(shape);
  const values = tf.getBackend() === 'native' ? (pool.take('float32', n, true) as Float32Array) : new Float32Array(n);
  return (backend as Backend).makeTensorInfo(shape, 'float32', values);
}

/** matMul(a, b, transposeA, transposeB)'s output shape (rank-2 operands, or equal batch dimensions). */
function matMulShape(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): number[] {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  return [...a.shape.slice(0, -2), m, n];
}

// Stand-in kernels: the output's shape and zeros, nothing computed.
for (const backendName of HOST_BACKENDS) {
  if (!tf.getKernel(DEFERRED_MATMUL, backendName)) {
    tf.registerKernel({
      kernelName: DEFERRED_MATMUL, backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const { a, b } = inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
        const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
        return zerosInfo(backend, matMulShape(a, b, transposeA, transposeB));
      },
    });
  }
  if (!tf.getKernel(DEFERRED_CONV_FILTER, backendName)) {
    tf.registerKernel({
      kernelName: DEFERRED_CONV_FILTER, backendName,
      kernelFunc: ({ attrs, backend }) => zerosInfo(backend, [...(attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape]),
    });
  }
  if (!tf.getKernel(DEFERRED_DEPTHWISE_FILTER, backendName)) {
    tf.registerKernel({
      kernelName: DEFERRED_DEPTHWISE_FILTER, backendName,
      kernelFunc: ({ attrs, backend }) => zerosInfo(backend, [...(attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs).filterShape]),
    });
  }
}

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** The stand-ins differentiate exactly like the kernels they replace. */
function registerStandInGradients(): void {
  const matMulGrad = tf.getGradient('BatchMatMul');
  const filterGrad = tf.getGradient('Conv2DBackpropFilter');
  const depthwiseFilterGrad = tf.getGradient('DepthwiseConv2dNativeBackpropFilter');
  if (!matMulGrad || !filterGrad || !depthwiseFilterGrad)
    throw new Error('deferred parameter gradients: BatchMatMul, Conv2DBackpropFilter or DepthwiseConv2dNativeBackpropFilter has no registered gradient');
  tf.registerGradient({ ...matMulGrad, kernelName: DEFERRED_MATMUL });
  tf.registerGradient({ ...filterGrad, kernelName: DEFERRED_CONV_FILTER });
  tf.registerGradient({ ...depthwiseFilterGrad, kernelName: DEFERRED_DEPTHWISE_FILTER });
}

/**
 * BatchMatMul's gradient with the parameter operand's term deferred. The stand-in gets exactly the operands and
 * transposes of the product tfjs-core's gradient computes for that operand (rank-2 operands only).
 */
function wrapMatMulGradient(): void {
  const original = tf.getGradient('BatchMatMul')!;
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const grads = original.gradFunc(dy, saved, attrs);
      const [a, b] = saved;
      const d = dy as tf.Tensor;
      if (deferred === null || a!.rank !== 2 || b!.rank !== 2) return grads;
      const { transposeA: ta, transposeB: tb } = attrs as unknown as tf.BatchMatMulAttrs;
      const out = { ...grads };
      if (isDeferred(b)) {
        // tfjs-core: !ta&&!tb: a^T dy; !ta&&tb: dy^T a; ta&&!tb: a dy; ta&&tb: dy^T a^T
        out.b = () => (!ta && !tb ? runKernel(DEFERRED_MATMUL, { a: a!, b: d }, { transposeA: true, transposeB: false })
          : !ta && tb ? runKernel(DEFERRED_MATMUL, { a: d, b: a! }, { transposeA: true, transposeB: false })
          : ta && !tb ? runKernel(DEFERRED_MATMUL, { a: a!, b: d }, { transposeA: false, transposeB: false })
          : runKernel(DEFERRED_MATMUL, { a: d, b: a! }, { transposeA: true, transposeB: true }));
      }
      if (isDeferred(a)) {
        // tfjs-core: !ta&&!tb: dy b^T; !ta&&tb: dy b; ta&&!tb: b dy^T; ta&&tb: b^T dy^T
        out.a = () => (!ta && !tb ? runKernel(DEFERRED_MATMUL, { a: d, b: b! }, { transposeA: false, transposeB: true })
          : !ta && tb ? runKernel(DEFERRED_MATMUL, { a: d, b: b! }, { transposeA: false, transposeB: false })
          : ta && !tb ? runKernel(DEFERRED_MATMUL, { a: b!, b: d }, { transposeA: false, transposeB: true })
          : runKernel(DEFERRED_MATMUL, { a: b!, b: d }, { transposeA: true, transposeB: true }));
      }
      return out;
    },
  });
}

/** Conv2D's gradient with the filter's term deferred (NHWC, no dilation: what tfjs-core's filter gradient supports). */
function wrapConvGradient(): void {
  const original = tf.getGradient('Conv2D')!;
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const grads = original.gradFunc(dy, saved, attrs);
      const [x, filter] = saved;
      if (!isDeferred(filter) || x!.rank !== 4) return grads;
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
      return {
        ...grads,
        filter: () => runKernel(DEFERRED_CONV_FILTER, { x: x!, dy: dy as tf.Tensor }, { strides, pad, dataFormat, dimRoundingMode, filterShape: filter!.shape }),
      };
    },
  });
}

/**
 * DepthwiseConv2dNative's gradient with the filter's term deferred: the stand-in gets the inputs and attributes of
 * the DepthwiseConv2dNativeBackpropFilter kernel tfjs-core's gradient runs (NHWC, dilation 1, which that gradient requires).
 */
function wrapDepthwiseGradient(): void {
  const original = tf.getGradient('DepthwiseConv2dNative')!;
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const grads = original.gradFunc(dy, saved, attrs);
      const [x, filter] = saved;
      if (!isDeferred(filter) || x!.rank !== 4) return grads;
      const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
      return {
        ...grads,
        filter: () => runKernel(DEFERRED_DEPTHWISE_FILTER, { x: x!, dy: dy as tf.Tensor },
          { strides, pad, dilations: dilations ?? [1, 1], dimRoundingMode, filterShape: filter!.shape }),
      };
    },
  });
}

registerStandInGradients();
wrapMatMulGradient();
wrapConvGradient();
wrapDepthwiseGradient();
