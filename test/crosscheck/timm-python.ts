// Finding the pinned timm the timm cross-checks run against: the virtual environment that
// scripts/setup-tests/20-timm.sh makes at .venv/timm (Debian's torch and torchvision underneath), or
// VITSCOPE_TIMM_PYTHON. Without it the checks are skipped with the reason, except under CI, where they fail.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');

/** The version scripts/setup-tests/20-timm.sh installs and test/crosscheck/py/timm_reference.py insists on. */
export const TIMM_VERSION = '1.0.29';

export interface TimmPython {
  python: string;
  /** Null when this python imports the pinned timm; otherwise why the timm cross-check cannot run. */
  missing: string | null;
}

let found: TimmPython | undefined;

/** `${VITSCOPE_TIMM_PYTHON:-<repo>/.venv/timm/bin/python}` and whether it imports timm TIMM_VERSION over torch. */
export function findTimmPython(): TimmPython {
  if (found) return found;
  const python = process.env.VITSCOPE_TIMM_PYTHON || path.join(REPO_ROOT, '.venv', 'timm', 'bin', 'python');
  const r = spawnSync(python, ['-c', 'import torch, numpy, timm, safetensors; print(timm.__version__)'], { encoding: 'utf8' });
  let missing: string | null = null;
  if (r.error) missing = `${python} cannot be run (${r.error.message})`;
  else if (r.status !== 0) missing = `${python} cannot import torch, numpy, timm and safetensors: ${(r.stderr || '').trim().split('\n').pop()}`;
  else if (r.stdout.trim() !== TIMM_VERSION) missing = `${python} has timm ${r.stdout.trim()}, the cross-check is pinned to ${TIMM_VERSION}`;
  found = { python, missing };
  return found;
}

/**
 * The skip reason for node:test, or false to run. Where the pinned timm is missing the check is skipped with
 * the reason and the fix, except in CI (CI set), where it throws: CI must run the timm cross-check.
 */
export function skipUnlessTimm(): string | false {
  const { missing } = findTimmPython();
  if (!missing) return false;
  const fix = 'run `bash scripts/setup-tests/20-timm.sh` (or `bash scripts/setup.sh --tests`), or set VITSCOPE_TIMM_PYTHON';
  if (process.env.CI) throw new Error(`timm cross-check: ${missing}; CI must run it: ${fix}`);
  return `timm cross-check skipped: ${missing}; ${fix}`;
}
