// Hostile checkpoint files in every family's checkpoint layouts (fuzz-readers.ts runs this part too): for each
// registered checkpoint source, a valid safetensors file of a tiny preset is written in that source's names and
// PyTorch layouts (timm <= 0.6 Swin with its I64 relative_position_index and attn_mask buffers, PiT's 4-D pos_embed
// and depthwise pooling filters, ...), then truncated, its header and body damaged, its tensors' dtypes, shapes and
// offsets changed, its derived buffers altered and its keys renamed. Every import must end in an expected error
// naming the file, or import a valid file; nothing is written on error and the input files never change.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import '../support/presets.ts';
import { createModel, resolveConfig } from '../../src/models/create.ts';
import { checkpointSources, listPresets } from '../../src/models/registry.ts';
import { exportFor, safetensors } from '../import/layout-export.ts';
import { importCheckpoint } from '../../src/models/import/import-checkpoint.ts';
import type { Rng } from '../../src/util/random.ts';

type Check = (kind: string, label: string, dir: string, valid: boolean | null, names: string[], fn: () => unknown) => Promise<void>;

/** Runs the import cases for every checkpoint source with a tiny test preset of its family. */
export async function fuzzImports(root: string, rng: Rng, check: Check): Promise<void> {
  const inputs = path.join(root, 'import-in');
  const outs = path.join(root, 'import-out');
  mkdirSync(inputs, { recursive: true });
  mkdirSync(outs, { recursive: true });
  let serial = 0;
  for (const { family, source } of checkpointSources()) {
    const preset = listPresets({ family: family.name }).find((n) => n.endsWith('-tiny-test'));
    if (!preset) continue;
    let config = resolveConfig(preset, { numClasses: 3 });
    if (source.refusal?.(config)) {
      // e.g. timm's ResNet needs the ImageNet stem
      const alt = listPresets({ family: family.name }).filter((n) => n.endsWith('-tiny-test')).map((n) => resolveConfig(n, { numClasses: 3 }));
      const fits = alt.find((c) => !source.refusal?.(c)) ?? (family.name === 'resnet' ? { ...config, preset: 'resnet-imagenet-tiny', stem: 'imagenet', imageSize: 32 } : null);
      if (!fits || source.refusal?.(fits)) continue;
      config = fits;
    }
    const model = createModel(config, { seed: 3 });
    const tensors = exportFor(model, source);
    const original = new Map([...model.params, ...model.buffers].map(([n, v]) => [n, Array.from(v.dataSync())]));
    model.dispose();
    const kind = (what: string): string => `import ${source.id}: ${what}`;
    const run = async (what: string, label: string, bytes: Uint8Array, valid: boolean | null, names: string[] = [], roundTrip = false): Promise<void> => {
      const file = path.join(inputs, `${source.id}-${serial++}.safetensors`);
      writeFileSync(file, bytes);
      const out = path.join(outs, `out-${serial}`);
      let accepted = false;
      await check(kind(what), label, inputs, valid, [file, ...names], async () => {
        const r = await importCheckpoint({ from: file, arch: config, out, source: source.id });
        accepted = true;
        try {
          // the valid file holds the original weights: the key map and the layouts must give them back exactly
          if (roundTrip)
            for (const [n, v] of [...r.model.params, ...r.model.buffers])
              if (JSON.stringify(Array.from(v.dataSync())) !== JSON.stringify(original.get(n))) throw new Error(`round trip through ${source.id} changed '${n}'`);
        } finally {
          r.model.dispose();
        }
      });
      // an import that failed wrote nothing
      if (!accepted && existsSync(out)) throw new Error(`${kind(what)} ${label}: a failed import left ${out}`);
      rmSync(out, { recursive: true, force: true });
      rmSync(file, { force: true });
    };
    const good = safetensors(tensors);
    await run('valid (round trip)', `${tensors.size} tensors`, good, true, [], true);
    const headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
    for (let i = 0; i < 6; i++) {
      const len = i % 2 ? rng.int(8 + headerLen) : 8 + headerLen + rng.int(good.length - 8 - headerLen);
      await run('truncated', `to ${len} bytes`, good.slice(0, len), false);
    }
    for (let i = 0; i < 6; i++) {
      const b = good.slice();
      const n = 1 + rng.int(12);
      for (let j = 0; j < n; j++) b[i < 2 ? rng.int(8) : 8 + rng.int(headerLen)] = rng.int(256);
      await run('garbage in header', `${n} bytes`, b, null);
    }
    const keys = [...tensors.keys()];
    for (let i = 0; i < 8; i++) {
      const key = keys[rng.int(keys.length)]!;
      const what = i % 4;
      const mutated = safetensors(tensors, (h) => {
        const e = h[key] as { dtype: unknown; shape: unknown; data_offsets: [number, number] };
        if (what === 0) e.dtype = ['F8_E4M3', 'I64', 'x', 7][rng.int(4)];
        else if (what === 1) e.shape = [[1e15, 1e15], [-1], 'big', [...(e.shape as number[]), 2]][rng.int(4)];
        else if (what === 2) e.data_offsets = [[e.data_offsets[0], e.data_offsets[1] + 4], [e.data_offsets[1], e.data_offsets[0]], [0, 2 ** 53], [-8, 0]][rng.int(4)] as [number, number];
        else return Object.fromEntries(Object.entries(h).map(([k, v]) => [k === key ? `${k}.renamed` : k, v]));
        return h;
      });
      // an I64 copy of a float tensor is refused as not floating-point unless it is a derived integer buffer
      await run('wrong dtype/shape/offsets/key', `${key} ${['dtype', 'shape', 'offsets', 'renamed'][what]}`, mutated, false, [key]);
    }
    for (const [key, t] of tensors) {
      if (!/relative_position_index$|attn_mask$/.test(key)) continue;
      const values = Float64Array.from(t.values);
      values[rng.int(values.length)] = t.dtype === 'I64' ? 1e6 : 7;
      await run('derived buffer altered', key, safetensors(new Map([...tensors, [key, { ...t, values }]])), false, [key]);
      await run('derived buffer reshaped', key, safetensors(new Map([...tensors, [key, { ...t, shape: [t.shape.reduce((a, b) => a * b, 1)] }]])), false, [key]);
    }
    for (let i = 0; i < 3; i++) {
      const floats = keys.filter((k) => tensors.get(k)!.dtype === 'F32' && !/attn_mask$/.test(k));
      const key = floats[rng.int(floats.length)]!;
      const t = tensors.get(key)!;
      const values = Float32Array.from(t.values);
      values[rng.int(values.length)] = [NaN, Infinity, -Infinity][i]!;
      await run('non-finite weights', key, safetensors(new Map([...tensors, [key, { ...t, values }]])), false, [key]);
    }
  }
}
