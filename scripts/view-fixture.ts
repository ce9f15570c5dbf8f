// The results browser on a 50-run results folder: builds the folder (the real experiments on tiny presets, then
// copies up to 50 runs), starts `npm run experiment view` on it as a child process, loads the page in chromium and
// prints the page's load time and the server's memory (RSS). Optionally saves a screenshot for the README.
//   node --import tsx scripts/view-fixture.ts [--dir /tmp/view-50] [--runs 50] [--screenshot docs/figures/results-browser.png]
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromiumPath, CHROMIUM_ARGS } from '../src/plots/chromium.ts';
import { makeViewFixture } from '../test/support/view-fixture.ts';

// Browser globals used inside page.evaluate callbacks (they run in Chromium, not in node).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const dir = path.resolve(arg('dir', '/tmp/vitscope-view-50')!);
  const want = Number(arg('runs', '50'));
  const shot = arg('screenshot');
  const results = path.join(dir, 'results');
  if (!existsSync(results)) {
    const t = Date.now();
    const fx = await makeViewFixture(dir, { all: true });
    const finished = Object.values(fx.runs).filter((r) => !['hessian-running', 'noise-sharded', 'landscape-stopped'].includes(r));
    for (let i = 0; (await fs.readdir(results)).length < want; i++) {
      const from = finished[i % finished.length]!;
      await fs.cp(path.join(results, from), path.join(results, `${from}-copy-${String(i).padStart(2, '0')}`), { recursive: true });
    }
    console.log(`built ${(await fs.readdir(results)).length} runs in ${results} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
  const runs = (await fs.readdir(results)).length;
  // This process stands in for the live writer of the running analysis (its lock holds our pid).
  const lock = path.join(results, 'hessian-running', '.lock');
  if (existsSync(lock)) await fs.writeFile(lock, JSON.stringify({ ...JSON.parse(readFileSync(lock, 'utf8')), pid: process.pid }) + '\n');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'view', '--results', results, '--port', '0', '--poll-ms', '2000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /http:\/\/\S+/.exec(out);
        if (m) resolve(m[0]);
      });
      child.once('exit', (code) => reject(new Error(`view exited with ${code}`)));
    });
    const rssIdle = rssMiB(child.pid!);
    const { chromium } = (await import('playwright-core')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const times: number[] = [];
      const phases: unknown[] = [];
      const listed: number[] = [];
      for (let round = 0; round < 3; round++) {
        await page.goto('about:blank');
        const t0 = Date.now();
        // The page as a user opens it with two runs picked: runs listed and the Hessian view drawn.
        await page.goto(`${url}#view=hessian&run=hessian-vit&run=hessian-resnet`);
        await page.waitForFunction((n: number) => document.querySelectorAll('#runs tbody tr[data-run]').length === n, runs, { timeout: 60_000 });
        listed.push(Date.now() - t0);
        await page.waitForFunction((n: number) => document.querySelectorAll('#runs tbody tr[data-run]').length === n && document.getElementById('view').getAttribute('data-state') === 'ready' && document.querySelectorAll('#view .main-svg').length > 0, runs, { timeout: 60_000 });
        times.push(Date.now() - t0);
        // A string, not a function: tsx's helpers (__name) do not exist in the page.
        phases.push(await page.evaluate(`(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const res = performance.getEntriesByType('resource');
          const of = (n) => res.filter((r) => r.name.includes(n)).map((r) => Math.round(r.responseEnd - r.startTime));
          const at = (a) => Number(document.documentElement.getAttribute(a));
          return { runsListedAt: at('data-runs-listed-ms'), viewDrawnAt: at('data-view-ready-ms'), domContentLoaded: Math.round(nav.domContentLoadedEventEnd), plotlyFetch: of('/plotly.js'), apiRuns: of('/api/runs'), apiView: of('/api/view'), ready: Math.round(performance.now()) };
        })()`));
      }
      const rssAfter = rssMiB(child.pid!);
      console.log(JSON.stringify({ runs, runsListedMs: listed, loadMs: times, rssIdleMiB: Math.round(rssIdle), rssAfterLoadsMiB: Math.round(rssAfter), phases, loadAverage: (await import('node:os')).loadavg().map((x) => +x.toFixed(1)), cores: (await import('node:os')).cpus().length }));
      if (shot) {
        await page.setViewportSize({ width: 1400, height: 1400 });
        await page.goto('about:blank');
        await page.goto(`${url}#view=hessian&run=hessian-vit&run=hessian-resnet&run=hessian-running`);
        await page.waitForFunction(() => document.getElementById('view').getAttribute('data-state') === 'ready' && document.querySelectorAll('#view .main-svg').length >= 3, null, { timeout: 60_000 });
        await page.waitForTimeout(500);
        await page.screenshot({ path: shot, fullPage: false });
        console.log(`screenshot: ${shot}`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
