// WGSL versions of the project's fused kernels (src/backend/fused-ops.ts) that pay off on a GPU, where every tfjs op
// is a dispatch: AdamW (one kernel per moment and one for the parameter, where the composite takes a dozen) and
// GELU (one, where the composite takes five). Same float32 formulas as the composites. Their gradients are the ones
// src/backend/gradients/fused-grad-kernels.ts registers, which fall back to composite ops on backends without the
// fused backward kernels, so double backprop works unchanged. Layer norm and batch norm (row and column reductions)
// keep their composite form on webgpu.
import { tf } from '../../tf.ts';
import { ADAMW, GELU, type AdamWAttrs } from '../../native/fused-kernels.ts';
import { runElementwise, type WebGPUUtil } from './program.ts';

// erf by Abramowitz & Stegun 7.1.26, the approximation of tfjs's Erf kernels (and of erfApprox in the cpu kernels)
const ERF_WGSL = `
          let t = 1.0 / (1.0 + 0.3275911 * abs(z));
          let e = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-z * z);
          let erfz = select(e, -e, z < 0.0);`;

function adamw(util: WebGPUUtil, { inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { p, g, m, v } = inputs as Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>;
  const a = attrs as unknown as AdamWAttrs;
  // as adamwUpdateComposite: m' = m b1 + g (1 - b1); v' = v b2 + g² (1 - b2); p' = p (1 - decay) - m' / (sqrt(v') / bc2 + eps) stepSize
  const mNew = runElementwise(util, backend, 'adamw_m', { M: m, G: g }, { keep: a.beta1, mix: 1 - a.beta1 }, 'setOutputAtIndex(index, m * uniforms.keep + g * uniforms.mix);');
  const vNew = runElementwise(util, backend, 'adamw_v', { V: v, G: g }, { keep: a.beta2, mix: 1 - a.beta2 }, 'setOutputAtIndex(index, v * uniforms.keep + (g * g) * uniforms.mix);');
  const pNew = runElementwise(util, backend, 'adamw_p', { P: p, M: mNew, V: vNew }, { shrink: 1 - a.decay, bc2: a.bc2Sqrt, eps: a.eps, step: a.stepSize },
    'let base = select(p * uniforms.shrink, p, uniforms.shrink == 1.0);\n          setOutputAtIndex(index, base - (m / (sqrt(v) / uniforms.bc2 + uniforms.eps)) * uniforms.step);');
  return [pNew, mNew, vNew];
}

function gelu(util: WebGPUUtil, { inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  // as geluComposite: (x 0.5) (erf(x / sqrt 2) + 1)
  return runElementwise(util, backend, 'gelu', { X: x }, { rsqrt2: Math.SQRT1_2 }, `let z = x * uniforms.rsqrt2;${ERF_WGSL}
          setOutputAtIndex(index, (x * 0.5) * (erfz + 1.0));`);
}

/** Registers the kernels for the webgpu backend (once), with tfjs-backend-webgpu's dispatch helpers. */
export function registerFusedWebGPUKernels(util: WebGPUUtil): void {
  const kernel = <R>(f: (util: WebGPUUtil, args: Parameters<tf.KernelFunc>[0]) => R) => ((args: Parameters<tf.KernelFunc>[0]) => f(util, args)) as unknown as tf.KernelFunc;
  if (tf.getKernel(ADAMW, 'webgpu') === undefined) tf.registerKernel({ kernelName: ADAMW, backendName: 'webgpu', kernelFunc: kernel(adamw) });
  if (tf.getKernel(GELU, 'webgpu') === undefined) tf.registerKernel({ kernelName: GELU, backendName: 'webgpu', kernelFunc: kernel(gelu) });
}
