// Test writers of checkpoint files in a checkpoint source's layout, independent of the importer's reader: a
// safetensors encoder (F32 and I64), and the state dict a source would hold for a model (every parameter and
// buffer under the source's key, converted to PyTorch's layout; timm <= 0.6 Swin's derived buffers added).
import type { CheckpointSource } from '../../src/models/checkpoint-source.ts';
import type { Model, ParamLayout } from '../../src/models/model.ts';
import { sourceShape, toSourceLayout } from '../../src/models/import/convert.ts';

export interface RawTensor {
  dtype: 'F32' | 'I64';
  shape: number[];
  values: ArrayLike<number>;
}

/** A safetensors file of F32 and I64 tensors (a test writer independent of the reader under test). */
export function safetensors(tensors: Map<string, RawTensor>, header?: (h: Record<string, unknown>) => unknown): Uint8Array {
  const h: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array(n * (t.dtype === 'F32' ? 4 : 8));
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      if (t.dtype === 'F32') view.setFloat32(4 * i, t.values[i]!, true);
      else view.setBigInt64(8 * i, BigInt(Math.round(t.values[i]!)), true);
    }
    h[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header ? header(h) : h));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The state dict `source` would hold for `model`: every parameter and buffer under its key and in PyTorch's layout, plus the derived buffers. */
export function exportFor(model: Model, source: CheckpointSource): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  const put = (target: string, shape: number[], layout: ParamLayout, values: Float32Array): void => {
    const k = source.key(target, model.config);
    const { key, from } = typeof k === 'string' ? { key: k, from: layout } : { key: k.key, from: k.layout ?? layout };
    out.set(key, { dtype: 'F32', shape: sourceShape(shape, from), values: toSourceLayout(values, shape, from) });
  };
  for (const p of model.paramInfo) put(p.name, p.shape, p.layout, model.params.get(p.name)!.dataSync() as Float32Array);
  for (const [name, v] of model.buffers) put(name, [...v.shape], v.rank === 1 ? 'vector' : 'tokens', v.dataSync() as Float32Array);
  // timm <= 0.6's Swin buffers beside every relative-position table
  for (const p of model.paramInfo) {
    const m = /^(.*)\.attn\.relative_position_bias_table$/.exec(p.name);
    if (!m) continue;
    for (const [key, dtype] of [[`${m[1]}.attn.relative_position_index`, 'I64'], [`${m[1]}.attn_mask`, 'F32']] as const) {
      const d = source.derived?.(key, model.config);
      if (d) out.set(key, { dtype, shape: d.shape, values: d.values });
    }
  }
  return out;
}
