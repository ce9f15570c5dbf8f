import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tar from 'tar';
import { ensureCifar100, downloadFile, formatProgress, CIFAR100_ARCHIVE, CIFAR100_DIRNAME } from '../../src/data/download.ts';
import { ChecksumError, DataError, DownloadError } from '../../src/data/errors.ts';
import { makeGeneratedDataset, GENERATED_MARKER } from '../../src/data/generate.ts';
import { readCifarDir } from '../../src/data/cifar-format.ts';
import { loadCifar } from '../../src/data/load.ts';
import { tempDir, snapshot } from './helpers.ts';

// A local server serving a generated CIFAR-100-format archive, with Range support, a request log,
// and switches to drop the connection half-way or to serve a truncated archive.
let archive: Buffer;
let md5: string;
let server: http.Server;
let base: string;
const requests: { path: string; range?: string }[] = [];
let dropNext = false;
const fixtures = tempDir('vitscope-dl-fixture-');

before(async () => {
  const srcRoot = path.join(fixtures.dir, 'src');
  await makeGeneratedDataset({ out: path.join(srcRoot, CIFAR100_DIRNAME), train: 300, test: 100, seed: 12 });
  // a real CIFAR archive has no marker; drop ours so the extracted copy reads as CIFAR-100
  const { rmSync } = await import('node:fs');
  rmSync(path.join(srcRoot, CIFAR100_DIRNAME, GENERATED_MARKER));
  const file = path.join(fixtures.dir, 'a.tar.gz');
  await tar.c({ gzip: true, file, cwd: srcRoot, portable: true }, [CIFAR100_DIRNAME]);
  archive = readFileSync(file);
  md5 = createHash('md5').update(archive).digest('hex');
  server = http.createServer((req, res) => {
    const range = req.headers.range;
    requests.push({ path: req.url ?? '', range });
    if (req.url === '/missing.tar.gz') {
      res.writeHead(404).end('not found');
      return;
    }
    const body = req.url === '/truncated.tar.gz' ? archive.subarray(0, archive.length >> 1) : archive;
    let start = 0;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416).end();
        return;
      }
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { 'content-length': body.length });
    }
    if (dropNext) {
      dropNext = false;
      res.write(body.subarray(start, start + ((body.length - start) >> 1)), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  fixtures.cleanup();
});

function sink(): { lines: string[]; write: (s: string) => boolean; isTTY: boolean } {
  const lines: string[] = [];
  return { lines, write: (s: string) => (lines.push(s), true), isTTY: false };
}

test('formatProgress shows bytes, rate and ETA', () => {
  const line = formatProgress({ received: 50 * 1024 * 1024, total: 200 * 1024 * 1024, bytesThisSession: 50 * 1024 * 1024, elapsedMs: 10000 });
  assert.match(line, /25\.0%/);
  assert.match(line, /50\.0 MiB \/ 200\.0 MiB/);
  assert.match(line, /5\.0 MiB\/s/);
  assert.match(line, /ETA 0:30/);
});

test('download: progress, checksum verified, extracted, and a verified copy is never downloaded again', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const progress = sink();
    const n0 = requests.length;
    const r = await ensureCifar100({ root, url: `${base}/cifar.tar.gz`, md5, progress, log: () => {} });
    assert.equal(r.downloaded, true);
    assert.equal(requests.length - n0, 1);
    assert.deepEqual(readFileSync(path.join(root, CIFAR100_ARCHIVE)), archive);
    assert.ok(!existsSync(path.join(root, `${CIFAR100_ARCHIVE}.part`)));
    assert.ok(progress.lines.some((l) => /100\.0%/.test(l) && /\/s/.test(l) && /ETA/.test(l)), progress.lines.join(''));
    const data = await readCifarDir(r.dir);
    assert.equal(data.train.count, 300);
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('.tmp')), []);

    // again: nothing requested
    const again = await ensureCifar100({ root, url: `${base}/cifar.tar.gz`, md5, progress: false });
    assert.equal(again.downloaded, false);
    assert.equal(requests.length - n0, 1);

    // directory removed but verified archive present: extracted again, not downloaded
    const { rmSync } = await import('node:fs');
    rmSync(r.dir, { recursive: true });
    const fromArchive = await ensureCifar100({ root, url: `${base}/cifar.tar.gz`, md5, progress: false, log: () => {} });
    assert.equal(fromArchive.downloaded, false);
    assert.equal(requests.length - n0, 1);
    assert.equal((await readCifarDir(fromArchive.dir)).test.count, 100);
  } finally {
    cleanup();
  }
});

test('download: an interrupted transfer keeps the .part file and the next attempt resumes it with a Range request', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const dest = path.join(root, CIFAR100_ARCHIVE);
    dropNext = true;
    await assert.rejects(downloadFile({ url: `${base}/cifar.tar.gz`, dest, md5, progress: false }), (e: unknown) => e instanceof DownloadError && /kept/.test(e.message));
    assert.ok(!existsSync(dest), 'no archive before verification');
    const partial = readFileSync(`${dest}.part`);
    assert.ok(partial.length > 0 && partial.length < archive.length, `part has ${partial.length} of ${archive.length}`);
    assert.deepEqual(partial, archive.subarray(0, partial.length));
    const n0 = requests.length;
    const r = await downloadFile({ url: `${base}/cifar.tar.gz`, dest, md5, progress: false });
    assert.equal(r.resumedFrom, partial.length);
    assert.equal(requests[n0]!.range, `bytes=${partial.length}-`);
    assert.deepEqual(readFileSync(dest), archive);
    assert.ok(!existsSync(`${dest}.part`));
  } finally {
    cleanup();
  }
});

test('download: a checksum mismatch is rejected and leaves nothing behind', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const wrong = 'ffffffffffffffffffffffffffffffff';
    await assert.rejects(ensureCifar100({ root, url: `${base}/cifar.tar.gz`, md5: wrong, progress: false }), (e: unknown) => {
      assert.ok(e instanceof ChecksumError, String(e));
      assert.ok(e.message.includes(CIFAR100_ARCHIVE));
      assert.equal(e.found, `MD5 ${md5}`);
      assert.equal(e.expected, `MD5 ${wrong}`);
      return true;
    });
    assert.deepEqual(readdirSync(root), []);
  } finally {
    cleanup();
  }
});

test('download: a corrupt .part from an earlier attempt fails the checksum, is deleted, and the next attempt succeeds', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const dest = path.join(root, CIFAR100_ARCHIVE);
    writeFileSync(`${dest}.part`, Buffer.alloc(100, 7));
    await assert.rejects(downloadFile({ url: `${base}/cifar.tar.gz`, dest, md5, progress: false }), ChecksumError);
    assert.deepEqual(readdirSync(root), []);
    await downloadFile({ url: `${base}/cifar.tar.gz`, dest, md5, progress: false });
    assert.deepEqual(readFileSync(dest), archive);
  } finally {
    cleanup();
  }
});

test('download: a truncated archive (matching its checksum) fails extraction naming the archive; nothing is half-extracted', async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    const truncated = archive.subarray(0, archive.length >> 1);
    const tmd5 = createHash('md5').update(truncated).digest('hex');
    await assert.rejects(ensureCifar100({ root, url: `${base}/truncated.tar.gz`, md5: tmd5, progress: false }), (e: unknown) => {
      assert.ok(e instanceof DataError, String(e));
      assert.ok(e.message.includes(path.join(root, CIFAR100_ARCHIVE)), e.message);
      assert.match(e.found, /damaged or truncated/);
      return true;
    });
    assert.deepEqual(readdirSync(root), [CIFAR100_ARCHIVE]);
  } finally {
    cleanup();
  }
});

test("download: the user's archive with a wrong checksum and an incomplete directory are reported, not deleted", async () => {
  const { dir: root, cleanup } = tempDir();
  try {
    writeFileSync(path.join(root, CIFAR100_ARCHIVE), 'not an archive');
    const before = snapshot(root);
    const n0 = requests.length;
    await assert.rejects(ensureCifar100({ root, url: `${base}/cifar.tar.gz`, md5, progress: false }), (e: unknown) => e instanceof ChecksumError && /left in place/.test(e.message));
    assert.deepEqual(snapshot(root), before);
    assert.equal(requests.length, n0, 'no download over a file the user put there');

    const { dir: root2, cleanup: c2 } = tempDir();
    try {
      mkdirSync(path.join(root2, CIFAR100_DIRNAME));
      writeFileSync(path.join(root2, CIFAR100_DIRNAME, 'train.bin'), Buffer.alloc(3074));
      const before2 = snapshot(root2);
      await assert.rejects(ensureCifar100({ root: root2, url: `${base}/cifar.tar.gz`, md5, progress: false }), (e: unknown) => e instanceof DataError && /incomplete/.test(e.found) && /test\.bin/.test(e.found));
      assert.deepEqual(snapshot(root2), before2);
    } finally {
      c2();
    }
  } finally {
    cleanup();
  }
});

test('loadCifar: downloads from VITSCOPE_CIFAR100_URL, falls back LOUDLY to generated data when the host fails, and honours allowGenerated=false', async () => {
  const { dir: root, cleanup } = tempDir();
  const saved = { url: process.env.VITSCOPE_CIFAR100_URL, md5: process.env.VITSCOPE_CIFAR100_MD5 };
  try {
    process.env.VITSCOPE_CIFAR100_URL = `${base}/cifar.tar.gz`;
    process.env.VITSCOPE_CIFAR100_MD5 = md5;
    const logs: string[] = [];
    const real = await loadCifar({ dataRoot: root, progress: false, log: (m) => logs.push(m) });
    assert.equal(real.source, 'cifar-100');
    assert.equal(real.train.count, 300);
    assert.ok(!logs.some((l) => /GENERATED/.test(l)));

    const { dir: root2, cleanup: c2 } = tempDir();
    try {
      process.env.VITSCOPE_CIFAR100_URL = `${base}/missing.tar.gz`;
      await assert.rejects(loadCifar({ dataRoot: root2, progress: false, allowGenerated: false, log: () => {} }), (e: unknown) => e instanceof DownloadError && /HTTP 404/.test(e.message));
      const warn: string[] = [];
      const gen = await loadCifar({ dataRoot: root2, progress: false, log: (m) => warn.push(m), generated: { train: 200, test: 100, seed: 1 } });
      assert.equal(gen.source, 'generated');
      assert.equal(gen.dir, path.join(root2, 'generated'));
      assert.equal(gen.train.count, 200);
      const text = warn.join('\n');
      assert.match(text, /NOT CIFAR-100/);
      assert.match(text, /HTTP 404/);
      assert.ok(text.split('\n').length >= 5, 'a multi-line warning');
    } finally {
      c2();
    }
  } finally {
    if (saved.url === undefined) delete process.env.VITSCOPE_CIFAR100_URL;
    else process.env.VITSCOPE_CIFAR100_URL = saved.url;
    if (saved.md5 === undefined) delete process.env.VITSCOPE_CIFAR100_MD5;
    else process.env.VITSCOPE_CIFAR100_MD5 = saved.md5;
    cleanup();
  }
});
