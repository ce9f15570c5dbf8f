// The results browser in a real browser (playwright-core driving Debian's chromium, as figure export does) over a
// results folder made by the real experiments (test/support/view-fixture.ts): the page loads without console
// errors, lists the runs, overlays two runs on the Hessian and Fourier views, exports, shows a run added while it
// is open and a running analysis's progress as units finish. Skipped (with a message) without Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromiumPath, CHROMIUM_ARGS } from '../../src/plots/chromium.ts';
import { writeReport } from '../../src/plots/report.ts';
import { startViewServer, type ViewServer } from '../../src/view/server.ts';
import { appendUnit, makeViewFixture, type ViewFixture } from '../support/view-fixture.ts';

// Browser globals used inside page.evaluate callbacks (they run in Chromium, not in node).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const chromium = chromiumPath();
const skip = chromium ? false : 'Chromium not installed (apt-get install chromium, or set VITSCOPE_CHROMIUM)';

/* eslint-disable @typescript-eslint/no-explicit-any */
let browser: any;
let page: any;
let tmp = '';
let fx: ViewFixture;
let server: ViewServer;
const consoleErrors: string[] = [];

before(async () => {
  if (skip) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-view-browser-'));
  fx = await makeViewFixture(tmp, { all: true });
  server = await startViewServer({ results: fx.results, port: 0, pollMs: 300 });
  const { chromium: pw } = (await import('playwright-core')) as any;
  browser = await pw.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.on('console', (m: any) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e: any) => consoleErrors.push(String(e.message ?? e)));
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** The names of the traces drawn in the view's figures, by figure name. */
async function drawnTraces(): Promise<Record<string, string[]>> {
  return page.evaluate(() => {
    const out: Record<string, string[]> = {};
    for (const d of document.querySelectorAll('#view div.figure')) out[d.getAttribute('data-name')] = (d.data ?? []).map((t: { name?: string }) => t.name ?? '');
    return out;
  });
}

async function waitReady(): Promise<void> {
  await page.waitForFunction(() => document.getElementById('view').getAttribute('data-state') === 'ready', null, { timeout: 60_000 });
}

async function select(runs: string[], view: string): Promise<void> {
  await page.click('#clear');
  for (const r of runs) await page.check(`#runs tr[data-run="${r}"] input[type=checkbox]`);
  await page.click(`#tabs button[data-view="${view}"]`);
  await waitReady();
}

test('the page loads with no console errors and lists every run with its status', { skip }, async () => {
  await page.goto(server.url);
  await page.waitForSelector(`#runs tr[data-run="${fx.runs.hessianA}"]`, { timeout: 60_000 });
  await waitReady();
  const rows: string[] = await page.$$eval('#runs tbody tr', (trs: any[]) => trs.map((tr) => tr.getAttribute('data-run')));
  for (const name of Object.values(fx.runs)) assert.ok(rows.includes(name), `${name} listed (${rows.join(', ')})`);
  const status = async (run: string): Promise<string> => page.$eval(`#runs tr[data-run="${run}"] .status`, (e: any) => e.textContent);
  assert.equal(await status(fx.runs.hessianA), 'finished');
  assert.match(await status(fx.runs.running), /^running, 3 of 8 units$/);
  assert.match(await status(fx.runs.sharded), /^sharded, 1 of 2 shards done \(4 of 6 units\), Slurm job 4242$/);
  assert.match(await status(fx.runs.stopped), /^stopped at 2 of 5 units/);
  assert.deepEqual(consoleErrors, []);
});

test('two runs selected: both traces on the Hessian and the Fourier views', { skip }, async () => {
  await select([fx.runs.hessianA, fx.runs.hessianB], 'hessian');
  let traces = await drawnTraces();
  for (const fig of ['hessian-spectral-density', 'hessian-max-eigenvalue-spectrum']) {
    assert.ok(traces[fig], `${fig} drawn (${Object.keys(traces).join(', ')})`);
    assert.ok(traces[fig]!.some((n) => n.startsWith(`${fx.runs.hessianA} · `)), `${fig}: ${traces[fig]!.join(' | ')}`);
    assert.ok(traces[fig]!.some((n) => n.startsWith(`${fx.runs.hessianB} · `)), `${fig}: ${traces[fig]!.join(' | ')}`);
  }
  await select([fx.runs.fourierA, fx.runs.fourierB], 'fourier');
  traces = await drawnTraces();
  assert.deepEqual(traces['fourier-depth']!.filter((n) => n.includes(' · ')).map((n) => n.split(' · ')[0]), [fx.runs.fourierA, fx.runs.fourierB]);
  assert.ok(Object.keys(traces).filter((n) => n.startsWith('relative-log-amplitude-')).length === 2, Object.keys(traces).join(', '));
  // Hiding a model takes its trace off the axes.
  await page.uncheck(`#models input[data-key="${fx.runs.fourierB}::resnet-view-test (init)"]`);
  await waitReady();
  traces = await drawnTraces();
  assert.ok(!traces['fourier-depth']!.some((n) => n.startsWith(fx.runs.fourierB)), traces['fourier-depth']!.join(' | '));
  assert.deepEqual(consoleErrors, []);
});

test('every view draws the runs that have it, without console errors (the landscape through WebGL)', { skip }, async () => {
  const expected: [string, string[], string][] = [
    ['training', [fx.runs.trainShort, fx.runs.trainLong], 'training-loss-steps'],
    ['noise', [fx.runs.noise, fx.runs.sharded], 'noise-robustness'],
    ['variance', [fx.runs.variance], 'feature-map-variance'],
    ['landscape', [fx.runs.landscape], 'loss-landscape-vit-view-test'],
    ['datasize', [fx.runs.datasize], 'data-size'],
  ];
  for (const [view, runs, figure] of expected) {
    await select(runs, view);
    const traces = await drawnTraces();
    assert.ok(traces[figure] && traces[figure]!.length > 0, `${view}: ${figure} drawn (${Object.keys(traces).join(', ')})`);
  }
  // Training: the one-epoch run is a step curve only; the three-epoch run also has epoch curves.
  await select([fx.runs.trainShort, fx.runs.trainLong], 'training');
  const curves = (await drawnTraces())['training-curves'] ?? [];
  assert.ok(curves.length > 0 && curves.every((n) => n.startsWith(fx.runs.trainLong)), curves.join(' | '));
  await select([fx.runs.hessianA, fx.runs.fourierA], 'keys');
  const cells: string[] = await page.$$eval('table.keys td', (tds: any[]) => tds.map((t) => t.textContent));
  assert.ok(cells.some((c) => c.startsWith('NEP ')) && cells.some((c) => /Δ|MSA lowers/.test(c)), cells.join(' | '));
  await page.click('#tabs button[data-view="files"]');
  await waitReady();
  const links: string[] = await page.$$eval('#view ul.files a', (as: any[]) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.includes(`/files/${fx.runs.hessianA}/hessian.json`), links.join(', '));
  const res = await page.request.get(server.url + links.find((l) => l.endsWith('hessian.json'))!.slice(1));
  assert.equal(res.status(), 200);
  assert.deepEqual(consoleErrors, []);
});

test('exports: the view as self-contained HTML and its figures as PNG', { skip }, async () => {
  await select([fx.runs.hessianA, fx.runs.hessianB], 'hessian');
  const [html] = await Promise.all([page.waitForEvent('download'), page.click('#export-html')]);
  const htmlFile = path.join(tmp, 'export.html');
  await html.saveAs(htmlFile);
  const text = readFileSync(htmlFile, 'utf8');
  assert.ok(text.length > 1_000_000, 'plotly is inlined (opens offline)');
  assert.ok(!/<script[^>]+src=/.test(text), 'no external scripts');
  assert.ok(text.includes(`${fx.runs.hessianA} · `) && text.includes(`${fx.runs.hessianB} · `));
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const pngFile = path.join(tmp, 'export.png');
  await png.saveAs(pngFile);
  const bytes = readFileSync(pngFile);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
  assert.ok(bytes.length > 5000);
  assert.deepEqual(consoleErrors, []);
});

test('live: a run added while the page is open appears; a running analysis updates in place', { skip }, async () => {
  await select([fx.runs.running], 'hessian');
  let traces = await drawnTraces();
  assert.deepEqual(traces['hessian-unit-progress']!.filter((n) => !n.endsWith('total')), ['vit-view-test (3 of 4)', 'resnet-view-test (0 of 4)']);
  await fs.cp(path.join(fx.results, fx.runs.fourierA), path.join(fx.results, 'fourier-added'), { recursive: true });
  await page.waitForSelector('#runs tr[data-run="fourier-added"]', { timeout: 30_000 });
  await appendUnit(path.join(fx.results, fx.runs.running), 'shard-0-of-1.jsonl', {
    index: 4, kind: 'maxeig-batch', model: 'resnet-view-test', fingerprint: 'fp', settingsKey: 'fixture-settings', seconds: 3, backend: 'cpu', cpuKernel: 'x',
    finishedAt: '2026-12-05T08:30:00.000Z', result: { values: [1.5] },
  });
  await page.waitForFunction((run: string) => /4 of 8 units/.test(document.querySelector(`#runs tr[data-run="${run}"] .status`)?.textContent ?? ''), fx.runs.running, { timeout: 30_000 });
  await page.waitForFunction(() => {
    const d = document.querySelector('#view div.figure[data-name="hessian-unit-progress"]');
    return d && (d.data ?? []).some((t: { name?: string }) => t.name === 'resnet-view-test (1 of 4)');
  }, null, { timeout: 30_000 });
  traces = await drawnTraces();
  assert.ok(traces['partial-hessian-max-eigenvalue-spectrum']!.some((n) => n.startsWith('resnet-view-test (1 of 4 units)')));
  // A run deleted while shown: gone from the list, the page keeps working.
  await fs.rm(path.join(fx.results, 'fourier-added'), { recursive: true, force: true });
  await page.waitForFunction(() => !document.querySelector('#runs tr[data-run="fourier-added"]'), null, { timeout: 30_000 });
  assert.deepEqual(consoleErrors, []);
});

test('report.html: key numbers fit a 1,280 px page, a one-epoch run shows its step curve, raw tables collapse below the figures', { skip }, async () => {
  // An `all`-like run: training and analyses nested, as the main job writes them (copies of the fixture's runs).
  const run = path.join(tmp, 'report-run');
  await fs.cp(path.join(fx.results, fx.runs.trainShort), path.join(run, 'train', 'vit-view-test'), { recursive: true });
  for (const [name, from] of [['hessian', fx.runs.hessianA], ['fourier', fx.runs.fourierA]] as const) await fs.cp(path.join(fx.results, from), path.join(run, name), { recursive: true });
  const report = await writeReport(run);
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await p.goto('file://' + report);
    await p.waitForFunction(() => document.querySelectorAll('.vitscope-figure .main-svg').length >= 3, null, { timeout: 90_000 });
    const info = await p.evaluate(() => {
      const table = document.querySelector('#summary table');
      const last = [...document.querySelectorAll('.vitscope-figure')].pop();
      const firstDetails = document.querySelector('details.table');
      return {
        rows: table.querySelectorAll('tbody tr').length,
        tableRight: table.getBoundingClientRect().right,
        wrapScroll: table.parentElement.scrollWidth - table.parentElement.clientWidth,
        figures: [...document.querySelectorAll('.vitscope-figure')].map((d) => d.getAttribute('data-figure')),
        detailsAfterFigures: !!(last.compareDocumentPosition(firstDetails) & 4),
        openDetails: document.querySelectorAll('details[open]').length,
        details: document.querySelectorAll('details.table').length,
      };
    });
    assert.ok(info.rows >= 2, `key numbers: ${info.rows} rows`);
    assert.ok(info.tableRight <= 1280, `the key-numbers table ends at ${info.tableRight} px`);
    assert.equal(info.wrapScroll, 0, 'no horizontal scroll bar on the key-numbers table');
    assert.ok(info.figures.includes('training-loss-steps'), info.figures.join(', '));
    assert.ok(!info.figures.includes('training-curves'), `a one-epoch run shows no epoch chart: ${info.figures.join(', ')}`);
    assert.ok(info.details >= 3 && info.openDetails === 0, 'raw tables collapsed');
    assert.ok(info.detailsAfterFigures, 'raw tables after the last figure');
  } finally {
    await p.close();
  }
});
