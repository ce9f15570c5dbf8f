// The `native` tfjs backend: the cpu backend's storage (typed arrays, no 4 GB limit) with kernels on the addon,
// and tensor memory recycled through ./buffer-pool.ts.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { tf } from '../tf.ts';
import { pool } from './buffer-pool.ts';

type DataId = object;

export class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // MathBackendCPU prints a tfjs-node advertisement on first use; this backend is the fast path
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): DataId {
    pool.attach(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    pool.attach(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const d = this.data.get(dataId);
    if (d) pool.escape(d.values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const d = this.data.get(dataId);
    const freed = super.disposeData(dataId, force);
    if (freed && d && !this.data.has(dataId)) pool.release(d.values);
    return freed;
  }
}
