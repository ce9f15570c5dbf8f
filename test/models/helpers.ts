// Shared helpers for the models tests: backends to run on, expected feature layouts derived from a
// configuration (independently of the model code), and finite differences.
import { tf } from '../../src/backend/tf.ts';
import { initBackend, type BackendName } from '../../src/backend/select.ts';
import type { AnyModelConfig } from '../../src/models/index.ts';
import type { BlockKind } from '../../src/models/model.ts';

/** 'cpu', plus 'native' when that backend can be initialised here. Leaves the cpu backend selected. */
export async function availableBackends(): Promise<BackendName[]> {
  const out: BackendName[] = ['cpu'];
  try {
    await initBackend({ backend: 'native', quiet: true });
    out.push('native');
  } catch {
    // not built or not registered: cpu only
  }
  await initBackend({ backend: 'cpu', quiet: true });
  return out;
}

export async function useBackend(name: BackendName): Promise<void> {
  await initBackend({ backend: name, quiet: true });
  if (tf.getBackend() !== name) throw new Error(`backend ${name} not selected (got ${tf.getBackend()})`);
}

export interface ExpectedFeature {
  kind: BlockKind;
  shape: [number, number, number]; // H, W, C
}

/** The paper's decomposition of a configuration into blocks, worked out from the config alone. */
export function expectedFeatures(c: AnyModelConfig): ExpectedFeature[] {
  const out: ExpectedFeature[] = [];
  if (c.family === 'vit') {
    const g = c.imageSize / c.patchSize;
    out.push({ kind: 'embedding', shape: [g, g, c.dim] });
    for (let i = 0; i < c.depth; i++) out.push({ kind: 'msa', shape: [g, g, c.dim] }, { kind: 'mlp', shape: [g, g, c.dim] });
  } else if (c.family === 'swin') {
    let g = c.imageSize / c.patchSize;
    let d = c.dim;
    out.push({ kind: 'embedding', shape: [g, g, d] });
    c.depths.forEach((depth, s) => {
      if (s > 0) {
        g /= 2;
        d *= 2;
        out.push({ kind: 'pool', shape: [g, g, d] });
      }
      for (let j = 0; j < depth; j++) out.push({ kind: 'msa', shape: [g, g, d] }, { kind: 'mlp', shape: [g, g, d] });
    });
  } else if (c.family === 'pit') {
    let g = Math.floor((c.imageSize - c.patchSize) / c.stride) + 1;
    out.push({ kind: 'embedding', shape: [g, g, c.baseDims[0]! * c.heads[0]!] });
    c.depths.forEach((depth, s) => {
      const d = c.baseDims[s]! * c.heads[s]!;
      if (s > 0) {
        g = Math.ceil(g / 2); // k3 s2 p1
        out.push({ kind: 'pool', shape: [g, g, d] });
      }
      for (let j = 0; j < depth; j++) out.push({ kind: 'msa', shape: [g, g, d] }, { kind: 'mlp', shape: [g, g, d] });
    });
  } else if (c.family === 'mixer') {
    const g = c.imageSize / c.patchSize;
    out.push({ kind: 'embedding', shape: [g, g, c.dim] });
    for (let i = 0; i < c.depth; i++) out.push({ kind: 'token-mlp', shape: [g, g, c.dim] }, { kind: 'mlp', shape: [g, g, c.dim] });
  } else if (c.family === 'mobilevit') {
    const side = (s: number, stride: number) => Math.floor((s - 1) / stride) + 1; // 3x3 conv, padding 1
    let g = side(c.imageSize, c.stemStride);
    out.push({ kind: 'embedding', shape: [g, g, c.stemWidth] });
    c.widths.forEach((w, s) => {
      for (let j = 0; j < c.stageBlocks[s]!; j++) {
        const stride = j === 0 ? c.strides[s]! : 1;
        g = side(g, stride);
        out.push({ kind: stride > 1 ? 'pool' : 'conv', shape: [g, g, w] });
      }
      const d = c.transformerDims[s]!;
      if (d === 0) return;
      for (let k = 0; k < c.transformerDepths[s]!; k++) out.push({ kind: 'msa', shape: [g, g, d] }, { kind: 'mlp', shape: [g, g, d] });
      out.push({ kind: 'conv', shape: [g, g, w] });
    });
    out.push({ kind: 'conv', shape: [g, g, c.numFeatures] });
  } else {
    const e = c.block === 'bottleneck' ? 4 : 1;
    let g = c.imageSize;
    out.push({ kind: 'embedding', shape: [g, g, c.stemWidth] });
    c.widths.forEach((w, s) => {
      for (let j = 0; j < c.stageBlocks[s]!; j++) {
        const down = s > 0 && j === 0;
        if (down) g /= 2;
        const msa = c.family === 'alternet' && c.msaBlocks[s]!.includes(j);
        out.push({ kind: msa ? 'msa' : down ? 'pool' : 'conv', shape: [g, g, w * e] });
      }
    });
  }
  return out;
}

/** Deterministic pseudo-random numbers in [-1, 1) without touching tf's global RNG. */
export function pseudoRandom(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = (s / 4294967296) * 2 - 1;
  }
  return a;
}

export function randomImages(b: number, size: number, seed: number): tf.Tensor4D {
  return tf.tensor4d(pseudoRandom(b * size * size * 3, seed), [b, size, size, 3]);
}

export function norm2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s) / Math.max(norm2(a), norm2(b), 1e-12);
}
