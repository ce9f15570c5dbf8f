// Test helpers: a tiny learnable image set and, until the models package provides checkpoints, a stand-in
// checkpoint writer (JSON on disk) with the same contract.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../../src/backend/tf.ts';
import type { CifarData, ImageSet } from '../../src/data/types.ts';
import { createModel } from '../../src/models/create.ts';
import type { CheckpointIO } from '../../src/train/checkpoint.ts';
import { Rng } from '../../src/util/random.ts';

/** `count` 8x8 RGB images of `classes` classes: class c is a bright square in one of 4 quadrants plus a colour. */
export function tinySet(count: number, classes: number, seed: number, size = 8): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * size * size * 3);
  const fine = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    fine[i] = c;
    const qy = (c >> 1) & 1;
    const qx = c & 1;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const inside = Math.floor((y * 2) / size) === qy && Math.floor((x * 2) / size) === qx;
        for (let ch = 0; ch < 3; ch++) {
          const base = inside ? (ch === c % 3 ? 230 : 160) : 40;
          images[((i * size + y) * size + x) * 3 + ch] = Math.max(0, Math.min(255, base + Math.round(rng.normal() * 20)));
        }
      }
  }
  return { count, height: size, width: size, channels: 3, images, fineLabels: fine, coarseLabels: fine.slice() };
}

export function tinyData(train = 64, test = 32, classes = 4): Pick<CifarData, 'train' | 'test' | 'fineLabelNames' | 'coarseLabelNames'> {
  return {
    train: tinySet(train, classes, 1),
    test: tinySet(test, classes, 2),
    fineLabelNames: Array.from({ length: classes }, (_, i) => `c${i}`),
    coarseLabelNames: Array.from({ length: classes }, (_, i) => `c${i}`),
  };
}

async function dump(m: ReadonlyMap<string, tf.Tensor>): Promise<Record<string, { shape: number[]; data: number[] }>> {
  const out: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [k, t] of m) out[k] = { shape: t.shape, data: Array.from(await t.data()) };
  return out;
}

/** A stand-in CheckpointIO for tests (exact: float32 values round-trip through JSON numbers). */
export const jsonCheckpointIO: CheckpointIO = {
  async save(dir, c) {
    await fs.mkdir(dir, { recursive: true });
    const body = {
      config: c.model.config,
      params: await dump(c.model.params),
      buffers: await dump(c.model.buffers),
      optimizer: c.optimizer ? { name: c.optimizer.name, step: c.optimizer.step, slots: await dump(c.optimizer.slots) } : undefined,
      state: c.state,
    };
    await fs.writeFile(path.join(dir, 'ckpt.json'), JSON.stringify(body));
  },
  async load(dir) {
    const body = JSON.parse(await fs.readFile(path.join(dir, 'ckpt.json'), 'utf8'));
    const model = createModel(body.config);
    for (const [k, v] of Object.entries(body.params) as [string, { shape: number[]; data: number[] }][]) model.params.get(k)!.assign(tf.tensor(v.data, v.shape, 'float32'));
    for (const [k, v] of Object.entries(body.buffers) as [string, { shape: number[]; data: number[] }][]) model.buffers.get(k)!.assign(tf.tensor(v.data, v.shape, 'float32'));
    const slots = new Map<string, tf.Tensor>();
    if (body.optimizer) for (const [k, v] of Object.entries(body.optimizer.slots) as [string, { shape: number[]; data: number[] }][]) slots.set(k, tf.tensor(v.data, v.shape, 'float32'));
    return { model, optimizer: body.optimizer ? { name: body.optimizer.name, step: body.optimizer.step, slots } : undefined, state: body.state };
  },
};
