// Shared pieces of the PyTorch cross-check: finding a python with torch, exchanging tensors through
// safetensors files in a temporary directory, running the reference (test/crosscheck/py/crosscheck.py)
// once per test file, and measuring/recording agreement.
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../../src/models/safetensors.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PY_DIR = path.join(here, 'py');

export interface TorchPython {
  python: string;
  /** Null when torch can be imported; otherwise why the cross-check cannot run. */
  missing: string | null;
}

/** `${VITSCOPE_PYTHON:-/usr/bin/python3}` and whether it imports torch. */
export function findTorchPython(): TorchPython {
  const python = process.env.VITSCOPE_PYTHON || '/usr/bin/python3';
  const r = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) return { python, missing: `${python} cannot be run (${r.error.message})` };
  if (r.status !== 0) return { python, missing: `${python} cannot import torch and numpy: ${(r.stderr || '').trim().split('\n').pop()}` };
  return { python, missing: null };
}

/**
 * The skip reason for node:test, or null to run. Where torch is missing the check is skipped with the
 * reason — except in CI (CI set), where a missing torch is an error: the cross-check must run there.
 */
export function skipUnlessTorch(): string | false {
  const { missing } = findTorchPython();
  if (!missing) return false;
  if (process.env.CI) throw new Error(`PyTorch cross-check: ${missing}; CI must run it (set VITSCOPE_PYTHON to a python with torch 1.13+)`);
  return `PyTorch cross-check skipped: ${missing} (install python3-torch or set VITSCOPE_PYTHON)`;
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `vitscope-crosscheck-${prefix}-`));
}

export type Arrays = Record<string, { data: Float32Array | Float64Array | Int32Array; shape: number[] }>;

export async function writeArrays(file: string, arrays: Arrays): Promise<void> {
  const map = new Map<string, SafeTensor>();
  for (const [name, a] of Object.entries(arrays)) {
    const dtype = a.data instanceof Float32Array ? 'F32' : a.data instanceof Float64Array ? 'F64' : 'I32';
    map.set(name, { dtype, shape: a.shape, data: a.data });
  }
  await writeFileAtomic(file, encodeSafetensors(map));
}

export async function readArrays(file: string): Promise<Map<string, SafeTensor>> {
  return decodeSafetensors(new Uint8Array(await fs.readFile(file)), file).tensors;
}

/** Runs the reference (a script in py/) on a job file; resolves with its JSON report (stdout), rejects with its stderr. */
export function runReference(python: string, jobFile: string, script = 'crosscheck.py'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(PY_DIR, script), jobFile], {
      cwd: PY_DIR,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`PyTorch reference (${jobFile}) exited with ${code}:\n${err.slice(-4000)}`));
      else {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop() ?? 'null'));
        } catch {
          reject(new Error(`PyTorch reference printed no JSON report:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
        }
      }
    });
  });
}

type Numbers = ArrayLike<number>;

/**
 * max_i |a_i - b_i| / max_i |b_i|: the largest deviation relative to the reference's scale (entries near
 * zero would make an element-wise relative difference meaningless). `b` is PyTorch's.
 */
export function maxRelDiff(a: Numbers, b: Numbers): number {
  if (a.length !== b.length) throw new Error(`maxRelDiff: lengths ${a.length} and ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (!Number.isFinite(diff)) return Number.POSITIVE_INFINITY;
  return scale === 0 ? diff : diff / scale;
}

export interface AgreementRow {
  model: string;
  quantity: string;
  measured: number;
  tolerance: number;
}

/**
 * Collects measured agreement; `report()` prints the rows as a markdown table and, when
 * VITSCOPE_CROSSCHECK_TABLE names a file, appends them there as JSON lines (the README's table is made from them).
 */
export class Agreement {
  readonly rows: AgreementRow[] = [];

  record(model: string, quantity: string, measured: number, tolerance: number): void {
    this.rows.push({ model, quantity, measured, tolerance });
  }

  async report(): Promise<string> {
    const lines = ['| model | quantity | max relative difference | tolerance |', '|---|---|---|---|'];
    for (const r of this.rows) lines.push(`| ${r.model} | ${r.quantity} | ${r.measured.toExponential(1)} | ${r.tolerance.toExponential(0)} |`);
    const table = lines.join('\n');
    const file = process.env.VITSCOPE_CROSSCHECK_TABLE;
    if (file) await fs.appendFile(file, this.rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return table;
  }
}
