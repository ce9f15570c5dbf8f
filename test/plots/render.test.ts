// Renders one figure of each kind to PNG and SVG through headless Chromium and checks the files; opens report.html
// in Chromium and checks it draws every figure without console errors. Skipped (with a message) without Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromiumPath, CHROMIUM_ARGS } from '../../src/plots/chromium.ts';
import { exportFigures, writeReport, colorFor, type Figure } from '../../src/plots/index.ts';
import { sampleFigures } from './fixtures.ts';
import { decodePng, pngInfo } from './png.ts';

// Browser globals used inside page.evaluate callbacks (they run in Chromium, not in node).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const DOMParser: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const chromium = chromiumPath();
const skip = chromium ? false : 'Chromium not installed (apt-get install chromium, or set VITSCOPE_CHROMIUM)';
let dir = '';
let figures: Figure[] = [];
let written: string[] = [];

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-render-'));
  figures = sampleFigures(7);
  if (!skip) written = await exportFigures(figures, dir, { formats: ['svg', 'png'] });
});
after(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

test('PNG: every figure has the layout size x2, is not blank, and shows its series colours', { skip }, () => {
  for (const fig of figures) {
    const file = path.join(dir, 'figures', `${fig.name}.png`);
    assert.ok(written.includes(file), `${fig.name}.png was written`);
    const buf = new Uint8Array(readFileSync(file));
    const info = pngInfo(buf);
    assert.equal(info.width, 2 * (fig.layout.width as number), `${fig.name}.png width`);
    assert.equal(info.height, 2 * (fig.layout.height as number), `${fig.name}.png height`);
    const { rgba } = decodePng(buf);
    const n = rgba.length / 4;
    let nonWhite = 0;
    const colours = new Set<number>();
    for (let i = 0; i < n; i++) {
      const r = rgba[4 * i]!, g = rgba[4 * i + 1]!, b = rgba[4 * i + 2]!;
      if (r < 240 || g < 240 || b < 240) nonWhite++;
      colours.add((r << 16) | (g << 8) | b);
    }
    assert.ok(nonWhite / n > 0.02, `${fig.name}.png: only ${(100 * nonWhite / n).toFixed(2)}% non-white pixels`);
    assert.ok(colours.size > 50, `${fig.name}.png: only ${colours.size} distinct colours`);
    // The line colour of the first labelled series must appear (near-exactly) somewhere: its trace was drawn.
    const lineTrace = fig.data.find((t) => t.type === 'scatter' && (t.line as { width?: number; color?: string } | undefined)?.width !== 0 && typeof (t.line as { color?: string } | undefined)?.color === 'string');
    if (lineTrace) {
      const [r0, g0, b0] = hexRgb((lineTrace.line as { color: string }).color);
      let hits = 0;
      for (let i = 0; i < n; i++) if (Math.abs(rgba[4 * i]! - r0) + Math.abs(rgba[4 * i + 1]! - g0) + Math.abs(rgba[4 * i + 2]! - b0) < 12) hits++;
      assert.ok(hits > 100, `${fig.name}.png: colour ${(lineTrace.line as { color: string }).color} of '${lineTrace.name}' drawn on only ${hits} pixels`);
    }
  }
});

test('SVG: every figure parses as SVG and has plot elements and axis titles', { skip }, async () => {
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium as string, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    for (const fig of figures) {
      const svg = readFileSync(path.join(dir, 'figures', `${fig.name}.svg`), 'utf8');
      const r = await page.evaluate((text: string) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const err = doc.querySelector('parsererror');
        const texts = [...doc.querySelectorAll('text')].map((t) => t.textContent ?? '');
        return {
          error: err ? err.textContent : null,
          root: doc.documentElement.nodeName,
          traces: doc.querySelectorAll('.scatterlayer .trace, .contourlayer .trace, image').length,
          paths: doc.querySelectorAll('path').length,
          texts,
        };
      }, svg);
      assert.equal(r.error, null, `${fig.name}.svg parses`);
      assert.equal(r.root, 'svg');
      assert.ok(r.traces > 0, `${fig.name}.svg has traces`);
      assert.ok(r.paths > 5, `${fig.name}.svg has paths`);
      assert.ok(r.texts.some((t) => t.includes(fig.title)), `${fig.name}.svg shows its title '${fig.title}'`);
      const xTitle = ((fig.layout.xaxis as { title?: { text?: string } } | undefined)?.title?.text) ?? '';
      if (xTitle) assert.ok(r.texts.includes(xTitle), `${fig.name}.svg shows the x-axis title '${xTitle}'`);
    }
  } finally {
    await browser.close();
  }
});

test('report.html opens in headless Chromium without console errors and draws every figure and table', { skip }, async () => {
  const run = path.join(dir, 'run');
  await exportFigures(figures.slice(0, 2), run, { formats: [] }); // JSON specs only
  await exportFigures(figures.slice(2, 4), path.join(run, 'sub-a'), { formats: [] });
  const rows = Array.from({ length: 5 }, (_, i) => `${i + 1},${(4 / (i + 1)).toFixed(3)},${(0.1 * i).toFixed(2)}`);
  await fs.writeFile(path.join(run, 'metrics.csv'), ['epoch,test_loss,test_acc', ...rows].join('\n') + '\n');
  await fs.writeFile(path.join(run, 'summary.json'), JSON.stringify({ model: { family: 'vit' }, nep: 0.25 }));
  const report = await writeReport(run);
  assert.equal(report, path.join(run, 'report.html'));
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium as string, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('file://' + report);
    await page.waitForFunction((n: number) => document.querySelectorAll('.vitscope-figure .main-svg').length >= n, 4, { timeout: 30000 });
    const info = await page.evaluate(() => ({
      figures: document.querySelectorAll('.vitscope-figure').length,
      drawn: [...document.querySelectorAll('.vitscope-figure')].filter((d) => d.querySelector('.main-svg')).length,
      tables: [...document.querySelectorAll('details.table > summary')].map((h) => h.textContent),
      cells: [...document.querySelectorAll('td')].map((t) => t.textContent),
      scripts: [...document.querySelectorAll('script[src]')].length,
    }));
    assert.deepEqual(errors, []);
    assert.equal(info.figures, 4);
    assert.equal(info.drawn, 4);
    assert.equal(info.scripts, 0, 'no external scripts: the page is self-contained');
    assert.ok(info.tables.includes('metrics.csv') && info.tables.includes('summary.json'), `tables: ${info.tables.join(', ')}`);
    assert.ok(info.cells.includes('0.25') && info.cells.includes('model.family'), 'key numbers of summary.json');
  } finally {
    await browser.close();
  }
});

test('without Chromium: a warning, and JSON + HTML only', async () => {
  const saved = process.env.VITSCOPE_CHROMIUM;
  process.env.VITSCOPE_CHROMIUM = path.join(os.tmpdir(), 'no-such-chromium');
  const warnings: string[] = [];
  try {
    const out = await exportFigures([figures[0] ?? sampleFigures(1)[0]!], path.join(dir, 'nochrome'), { warn: (m) => warnings.push(m) });
    assert.deepEqual(out.map((f) => path.extname(f)).sort(), ['.html', '.json']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Chromium not found/);
    const html = readFileSync(out.find((f) => f.endsWith('.html'))!, 'utf8');
    assert.ok(html.includes('window.Plotly') && !/<script[^>]+src=/.test(html), 'HTML inlines plotly');
  } finally {
    if (saved === undefined) delete process.env.VITSCOPE_CHROMIUM;
    else process.env.VITSCOPE_CHROMIUM = saved;
  }
});

test('family colours are the documented ones', () => {
  assert.notEqual(colorFor('ViT-Ti'), colorFor('ResNet-18'));
  assert.equal(colorFor('vit-s'), colorFor('ViT-Ti'));
});
