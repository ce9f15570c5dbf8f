// Synchronous reads (dataSync, arraySync, bufferSync) of data that lives on the GPU. tfjs-backend-webgpu does them
// in browsers through an OffscreenCanvas; Node has none, and Dawn's buffer mapping only completes on a later turn
// of the event loop, so a synchronous read cannot wait for it. Data already on the CPU (uploaded from JavaScript,
// or read once with `await tensor.data()`, which caches it) is still returned; anything else fails with a message
// naming the asynchronous call, instead of "OffscreenCanvas is not defined" deep inside tfjs.
import type { tf } from '../tf.ts';

interface TensorDataEntry {
  values?: unknown;
  dtype: string;
  shape: number[];
}

interface WebGPUBackendLike {
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): TensorDataEntry | undefined };
}

export class SyncReadError extends Error {}

export function syncReadMessage(shape: readonly number[], dtype: string): string {
  return `webgpu backend: a synchronous read (dataSync/arraySync/bufferSync) of a ${dtype} tensor of shape [${shape.join(', ')}] ` +
    'cannot wait for the GPU under Node; read it with `await tensor.data()` (or `await tensor.array()`), or run this command on another backend (--backend native)';
}

/** Wraps the backend's readSync so that a read which would need the GPU throws SyncReadError. */
export function guardSyncReads(backend: tf.KernelBackend): void {
  const b = backend as unknown as WebGPUBackendLike;
  const original = b.readSync.bind(b);
  b.readSync = (dataId: object) => {
    const entry = b.tensorMap.get(dataId);
    if (entry !== undefined && entry.values == null && entry.dtype !== 'string' && entry.dtype !== 'complex64') {
      throw new SyncReadError(syncReadMessage(entry.shape, entry.dtype));
    }
    return original(dataId);
  };
}
