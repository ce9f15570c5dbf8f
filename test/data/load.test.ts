import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadCifar } from '../../src/data/load.ts';
import { makeGeneratedDataset, GENERATED_MARKER } from '../../src/data/generate.ts';
import { DataError } from '../../src/data/errors.ts';
import { tempDir, snapshot } from './helpers.ts';

test('loadCifar({ dir }) reads the directory; a generated one is reported as such, loudly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const made = await makeGeneratedDataset({ out: dir, train: 200, test: 100, seed: 3 });
    const logs: string[] = [];
    const d = await loadCifar({ dir, log: (m) => logs.push(m) });
    assert.equal(d.source, 'generated');
    assert.deepEqual(d.train.images, made.train.images);
    assert.equal(d.fineLabelNames.length, 100);
    assert.match(logs.join('\n'), /NOT CIFAR-100/);
    // without the marker the directory is taken as CIFAR-100 (the user's own copy)
    rmSync(path.join(dir, GENERATED_MARKER));
    const quiet: string[] = [];
    const real = await loadCifar({ dir, log: (m) => quiet.push(m) });
    assert.equal(real.source, 'cifar-100');
    assert.equal(quiet.length, 0);
  } finally {
    cleanup();
  }
});

test('loadCifar without CIFAR-100 and download=false creates data/generated once, then reuses it', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const logs: string[] = [];
    const a = await loadCifar({ dataRoot: root, download: false, log: (m) => logs.push(m), generated: { train: 300, test: 100, seed: 2 } });
    assert.equal(a.source, 'generated');
    assert.equal(a.train.count, 300);
    assert.match(logs.join('\n'), /downloading is disabled/);
    const snap = snapshot(root);
    const b = await loadCifar({ dataRoot: root, download: false, log: () => {} });
    assert.deepEqual(b.train.images, a.train.images);
    assert.deepEqual(snapshot(root), snap, 'second load writes nothing');
  } finally {
    cleanup();
  }
});

test('loadCifar refuses to fall back when allowGenerated=false, and never overwrites a foreign data/generated', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    await assert.rejects(loadCifar({ dataRoot: root, download: false, allowGenerated: false, log: () => {} }), (e: unknown) => e instanceof DataError && e.message.includes(path.join(root, 'cifar-100-binary')));
    mkdirSync(path.join(root, 'generated'));
    writeFileSync(path.join(root, 'generated', 'mine.txt'), 'user data');
    const snap = snapshot(root);
    await assert.rejects(loadCifar({ dataRoot: root, download: false, log: () => {} }), (e: unknown) => e instanceof DataError && /without the generated-dataset marker/.test(e.found));
    assert.deepEqual(snapshot(root), snap);
  } finally {
    cleanup();
  }
});

test('loadCifar({ dir }) with bad input throws a DataError naming the file', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await makeGeneratedDataset({ out: dir, train: 100, test: 100, seed: 3 });
    writeFileSync(path.join(dir, 'test.bin'), Buffer.alloc(3074 + 1));
    await assert.rejects(loadCifar({ dir, log: () => {} }), (e: unknown) => e instanceof DataError && e.message.includes(path.join(dir, 'test.bin')));
  } finally {
    cleanup();
  }
});
