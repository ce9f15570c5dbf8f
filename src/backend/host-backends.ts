// The backends whose tensors are typed arrays in this process (tfjs-backend-cpu's storage, which `native` shares):
// their values can be read and written in place, synchronously, at no cost, and host-only kernels register for them.
// Import-free, so that src/backend/gradients (which may not import ../tf.ts) can use it too.
export const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'native']);
