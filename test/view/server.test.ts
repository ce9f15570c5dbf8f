// The results browser's server without a browser: what it refuses (traversal, encoded or not, symlinks out of the
// folder, writes, foreign Host headers), what it survives (half-written and vanishing files), and the statuses it
// reads from the units contract. The runs are the real experiments' output (test/support/view-fixture.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startViewServer, type ViewServer } from '../../src/view/server.ts';
import { RunIndex } from '../../src/view/runs.ts';
import { readUnitProgress } from '../../src/view/units.ts';
import { makeViewFixture, writeUnitsRun, type ViewFixture } from '../support/view-fixture.ts';

let tmp = '';
let fx: ViewFixture;
let server: ViewServer;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-view-server-'));
  fx = await makeViewFixture(tmp);
  await fs.writeFile(path.join(tmp, 'secret.txt'), 'outside the results folder\n');
  await fs.symlink(path.join(tmp, 'secret.txt'), path.join(fx.results, fx.runs.hessianA, 'link-out.txt'));
  await fs.symlink(tmp, path.join(fx.results, 'dir-link-out'));
  server = await startViewServer({ results: fx.results, port: 0 });
});
after(async () => {
  await server?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** A raw request: the path goes on the wire exactly as written (no URL normalisation). */
function request(rawPath: string, opts: { method?: string; host?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: rawPath, method: opts.method ?? 'GET', headers: opts.host ? { host: opts.host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('binds to loopback by default and answers only to loopback Host headers', async () => {
  assert.equal(server.host, '127.0.0.1');
  assert.equal((await request('/api/runs')).status, 200);
  assert.equal((await request('/api/runs', { host: 'evil.example:80' })).status, 403);
});

test('serves the files of the results folder and nothing else', async () => {
  const ok = await request(`/files/${fx.runs.hessianA}/hessian.json`);
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).analysis, 'hessian');
  const refused: [string, number[]][] = [
    ['/files/../secret.txt', [404]],
    [`/files/${fx.runs.hessianA}/../../secret.txt`, [404]],
    ['/files/%2e%2e/secret.txt', [404]],
    ['/files/..%2fsecret.txt', [404]],
    ['/files/%2E%2E%2Fsecret.txt', [404]],
    ['/files/..%5csecret.txt', [404]],
    ['/files/%252e%252e/secret.txt', [404]],
    [`/files/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`, [404]],
    ['/files/%00', [400]],
    ['/files/%zz', [400]],
    [`/files/${fx.runs.hessianA}/link-out.txt`, [403]],
    ['/files/dir-link-out/secret.txt', [403]],
    [`/files/${fx.runs.hessianA}`, [404]],
  ];
  for (const [p, statuses] of refused) {
    const r = await request(p);
    assert.ok(statuses.includes(r.status), `${p}: ${r.status} ${r.body.trim()}`);
    assert.ok(!r.body.includes('outside the results folder'), `${p} leaked the file`);
  }
});

test('read-only: anything but GET and HEAD is refused', async () => {
  for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await request(`/files/${fx.runs.hessianA}/hessian.json`, { method })).status, 405);
  assert.equal((await request('/api/view?view=nope&run=x')).status, 400);
  assert.equal((await request('/nope')).status, 404);
});

test('statuses from the units contract: running (live lock), sharded, stopped (dead lock), finished', async () => {
  const runs = await new RunIndex(fx.results).list();
  const by = (n: string) => runs.find((r) => r.name === n)!;
  assert.deepEqual(by(fx.runs.running).status, { state: 'running', text: 'running, 3 of 8 units', done: 3, total: 8 });
  assert.equal(by(fx.runs.sharded).status.text, 'sharded, 1 of 2 shards done (4 of 6 units), Slurm job 4242');
  assert.equal(by(fx.runs.sharded).date, '2026-12-05T08:00:00.000Z', 'the plan is when the run started');
  assert.equal(by(fx.runs.stopped).status.state, 'stopped');
  assert.equal(by(fx.runs.hessianA).status.state, 'finished');
  assert.equal(by(fx.runs.hessianA).command, 'hessian');
  assert.deepEqual(by(fx.runs.hessianA).models, ['vit-view-test']);
  assert.equal(by(fx.runs.trainShort).command, 'train');
  // A line cut by a kill mid-write is ignored; a unit listed twice (a resumed shard) counts once.
  const dir = path.join(fx.results, 'cut');
  await writeUnitsRun(dir, { analysis: 'hessian', models: ['m'], perModel: 3, shards: 1, done: [0, 1], lockPid: undefined });
  const file = path.join(dir, 'units', 'shard-0-of-1.jsonl');
  const first = (await fs.readFile(file, 'utf8')).split('\n')[0]!;
  await fs.appendFile(file, first + '\n{"index": 2, "kind": "hess');
  const p = (await readUnitProgress(dir))!;
  assert.equal(p.done, 2);
  assert.equal(p.skippedLines, 1);
  await fs.rm(dir, { recursive: true });
});

test('survives a folder that changes: half-written summaries, garbage plans, deleted runs, new runs', async () => {
  const half = path.join(fx.results, 'half-written');
  await fs.cp(path.join(fx.results, fx.runs.hessianB), half, { recursive: true });
  const text = await fs.readFile(path.join(half, 'hessian.json'), 'utf8');
  await fs.writeFile(path.join(half, 'hessian.json'), text.slice(0, text.length / 2));
  await fs.mkdir(path.join(fx.results, 'garbage'));
  await fs.writeFile(path.join(fx.results, 'garbage', 'plan.json'), '{"totalUnits": ');
  await fs.writeFile(path.join(fx.results, 'garbage', 'fourier.json'), '[1, 2');
  const list = JSON.parse((await request('/api/runs')).body) as { runs: { name: string; status: { state: string } }[] };
  assert.ok(list.runs.some((r) => r.name === 'half-written'));
  const view = await request(`/api/view?view=hessian&run=half-written&run=${fx.runs.hessianA}`);
  assert.equal(view.status, 200);
  const v = JSON.parse(view.body) as { figures: { data: { name: string }[] }[]; notes: string[] };
  assert.ok(v.notes.some((n) => n.includes('half-written/hessian.json could not be read')), v.notes.join('\n'));
  assert.ok(v.figures.length > 0, 'the readable run is still drawn');
  assert.equal((await request('/api/view?view=fourier&run=garbage')).status, 200);
  assert.equal((await request('/api/summary?run=garbage&run=half-written')).status, 200);
  // Deleted between two requests (and while listed): gone, no error.
  await fs.rm(half, { recursive: true });
  await fs.rm(path.join(fx.results, 'garbage'), { recursive: true });
  const after = JSON.parse((await request('/api/runs')).body) as { runs: { name: string }[] };
  assert.ok(!after.runs.some((r) => r.name === 'half-written' || r.name === 'garbage'));
  assert.equal((await request('/api/view?view=hessian&run=half-written')).status, 200);
  // Many reads while runs are created and removed underneath.
  const churn = (async () => {
    for (let i = 0; i < 15; i++) {
      const d = path.join(fx.results, `churn-${i}`);
      await fs.cp(path.join(fx.results, fx.runs.fourierA), d, { recursive: true });
      await fs.rm(d, { recursive: true, force: true });
    }
  })();
  const reads = Array.from({ length: 15 }, () => request('/api/runs').then((r) => r.status));
  const statuses = await Promise.all(reads);
  await churn;
  assert.ok(statuses.every((s) => s === 200), statuses.join(','));
});

test('the page and the plotly bundle are served from the server (works offline)', async () => {
  const page = await request('/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<script defer src="\/plotly.js"><\/script>/);
  assert.ok(!/src="https?:/.test(page.body), 'no script from the network');
  const bundle = await request('/plotly.js');
  assert.equal(bundle.status, 200);
  assert.ok(bundle.body.length > 1_000_000);
});

test('the command: a bad --results is an option error (exit 2); --host beyond loopback warns and serves', async () => {
  const { main } = await import('../../src/cli/main.ts');
  const saved = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = ((c: string) => ((err += c), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['view', '--results', path.join(tmp, 'no-such-folder')]), 2);
  } finally {
    process.stderr.write = saved;
  }
  assert.match(err, /view: option '--results' is ".*no-such-folder", which is not a folder/);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'view', '--results', fx.results, '--host', '0.0.0.0', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /http:\/\/\S+/.exec(out);
        if (m) resolve(m[0]);
      });
      child.once('exit', (code) => reject(new Error(`view exited with ${code}: ${stderr}`)));
    });
    assert.match(stderr, /WARNING: --host 0\.0\.0\.0 is not loopback/);
    assert.match(url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
    const res = await fetch(url.replace('0.0.0.0', '127.0.0.1') + 'api/runs');
    assert.equal(res.status, 200);
  } finally {
    child.kill('SIGTERM');
  }
});

test('an `all`-like run: its nested training and analyses are its parts, each drawn from its own folder', async () => {
  const run = path.join(fx.results, 'nested-run');
  await fs.cp(path.join(fx.results, fx.runs.trainLong), path.join(run, 'train', 'vit-view-test'), { recursive: true });
  await fs.cp(path.join(fx.results, fx.runs.hessianA), path.join(run, 'hessian'), { recursive: true });
  await writeUnitsRun(path.join(run, 'noise'), { analysis: 'noise', models: ['vit-view-test'], perModel: 2, shards: 1, done: [0], lockPid: process.pid });
  try {
    const info = await new RunIndex(fx.results).describe('nested-run');
    assert.deepEqual(info.parts.map((p) => `${p.kind}:${p.dir}:${p.finished}`).sort(), ['hessian:nested-run/hessian:true', 'noise:nested-run/noise:false', 'train:nested-run/train/vit-view-test:true']);
    assert.equal(info.status.text, 'running, 1 of 2 units', 'the live lock of a stage, in its own folder');
    const v = JSON.parse((await request('/api/view?view=hessian&run=nested-run')).body) as { figures: { name: string }[] };
    assert.deepEqual(v.figures.map((f) => f.name), ['hessian-spectral-density', 'hessian-max-eigenvalue-spectrum']);
  } finally {
    await fs.rm(run, { recursive: true });
  }
});
