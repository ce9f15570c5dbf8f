// Fuzz-style test of the readers (CIFAR binaries, safetensors headers and bodies, model.json, config JSON):
// truncations, garbage bytes, wrong dtypes and shapes, labels out of range, seeded. fuzz-readers.ts runs them in
// a child process so that a hang (timeout) or a native crash (a signal) fails this test instead of the runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from './helpers.ts';
import type { FuzzSummary } from './fuzz-readers.ts';

test('every reader answers bad input with a named error, changes no file, never hangs or crashes', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'test', 'robustness', 'fuzz-readers.ts')], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, VITSCOPE_FUZZ_SEED: '15' },
  });
  assert.equal(r.signal, null, `the fuzz process was stopped by ${r.signal} (hang or native crash); stderr:\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as FuzzSummary;
  assert.deepEqual(summary.failures, []);
  let total = 0;
  for (const [kind, k] of Object.entries(summary.kinds)) {
    total += k.inputs;
    console.log(`# ${kind}: ${k.inputs} inputs → ${Object.entries(k.outcomes).map(([o, n]) => `${o} ${n}`).join(', ')}`);
  }
  // every kind ran, and the kinds that can only be invalid were all refused
  assert.ok(Object.keys(summary.kinds).length >= 19 && total >= 450, `${total} inputs in ${Object.keys(summary.kinds).length} kinds`);
  for (const kind of ['cifar: truncated', 'cifar: label out of range', 'safetensors: truncated', 'safetensors: NaN/Inf weights', 'model.json: truncated', 'config: truncated'])
    assert.equal(summary.kinds[kind]?.outcomes.accepted, undefined, `${kind}: an invalid input was accepted`);
});
