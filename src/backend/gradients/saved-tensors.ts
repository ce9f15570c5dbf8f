// How the engine keeps a kernel's inputs and outputs for its gradient. tfjs-core copies each one through
// Engine.clone: an Identity kernel dispatch plus a tape node whose gradient is a Cast, so that a gradient taken
// through the saved copy reaches the original. That link is only ever used when this gradient's own backward
// pass is recorded for a further differentiation, i.e. when another gradient encloses this one (gradient depth
// >= 2 while the kernel runs: the forward pass of a Hessian-vector product). In an ordinary training step
// (depth 1) nothing differentiates the backward pass, so the copies were ~200 kernel dispatches and tape nodes per
// resnet-20 step for nothing. There a saved tensor is a new handle on the same data (a reference count, no
// kernel, no tape node); at depth >= 2 tfjs-core's clone runs as before. Host backends only.
import { tf } from './tf-core.ts';
import { HOST_BACKENDS } from '../host-backends.ts';

interface EngineInternals {
  state: { gradientDepth: number; tensorInfo: { get(dataId: object): { backend: BackendWithRefs } | undefined } };
  backendName: string;
  keep<T extends tf.Tensor>(t: T): T;
  clone(t: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: unknown): tf.Tensor;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
}

interface BackendWithRefs {
  incRef(dataId: object): void;
}

let light = true;

/** Turns light saves off (false: tfjs-core's clones everywhere) or back on; returns the previous setting. */
export function setLightSavedTensors(on: boolean): boolean {
  const prev = light;
  light = on;
  return prev;
}

const engine = tf.engine() as unknown as EngineInternals;
const proto = Object.getPrototypeOf(engine) as EngineInternals & { __vitscopeLightSaves?: boolean };
if (!proto.__vitscopeLightSaves) {
  const original = proto.saveTensorsForBackwardMode;
  proto.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    if (!light || this.state.gradientDepth > 1 || !HOST_BACKENDS.has(this.backendName)) return original.call(this, tensors);
    return tensors.map((t) => {
      const backend = this.state.tensorInfo.get(t.dataId as object)?.backend;
      if (!backend || typeof backend.incRef !== 'function') return this.keep(this.clone(t));
      backend.incRef(t.dataId as object);
      return this.keep(this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }, backend));
    });
  };
  proto.__vitscopeLightSaves = true;
}
