// Checkpoint tags of a run are listed in numeric order (--all-checkpoints analyses them in this order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareCheckpointTags, listCheckpointTags } from '../../src/io/checkpoint-tags.ts';

test('checkpoint tags: numbers compare as numbers (epoch-2 before epoch-10), hidden folders and files left out', async () => {
  const run = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-tags-'));
  try {
    for (const t of ['epoch-10', 'epoch-2', 'warmup', 'epoch-1', 'step-1200', 'step-900', 'final', '.tmp-x']) await fs.mkdir(path.join(run, 'checkpoints', t), { recursive: true });
    await fs.writeFile(path.join(run, 'checkpoints', 'latest.json'), '{}');
    assert.deepEqual(await listCheckpointTags(run), ['epoch-1', 'epoch-2', 'epoch-10', 'final', 'step-900', 'step-1200', 'warmup']);
    assert.deepEqual(await listCheckpointTags(path.join(run, 'nothing-here')), []);
    assert.ok(compareCheckpointTags('epoch-9', 'epoch-10') < 0 && compareCheckpointTags('epoch-10', 'epoch-9') > 0);
  } finally {
    await fs.rm(run, { recursive: true, force: true });
  }
});
