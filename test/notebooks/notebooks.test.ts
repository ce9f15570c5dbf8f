// Executes every notebook headless with the tslab kernel (jupyter nbconvert --execute) in its tiny CI settings
// (VITSCOPE_NOTEBOOK_SMALL=1, results in a temp dir) and checks: no error output, every cell ran, at least one
// interactive figure (plotly mime bundle + HTML fallback), the plotly bundle inlined once. To keep CI short the
// notebooks share one results folder: 05 first, on the empty folder (a fresh clone: it trains its models itself),
// then 01 (replacing those runs), 02…06 on 01's checkpoints, 07 (its own PyTorch demo checkpoints), and 00 last (it
// shows the figures the others saved).
// Also: a type error in a cell and a failing cell are reported with their message; 07 (imported checkpoint) without a
// checkpoint and without PyTorch stops at its first step with a message saying what to do.
// Skipped with a message only when jupyter-nbconvert or this checkout's tslab is not installed. The kernel the
// notebooks run on is this checkout's tslab, registered for the test alone (JUPYTER_PATH): a "tslab" kernel spec
// registered system-wide by another checkout (scripts/register-kernel.sh) would run that checkout's code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NOTEBOOK_DIR = path.join(ROOT, 'notebooks');
const TSLAB_BIN = path.join(ROOT, 'node_modules', '.bin', 'tslab');
const FRESH = '05-feature-map-variance.ipynb';
const rank = (f: string) => (f === FRESH ? 0 : f.startsWith('00-') ? 2 : 1);
const NOTEBOOKS = readdirSync(NOTEBOOK_DIR)
  .filter((f) => f.endsWith('.ipynb') && !f.startsWith('.'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

function why(): string | false {
  const nb = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' });
  if (nb.status !== 0) return 'jupyter nbconvert is not installed (apt-get install jupyter-nbconvert)';
  if (!existsSync(TSLAB_BIN)) return `tslab is not installed in this checkout (${TSLAB_BIN}: run npm ci)`;
  return false;
}
const skip = why();
let out = '';
/** A Jupyter data folder holding only the kernel spec "tslab" for this checkout's tslab (tslab's own spec format). */
let jupyterPath = '';

before(async () => {
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'vitscope-nb-'));
  jupyterPath = path.join(out, 'jupyter');
  const spec = path.join(jupyterPath, 'kernels', 'tslab');
  await fs.mkdir(spec, { recursive: true });
  const kernel = { argv: [TSLAB_BIN, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' };
  await fs.writeFile(path.join(spec, 'kernel.json'), JSON.stringify(kernel));
});
after(async () => {
  if (out) await fs.rm(out, { recursive: true, force: true });
});

interface Output { output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string; data?: Record<string, unknown> }
type Notebook = { cells: { cell_type: string; source: string | string[]; outputs?: Output[] }[]; metadata: { kernelspec: { name: string; language: string } } };

const text = (o: Output) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? '');
const joined = (v: unknown) => (Array.isArray(v) ? v.join('') : String(v ?? ''));

const nbconvert = (file: string, allowErrors: boolean) => ['nbconvert', '--to', 'notebook', '--execute', ...(allowErrors ? ['--allow-errors'] : []),
  '--ExecutePreprocessor.kernel_name=tslab', '--ExecutePreprocessor.timeout=300', '--output-dir', out, path.join(NOTEBOOK_DIR, file)];
// JUPYTER_PATH comes first in Jupyter's search for kernel specs
const notebookEnv = (results: string, extra: Record<string, string> = {}) => ({
  ...process.env,
  JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter((p) => p).join(path.delimiter),
  VITSCOPE_NOTEBOOK_SMALL: '1',
  VITSCOPE_NOTEBOOK_RESULTS: results,
  ...extra,
});

/** Runs one notebook from NOTEBOOK_DIR (its own results folder); returns the executed notebook and the seconds taken. */
function execute(file: string, results: string): { nb: Notebook; seconds: number } {
  const t0 = Date.now();
  execFileSync('jupyter', nbconvert(file, true), { cwd: NOTEBOOK_DIR, env: notebookEnv(results), stdio: ['ignore', 'ignore', 'pipe'] });
  return { nb: JSON.parse(readFileSync(path.join(out, file), 'utf8')) as Notebook, seconds: (Date.now() - t0) / 1000 };
}

test('there is one notebook per analysis and an overview, all on the tslab kernel, importing the typed library', () => {
  for (const n of ['00-overview', '01-train', '02-hessian-spectra', '03-fourier-analysis', '04-noise-robustness', '05-feature-map-variance', '06-loss-landscape', '07-imported-checkpoint'])
    assert.ok(NOTEBOOKS.includes(`${n}.ipynb`), `notebooks/${n}.ipynb exists`);
  for (const n of NOTEBOOKS) {
    const nb = JSON.parse(readFileSync(path.join(NOTEBOOK_DIR, n), 'utf8')) as Notebook;
    assert.equal(nb.metadata.kernelspec.name, 'tslab', `${n} kernel`);
    assert.equal(nb.metadata.kernelspec.language, 'typescript', `${n} language`);
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => joined(c.source)).join('\n');
    assert.match(code, /from 'vitscope'/, `${n} imports the library`);
    assert.doesNotMatch(code, /runAndShow|await load\(/, `${n} shows its steps instead of running a CLI command`);
    assert.doesNotMatch(code, /-test['`]/, `${n} uses real presets, not test presets`);
  }
});

test("each analysis notebook's PAPER switch selects the analysis protocol 'paper' and the paper's presets", () => {
  const protocols: Record<string, string[]> = {
    '02-hessian-spectra': ['HESSIAN_PROTOCOLS'],
    '03-fourier-analysis': ['FOURIER_PROTOCOLS'],
    '04-noise-robustness': ['NOISE_PROTOCOLS'],
    '05-feature-map-variance': ['VARIANCE_PROTOCOLS'],
    '06-loss-landscape': ['LANDSCAPE_PROTOCOLS'],
    '07-imported-checkpoint': ['HESSIAN_PROTOCOLS', 'FOURIER_PROTOCOLS', 'NOISE_PROTOCOLS', 'VARIANCE_PROTOCOLS', 'LANDSCAPE_PROTOCOLS'],
  };
  for (const [n, defs] of Object.entries(protocols)) {
    const nb = JSON.parse(readFileSync(path.join(NOTEBOOK_DIR, `${n}.ipynb`), 'utf8')) as Notebook;
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => joined(c.source)).join('\n');
    for (const d of defs) {
      // the settings of a run come from the definition, protocol 'paper' when PAPER is set, with nothing overridden then
      const selects = new RegExp(`${d}\\.protocols\\[\\s*PAPER \\? 'paper'|PROTOCOL = PAPER \\? 'paper'[^\\n]*\\n[\\s\\S]*${d}\\.protocols\\[PROTOCOL\\]`);
      assert.match(code, selects, `${n}: PAPER selects ${d}.protocols.paper`);
    }
    assert.match(code, /PAPER \? \{\} :/, `${n}: with PAPER the protocol's settings are used unchanged`);
    if (n !== '07-imported-checkpoint') assert.match(code, /PAPER \? \['vit-ti', 'resnet-50'\]/, `${n}: PAPER selects the paper's presets`);
  }
});

// 07 makes its demo checkpoints with PyTorch; without torch it stops with a message (tested below), so its full run is
// skipped there with the reason — except in CI (CI set), which has torch and must run it.
const torchPython = process.env.VITSCOPE_PYTHON || '/usr/bin/python3';
const torchMissing = spawnSync(torchPython, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status !== 0;
const skipRun = (file: string): string | false =>
  skip || ((file.startsWith('07-') || file.startsWith('08-')) && torchMissing && !process.env.CI ? `${torchPython} cannot import torch and numpy to make ${file.slice(0, 2)}'s demo checkpoints` : false) ||
  (file.startsWith('07-') && timmMissing && !process.env.CI ? `${timmPython} cannot import torch and timm to make 07's stand-ins for the authors' checkpoints` : false);
// 07's stand-ins for the authors' released checkpoints are exported by timm's environment (scripts/setup-tests/20-timm.sh).
const timmPython = process.env.VITSCOPE_TIMM_PYTHON || path.resolve(NOTEBOOK_DIR, '..', '.venv', 'timm', 'bin', 'python');
const timmMissing = spawnSync(timmPython, ['-c', 'import torch, timm'], { encoding: 'utf8' }).status !== 0;

function checkRun(file: string, results: string, what: string): void {
  test(`notebook ${file} runs headless ${what} without errors and shows interactive figures`, { skip: skipRun(file), timeout: 420_000 }, () => {
    const { nb, seconds } = execute(file, results);
    console.log(`# ${file} ${what}: ${seconds.toFixed(0)} s (CI settings)`);
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    const errors = outputs.filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'));
    assert.deepEqual(errors.map((o) => o.evalue ?? text(o).slice(0, 600)), [], `${file}: error outputs`);
    const codeCells = nb.cells.filter((c) => c.cell_type === 'code');
    assert.ok(codeCells.every((c) => (c.outputs ?? []).length > 0 || /^\s*import /.test(joined(c.source))), `${file}: a cell after an error did not run`);
    const displays = outputs.filter((o) => o.output_type === 'display_data' && o.data?.[PLOTLY_MIME] !== undefined);
    assert.ok(displays.length > 0, `${file}: no interactive figure`);
    for (const d of displays) {
      const html = joined(d.data!['text/html']);
      assert.ok(html.includes('class="vitscope-figure"') && html.includes('Plotly.newPlot'), `${file}: a figure without its HTML fallback`);
      assert.ok(typeof d.data!['text/plain'] === 'string' || Array.isArray(d.data!['text/plain']), `${file}: a figure without a text fallback`);
    }
    const bundles = displays.filter((d) => /window\.Plotly\s*=\s*\w+/.test(joined(d.data!['text/html'])));
    assert.equal(bundles.length, 1, `${file}: the plotly bundle is inlined in exactly one figure`);
    if (file.startsWith('07-')) {
      // the demo checkpoints PyTorch wrote: the imported models give PyTorch's logits (float32 rounding)
      const stdout = outputs.filter((o) => o.output_type === 'stream').map(text).join('');
      const diffs = [...stdout.matchAll(/max \|logit difference\| (\S+) \(logits up to (\S+)\)/g)].map((m) => Number(m[1]) / Number(m[2]));
      assert.equal(diffs.length, 4, `${file}: the logits of the four stand-ins (the authors' released models) are compared with PyTorch's`);
      for (const d of diffs) assert.ok(d < 1e-4, `${file}: imported logits differ from PyTorch's by ${d} of their scale`);
    }
  });
}

const SHARED = path.join(os.tmpdir(), `vitscope-nb-shared-${process.pid}`);
for (const file of NOTEBOOKS) checkRun(file, SHARED, file === FRESH ? 'first, on an empty results folder' : 'on the shared results folder');
after(async () => {
  await fs.rm(SHARED, { recursive: true, force: true });
});

test('07-imported-checkpoint without a checkpoint and without PyTorch stops at its first step with a message', { skip, timeout: 300_000 }, () => {
  const file = '07-imported-checkpoint.ipynb';
  // With --allow-errors, to read the failing cell's message: tslab reports a thrown error on the cell's stderr only (nbconvert's own
  // error text would show just the cell's source). Without it, "Run All" stops there; here every later cell must fail to compile.
  const r = spawnSync('jupyter', nbconvert(file, true), {
    cwd: NOTEBOOK_DIR, encoding: 'utf8', env: notebookEnv(path.join(out, 'results-no-torch'), { VITSCOPE_PYTHON: path.join(out, 'no-such-python'), VITSCOPE_TIMM_PYTHON: path.join(out, 'no-such-python'), VITSCOPE_IMPORT: '', VITSCOPE_CHECKPOINTS: path.join(out, 'none') }),
  });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const cells = (JSON.parse(readFileSync(path.join(out, file), 'utf8')) as Notebook).cells.filter((c) => c.cell_type === 'code');
  const stderrOf = (c: Notebook['cells'][number]) => (c.outputs ?? []).filter((o) => o.name === 'stderr' || o.output_type === 'error').map((o) => text(o) + (o.evalue ?? '')).join('');
  const failing = cells.findIndex((c) => stderrOf(c) !== '');
  assert.ok(failing >= 0, 'a cell fails');
  assert.match(stderrOf(cells[failing]!), /Nothing to analyse: .* no checkpoint was named .* cannot import torch and timm to export random-weight stand-ins/);
  assert.match(stderrOf(cells[failing]!), /put a checkpoint in MINE/);
  assert.match(joined(cells[failing]!.source), /2\. The files to import/, 'it is the step that chooses the files');
  assert.ok(cells.slice(failing + 1).every((c) => !(c.outputs ?? []).some((o) => o.output_type === 'display_data' || o.name === 'stdout')), 'no later step produced anything');
});

test('a type error in a cell and a failing cell are reported with their message', { skip, timeout: 300_000 }, async () => {
  const cell = (source: string) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source });
  const meta = JSON.parse(readFileSync(path.join(NOTEBOOK_DIR, NOTEBOOKS[0]!), 'utf8')).metadata as object;
  const write = async (name: string, cells: string[]) =>
    fs.writeFile(path.join(NOTEBOOK_DIR, name), JSON.stringify({ cells: cells.map(cell), metadata: meta, nbformat: 4, nbformat_minor: 4 }));
  const typed = '.tmp-type-error.ipynb', failing = '.tmp-failing-cell.ipynb';
  try {
    await write(typed, ["import { models } from 'vitscope';", 'const n: number = models.listPresets();']);
    await write(failing, ["import { experiments } from 'vitscope';", "experiments.trainSettingsFromFile('no-such-recipe.json');"]);
    const stderr = (f: string) => execute(f, path.join(out, 'results-errors')).nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.name === 'stderr' || o.output_type === 'error').map((o) => text(o) + (o.evalue ?? '')).join('\n');
    assert.match(stderr(typed), /Type 'string\[\]' is not assignable to type 'number'/);
    assert.match(stderr(failing), /no-such-recipe\.json: cannot read a JSON object of training options/);
  } finally {
    await fs.rm(path.join(NOTEBOOK_DIR, typed), { force: true });
    await fs.rm(path.join(NOTEBOOK_DIR, failing), { force: true });
  }
});
