// The PyTorch reference: runs bench/torch_step.py with a Python that can import torch.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';

export interface TorchResult {
  model: string;
  batch: number;
  params: number;
  step_s: number;
  img_per_s: number;
  threads: number;
  torch: string;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_step.py');
const HVP_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_hvp.py');

/** bench/torch_hvp.py's line: value and gradient vs one exact Hessian-vector product (PyHessian's way). */
export interface TorchHvpResult {
  model: string;
  batch: number;
  params: number;
  threads: number;
  step_s: number;
  /** One product from the kept gradient graph (PyHessian's one-batch mode). */
  hvp_s: number;
  ratio: number;
  /** One product with the forward and first backward pass recomputed (PyHessian's dataloader mode). */
  hvp_recompute_s?: number;
  torch: string;
}

/** The pinned-timm virtual environment over Debian's torch (scripts/setup-tests/20-timm.sh). */
export const TIMM_VENV_PYTHON = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.venv', 'timm', 'bin', 'python');

/**
 * A Python interpreter that imports torch: $VITSCOPE_PYTHON, the timm virtual environment, python3, /usr/bin/python3;
 * null if none. `needTimm`: one that also imports timm (the paper presets' reference is timm's own modules).
 */
export function findTorchPython(needTimm = false): string | null {
  const candidates = [process.env.VITSCOPE_PYTHON, TIMM_VENV_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', needTimm ? 'import torch, timm' : 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/** PyTorch is measured at 1 thread and at every core: which is faster depends on the model and the batch. */
export function torchThreadCounts(): number[] {
  return [...new Set([1, os.availableParallelism()])];
}

/** Per model@batch, the result at the thread count with the most images per second. */
export function bestByThreads(results: readonly TorchResult[]): Map<string, TorchResult> {
  const best = new Map<string, TorchResult>();
  for (const r of results) {
    const key = `${r.model}@${r.batch}`;
    const prev = best.get(key);
    if (!prev || r.img_per_s > prev.img_per_s) best.set(key, r);
  }
  return best;
}

/** Per model, the result at the thread count whose Hessian-vector product is fastest. */
export function bestHvpByThreads(results: readonly TorchHvpResult[]): Map<string, TorchHvpResult> {
  const best = new Map<string, TorchHvpResult>();
  for (const r of results) {
    const prev = best.get(r.model);
    if (!prev || r.hvp_s < prev.hvp_s) best.set(r.model, r);
  }
  return best;
}

export function runTorch(python: string, models: string[], batches: number[], warmup: number, steps: number): TorchResult[] {
  const args = [SCRIPT, '--models', models.join(','), '--batches', batches.join(','), '--warmup', String(warmup), '--steps', String(steps), '--threads', torchThreadCounts().join(',')];
  return jsonLines<TorchResult>(python, args);
}

export function runTorchHvp(python: string, models: string[], batch: number, warmup: number, repeats: number, threads: readonly number[] = torchThreadCounts(), recompute = true): TorchHvpResult[] {
  const args = [HVP_SCRIPT, '--models', models.join(','), '--batch', String(batch), '--warmup', String(warmup), '--repeats', String(repeats), '--threads', threads.join(','), ...(recompute ? [] : ['--no-recompute'])];
  return jsonLines<TorchHvpResult>(python, args);
}

function jsonLines<T>(python: string, args: string[]): T[] {
  const script = path.basename(args[0]!);
  const r = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${python} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`bench/${script} output line ${i + 1}: expected JSON, found '${l.slice(0, 80)}'`);
      }
    });
}
