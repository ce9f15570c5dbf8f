// AddN for webgpu within the device's storage-buffer limit. tfjs-backend-webgpu's AddN binds every input to one
// shader; a gradient summed over more inputs than maxStorageBuffersPerShaderStage - 1 (8 by default, 12 on
// SwiftShader; double backprop through attention reaches 31) makes an invalid pipeline and a wrong sum. Sums at
// most that many inputs per dispatch, then the partial sums.
import { tf } from '../../tf.ts';

interface DeviceLimited {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

export function registerChunkedAddN(): void {
  const original = tf.getKernel(tf.AddN, 'webgpu');
  if (original === undefined || (original as { chunked?: boolean }).chunked) return;
  const kernelFunc = original.kernelFunc;
  const addN = ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo => {
    const tensors = inputs as unknown as tf.TensorInfo[];
    const b = backend as unknown as DeviceLimited;
    const perDispatch = Math.max(2, b.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (tensors.length <= perDispatch) return kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    const partials: tf.TensorInfo[] = [];
    for (let i = 0; i < tensors.length; i += perDispatch) {
      const group = tensors.slice(i, i + perDispatch);
      partials.push(group.length === 1 ? group[0]! : addN({ inputs: group as unknown as tf.NamedTensorInfoMap, backend, attrs }));
    }
    const sum = addN({ inputs: partials as unknown as tf.NamedTensorInfoMap, backend, attrs });
    for (const p of partials) if (!tensors.includes(p)) b.disposeData(p.dataId);
    return sum;
  };
  tf.unregisterKernel(tf.AddN, 'webgpu');
  tf.registerKernel({ ...original, kernelFunc: addN as tf.KernelFunc, chunked: true } as tf.KernelConfig);
}
