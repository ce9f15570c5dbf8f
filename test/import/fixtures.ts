// The PyTorch-written checkpoints of the import tests: make_checkpoints.py run once per test process
// with ${VITSCOPE_PYTHON:-/usr/bin/python3} into a temporary directory. Without torch the tests that
// need them skip with the reason (in CI they fail instead: the set-up installs python3-torch).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../../src/models/model.ts';

export interface LogitsCase {
  files: string[];
  config: ModelConfig | null;
  preset: string | null;
  input: { shape: number[]; data: number[] };
  logits: { shape: number[]; data: number[] };
  /** vit-cls only: PyTorch's feature maps by vitscope's names (NHWC). */
  features?: Record<string, Packed>;
  /** vit-cls only: loss on soft targets + (l2/2) sum ||p||^2, gradient, v and Hessian-vector product by state-dict key. */
  derivatives?: {
    l2: number;
    targets: Packed;
    loss: number;
    gradient: Record<string, Packed>;
    v: Record<string, Packed>;
    hvp: Record<string, Packed>;
  };
}

export interface Packed {
  shape: number[];
  data: number[];
}

export interface Fixtures {
  dir: string;
  torch: string;
  cases: Record<string, LogitsCase>;
  dtypes: Record<string, { shape: number[]; data: number[] }>;
  file(name: string): string;
}

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'make_checkpoints.py');
let made: Fixtures | string | null = null;

/** The fixtures, or why they cannot be made here (a skip reason). */
export function torchFixtures(): Fixtures | string {
  if (made) return made;
  const python = process.env.VITSCOPE_PYTHON || '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = `PyTorch import tests skipped: '${python} -c "import torch"' failed (${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}); install python3-torch or set VITSCOPE_PYTHON`;
    if (process.env.CI) throw new Error(why.replace('skipped', 'cannot run in CI'));
    return (made = why);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'vitscope-import-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync(python, [script, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}`);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Omit<Fixtures, 'dir' | 'file'>;
  return (made = { ...manifest, dir, file: (name) => path.join(dir, name) });
}

/** Largest |a - b| over the entries, and whether every |a - b| <= atol + rtol |b|. */
export function compare(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): { maxAbs: number; ok: boolean } {
  if (a.length !== b.length) return { maxAbs: Infinity, ok: false };
  let maxAbs = 0;
  let ok = true;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    maxAbs = Math.max(maxAbs, d);
    if (!(d <= atol + rtol * Math.abs(b[i]!))) ok = false;
  }
  return { maxAbs, ok };
}
