// PadV2 for webgpu at any rank. tfjs-backend-webgpu's pad shader indexes its coordinates as a WGSL vector, which
// exists up to 4 components only, so a rank-5 or rank-6 pad fails to compile (the gradient of a rank-6 strided
// view, e.g. ResNet's option-A shortcut, is one). Merges runs of unpadded axes (a reshape, no copy) and, when more
// than four axes remain, pads one axis at a time as [before, axis, after].
import { tf } from '../../tf.ts';

type Paddings = [number, number][];

interface Disposer {
  disposeData(dataId: object): boolean;
}

const MAX_RANK = 4;

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** Shape and paddings with every run of consecutive unpadded axes merged into one axis. */
export function mergeUnpaddedAxes(shape: readonly number[], paddings: Paddings): { shape: number[]; paddings: Paddings } {
  const outShape: number[] = [];
  const outPad: Paddings = [];
  shape.forEach((d, i) => {
    const p = paddings[i]!;
    const unpadded = p[0] === 0 && p[1] === 0;
    const last = outPad.length - 1;
    if (unpadded && last >= 0 && outPad[last]![0] === 0 && outPad[last]![1] === 0) outShape[last] *= d;
    else {
      outShape.push(d);
      outPad.push([p[0], p[1]]);
    }
  });
  return { shape: outShape, paddings: outPad };
}

export function registerAnyRankPad(): void {
  const original = tf.getKernel(tf.PadV2, 'webgpu');
  const reshapeKernel = tf.getKernel(tf.Reshape, 'webgpu');
  if (original === undefined || reshapeKernel === undefined || (original as { anyRank?: boolean }).anyRank) return;
  const pad = original.kernelFunc;
  const padV2 = ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo => {
    const x = (inputs as { x: tf.TensorInfo }).x;
    const { paddings, constantValue } = attrs as unknown as { paddings: Paddings; constantValue: number };
    if (x.shape.length <= MAX_RANK) return pad({ inputs, backend, attrs }) as tf.TensorInfo;
    const temps: tf.TensorInfo[] = [];
    const reshape = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => {
      const r = reshapeKernel.kernelFunc({ inputs: { x: t }, backend, attrs: { shape } }) as tf.TensorInfo;
      temps.push(r);
      return r;
    };
    const padOnce = (t: tf.TensorInfo, p: Paddings): tf.TensorInfo => {
      const r = pad({ inputs: { x: t }, backend, attrs: { paddings: p, constantValue } as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      temps.push(r);
      return r;
    };
    const outShape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
    const merged = mergeUnpaddedAxes(x.shape, paddings);
    let result: tf.TensorInfo;
    if (merged.shape.length <= MAX_RANK) {
      result = padOnce(reshape(x, merged.shape), merged.paddings);
    } else {
      let cur = x;
      let curShape = [...x.shape];
      curShape.forEach((d, i) => {
        const p = paddings[i]!;
        if (p[0] === 0 && p[1] === 0) return;
        const before = product(curShape.slice(0, i));
        const after = product(curShape.slice(i + 1));
        cur = padOnce(reshape(cur, [before, d, after]), [[0, 0], [p[0], p[1]], [0, 0]]);
        curShape = curShape.map((s, j) => (j === i ? s + p[0] + p[1] : s));
      });
      result = cur;
    }
    const out = reshapeKernel.kernelFunc({ inputs: { x: result }, backend, attrs: { shape: outShape } }) as tf.TensorInfo;
    for (const t of temps) (backend as unknown as Disposer).disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel(tf.PadV2, 'webgpu');
  tf.registerKernel({ ...original, kernelFunc: padV2 as tf.KernelFunc, anyRank: true } as tf.KernelConfig);
}
