// Executes every notebook headless with the tslab kernel (jupyter nbconvert --execute) in its tiny CI settings
// (VITSCOPE_NOTEBOOK_SMALL=1, results in a temp dir) and checks: no error outputs, and plotly figures displayed.
// Skipped with a message only when jupyter-nbconvert or the tslab kernel is not installed (scripts/register-kernel.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const NOTEBOOK_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'notebooks');
// 00-overview last: it shows the figures the others saved.
const NOTEBOOKS = readdirSync(NOTEBOOK_DIR).filter((f) => f.endsWith('.ipynb')).sort((a, b) => (a.startsWith('00-') ? 1 : b.startsWith('00-') ? -1 : a.localeCompare(b)));

function why(): string | false {
  const nb = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' });
  if (nb.status !== 0) return 'jupyter nbconvert is not installed (apt-get install jupyter-nbconvert)';
  const ks = spawnSync('jupyter', ['kernelspec', 'list'], { encoding: 'utf8' });
  if (!/\btslab\b/.test(ks.stdout ?? '')) return 'the tslab Jupyter kernel is not registered (bash scripts/register-kernel.sh)';
  return false;
}
const skip = why();
let out = '';
let results = '';

before(async () => {
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-nb-'));
  results = path.join(out, 'results');
});
after(async () => {
  if (out) await fs.rm(out, { recursive: true, force: true });
});

interface Output { output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string; data?: Record<string, unknown> }

test('there is one notebook per analysis and an overview', () => {
  for (const n of ['00-overview', '01-train', '02-hessian-spectra', '03-fourier-analysis', '04-noise-robustness', '05-feature-map-variance', '06-loss-landscape'])
    assert.ok(NOTEBOOKS.includes(`${n}.ipynb`), `notebooks/${n}.ipynb exists`);
  for (const n of NOTEBOOKS) {
    const nb = JSON.parse(readFileSync(path.join(NOTEBOOK_DIR, n), 'utf8'));
    assert.equal(nb.metadata.kernelspec.name, 'tslab', `${n} kernel`);
    assert.equal(nb.metadata.kernelspec.language, 'typescript', `${n} language`);
  }
});

for (const file of NOTEBOOKS) {
  test(`notebook ${file} runs headless without errors and shows plotly figures`, { skip, timeout: 240_000 }, () => {
    execFileSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--allow-errors', '--ExecutePreprocessor.kernel_name=tslab',
      '--ExecutePreprocessor.timeout=200', '--output-dir', out, path.join(NOTEBOOK_DIR, file)], {
      cwd: NOTEBOOK_DIR,
      env: { ...process.env, VITSCOPE_NOTEBOOK_SMALL: '1', VITSCOPE_NOTEBOOK_RESULTS: results },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const nb = JSON.parse(readFileSync(path.join(out, file), 'utf8')) as { cells: { cell_type: string; outputs?: Output[] }[] };
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    const text = (o: Output) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? '');
    const errors = outputs.filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr' && /error/i.test(text(o))));
    assert.deepEqual(errors.map((o) => o.evalue ?? text(o).slice(0, 400)), [], `${file}: error outputs`);
    const html = outputs.filter((o) => o.output_type === 'display_data' && (typeof o.data?.['text/html'] === 'string' || Array.isArray(o.data?.['text/html'])))
      .map((o) => { const h = o.data!['text/html']; return Array.isArray(h) ? h.join('') : String(h); });
    const figures = html.filter((h) => h.includes('class="vitscope-figure"') && h.includes('Plotly.newPlot'));
    assert.ok(figures.length > 0, `${file}: no plotly figure displayed`);
    assert.ok(html.some((h) => /window\.Plotly\s*=\s*\w+/.test(h)), `${file}: the plotly bundle is inlined once`);
  });
}
