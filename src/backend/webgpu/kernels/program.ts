// An elementwise WGSL program in tfjs-backend-webgpu's format: one thread per output element, flat index, inputs of
// the output's shape read with get<Name>ByOutputIndex, f32 uniforms in declaration order. tfjs wraps the user code
// with the buffer bindings, the helpers and the entry point.
// tfjs-backend-webgpu is imported by type only: the package is loaded (dynamically) when the backend is registered,
// and its webgpu_util handed in, so that importing this module costs nothing in processes that never use a GPU.
import type * as TfWebGPU from '@tensorflow/tfjs-backend-webgpu';
import type { tf } from '../../tf.ts';

export type WebGPUUtil = typeof TfWebGPU.webgpu_util;

export interface ElementwiseProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: true;
  uniforms?: string;
  getUserCode(): string;
}

interface ProgramRunner {
  runWebGPUProgram(program: ElementwiseProgram, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: { type: 'float32'; data: number[] }[]): tf.TensorInfo;
}

const WORKGROUP: [number, number, number] = [128, 1, 1];

/**
 * Runs `body` (WGSL statements ending in `setOutputAtIndex(index, ...)`, with a local `let <name> =` for every
 * input already read) once per element. `key` must identify the body: tfjs caches compiled pipelines by it.
 */
export function runElementwise(
  util: WebGPUUtil,
  backend: unknown,
  key: string,
  inputs: Record<string, tf.TensorInfo>,
  uniforms: Record<string, number>,
  body: string,
): tf.TensorInfo {
  const names = Object.keys(inputs);
  const shape = [...inputs[names[0]!]!.shape];
  const dispatchLayout = util.flatDispatchLayout(shape);
  const uniformNames = Object.keys(uniforms);
  const reads = names.map((n) => `let ${n.toLowerCase()} = get${n}ByOutputIndex(index);`).join('\n          ');
  const program: ElementwiseProgram = {
    variableNames: names,
    outputShape: shape,
    shaderKey: `vitscope_${key}`,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, shape, WORKGROUP) as [number, number, number],
    workgroupSize: WORKGROUP,
    size: true,
    ...(uniformNames.length > 0 ? { uniforms: uniformNames.map((u) => `${u} : f32,`).join(' ') } : {}),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${reads}
          ${body}
        }
      }`,
  };
  const data = uniformNames.map((u) => ({ type: 'float32' as const, data: [uniforms[u]!] }));
  return (backend as ProgramRunner).runWebGPUProgram(program, names.map((n) => inputs[n]!), 'float32', data);
}
