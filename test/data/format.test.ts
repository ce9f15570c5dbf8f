import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import {
  parseCifar100Bin,
  encodeCifar100Bin,
  readCifarDir,
  writeCifarDir,
  parseLabelNames,
  CIFAR100_FILES,
} from '../../src/data/cifar-format.ts';
import { DataError } from '../../src/data/errors.ts';
import { generateDataset } from '../../src/data/generate.ts';
import { tempDir, snapshot } from './helpers.ts';

/** Writes records by hand: coarse byte, fine byte, then R plane, G plane, B plane (row-major). */
function handRecords(n: number): { buf: Uint8Array; value: (i: number, y: number, x: number, c: number) => number; fine: number[]; coarse: number[] } {
  const value = (i: number, y: number, x: number, c: number) => (i * 31 + y * 5 + x * 11 + c * 80) % 256;
  const fine = Array.from({ length: n }, (_, i) => (i * 13 + 7) % 100);
  const coarse = Array.from({ length: n }, (_, i) => (i * 3 + 1) % 20);
  const buf = new Uint8Array(n * 3074);
  for (let i = 0; i < n; i++) {
    const o = i * 3074;
    buf[o] = coarse[i]!;
    buf[o + 1] = fine[i]!;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) buf[o + 2 + c * 1024 + y * 32 + x] = value(i, y, x, c);
  }
  return { buf, value, fine, coarse };
}

test('parser reads labels and pixels byte-exactly into NHWC with RGB channel order', () => {
  const { buf, value, fine, coarse } = handRecords(5);
  const set = parseCifar100Bin(buf, 'hand.bin');
  assert.equal(set.count, 5);
  assert.deepEqual([set.height, set.width, set.channels], [32, 32, 3]);
  assert.deepEqual(Array.from(set.fineLabels), fine);
  assert.deepEqual(Array.from(set.coarseLabels), coarse);
  for (let i = 0; i < 5; i++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) {
          const got = set.images[((i * 32 + y) * 32 + x) * 3 + c];
          if (got !== value(i, y, x, c)) assert.fail(`image ${i} (${y},${x}) channel ${c}: ${got} != ${value(i, y, x, c)}`);
        }
  // spot check of the layout: red of pixel (0,1) of image 0 is the 2nd byte of the red plane
  assert.equal(set.images[3], buf[2 + 1]);
  assert.equal(set.images[1], buf[2 + 1024]); // green of pixel (0,0)
  assert.equal(set.images[2], buf[2 + 2048]); // blue of pixel (0,0)
});

test('encoder is the inverse of the parser, and a written generated directory reads back identically', async () => {
  const { buf } = handRecords(3);
  assert.deepEqual(encodeCifar100Bin(parseCifar100Bin(buf, 'x')), buf);
  const { dir, cleanup } = tempDir();
  try {
    const data = generateDataset({ train: 120, test: 40, seed: 5 });
    await writeCifarDir(dir, data);
    const back = await readCifarDir(dir);
    assert.deepEqual(back.train.images, data.train.images);
    assert.deepEqual(back.train.fineLabels, data.train.fineLabels);
    assert.deepEqual(back.test.coarseLabels, data.test.coarseLabels);
    assert.deepEqual(back.fineLabelNames, data.fineLabelNames);
    assert.deepEqual(back.coarseLabelNames, data.coarseLabelNames);
  } finally {
    cleanup();
  }
});

test('names files: blank lines ignored, wrong count rejected', () => {
  assert.deepEqual(parseLabelNames('a\nb\r\n\nc\n\n', 'n.txt', 3), ['a', 'b', 'c']);
  assert.throws(() => parseLabelNames('a\nb\n', 'n.txt', 3), (e: unknown) => e instanceof DataError && /n\.txt/.test(e.message) && /2 names/.test(e.message) && /3 names/.test(e.message));
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    await writeCifarDir(dir, generateDataset({ train: 100, test: 100, seed: 1 }));
    await fn(dir);
  } finally {
    cleanup();
  }
}

async function rejectsNaming(dir: string, file: string, found: RegExp, expected: RegExp): Promise<void> {
  const before = snapshot(dir);
  await assert.rejects(readCifarDir(dir), (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${e}`);
    assert.ok(e.message.includes(file), `message names ${file}: ${e.message}`);
    assert.match(e.found, found);
    assert.match(e.expected, expected);
    return true;
  });
  assert.deepEqual(snapshot(dir), before, 'nothing deleted or changed');
}

test('bad input: a file whose size is not a multiple of 3074', async () => {
  await withDir(async (dir) => {
    const f = path.join(dir, CIFAR100_FILES.train);
    writeFileSync(f, new Uint8Array(3074 * 2 + 100));
    await rejectsNaming(dir, f, /6248 bytes.*100 bytes left over/, /multiple of 3074/);
  });
});

test('bad input: an empty file', async () => {
  await withDir(async (dir) => {
    const f = path.join(dir, CIFAR100_FILES.test);
    writeFileSync(f, new Uint8Array(0));
    await rejectsNaming(dir, f, /0 records/, /at least one/);
  });
});

test('bad input: a fine or coarse label out of range names the record', async () => {
  await withDir(async (dir) => {
    const f = path.join(dir, CIFAR100_FILES.train);
    const { buf } = handRecords(4);
    buf[2 * 3074 + 1] = 100; // fine label of record 2
    writeFileSync(f, buf);
    await rejectsNaming(dir, f, /fine label 100 in record 2/, /0\.\.99/);
    buf[2 * 3074 + 1] = 5;
    buf[3 * 3074] = 20; // coarse label of record 3
    writeFileSync(f, buf);
    await rejectsNaming(dir, f, /coarse label 20 in record 3/, /0\.\.19/);
  });
});

test('bad input: a missing names file, or one with the wrong number of names', async () => {
  await withDir(async (dir) => {
    const fine = path.join(dir, CIFAR100_FILES.fineNames);
    rmSync(fine);
    await rejectsNaming(dir, fine, /ENOENT/, /100 fine label names/);
    writeFileSync(fine, Array.from({ length: 99 }, (_, i) => `n${i}`).join('\n'));
    await rejectsNaming(dir, fine, /99 names/, /100 names/);
    writeFileSync(fine, Array.from({ length: 100 }, (_, i) => `n${i}`).join('\n'));
    const coarse = path.join(dir, CIFAR100_FILES.coarseNames);
    writeFileSync(coarse, Array.from({ length: 21 }, (_, i) => `c${i}`).join('\n'));
    await rejectsNaming(dir, coarse, /21 names/, /20 names/);
  });
});

test('bad input: a missing or unreadable .bin file', async () => {
  await withDir(async (dir) => {
    const f = path.join(dir, CIFAR100_FILES.test);
    rmSync(f);
    await rejectsNaming(dir, f, /ENOENT/, /3074 bytes/);
    mkdirSync(f);
    await rejectsNaming(dir, f, /EISDIR/, /3074 bytes/);
  });
});

test('bad input: an unreadable directory (absent, a file, or without permission)', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const absent = path.join(dir, 'nope');
    await assert.rejects(readCifarDir(absent), (e: unknown) => e instanceof DataError && e.message.includes(absent) && /ENOENT/.test(e.found) && /train\.bin/.test(e.expected));
    const file = path.join(dir, 'afile');
    writeFileSync(file, 'x');
    await assert.rejects(readCifarDir(file), (e: unknown) => e instanceof DataError && e.message.includes(file) && /not a directory/.test(e.found));
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    if (process.getuid?.() === 0) {
      t.diagnostic('running as root: permissions are not enforced, the EACCES case is not exercised');
    } else {
      await assert.rejects(readCifarDir(locked), (e: unknown) => e instanceof DataError && e.message.includes(locked) && /EACCES|EPERM/.test(e.found));
    }
    chmodSync(locked, 0o755);
  } finally {
    cleanup();
  }
});
