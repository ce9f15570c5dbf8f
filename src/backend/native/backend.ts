// The `native` tfjs backend: the cpu backend's storage (typed arrays, no 4 GB limit) with kernels on the addon.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

export class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // MathBackendCPU prints a tfjs-node advertisement on first use; this backend is the fast path
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }
}
