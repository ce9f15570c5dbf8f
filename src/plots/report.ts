// writeReport(runDir): one self-contained page (<runDir>/report.html) with every figure (figures/*.json) and table
// (metrics.csv, other *.csv, *.jsonl, key numbers of *.json) of a run and of the sub-runs nested in it (`all`).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { checkFigure, type Figure } from './figure.ts';
import { escapeHtml, figureDiv } from './html.ts';
import { plotlyScriptTag } from './plotly-bundle.ts';
import { FONT_FAMILY } from './style.ts';
import { runSummary } from './summary.ts';
import { epochsShown, MIN_EPOCHS_FOR_CURVES } from './training.ts';

const SKIP_DIRS = new Set(['figures', 'checkpoints', 'node_modules', 'data', 'cache']);
const MAX_DEPTH = 4;
const MAX_TABLE_ROWS = 120;
const MAX_KEY_ROWS = 80;

async function listDir(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

/** The Figure specs saved in <runDir>/figures/*.json, by name; a malformed file is an error naming it. */
export async function readRunFigures(runDir: string): Promise<Figure[]> {
  const dir = path.join(runDir, 'figures');
  const out: Figure[] = [];
  for (const e of await listDir(dir)) {
    if (!e.isFile() || !e.name.endsWith('.json') || e.name.startsWith('.')) continue;
    const file = path.join(dir, e.name);
    let value: unknown;
    try {
      value = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message}); expected a Figure spec written by exportFigures`);
    }
    out.push(checkFigure(value, file));
  }
  return out;
}

/** runDir and every nested directory holding run output (figures/, *.csv, *.json, *.jsonl), depth-first. */
export async function findRunDirs(runDir: string, depth = 0): Promise<string[]> {
  const entries = await listDir(runDir);
  const hasOutput = entries.some((e) => (e.isDirectory() && e.name === 'figures') || (e.isFile() && /\.(csv|json|jsonl)$/.test(e.name) && !e.name.startsWith('.')));
  const out = hasOutput || depth === 0 ? [runDir] : [];
  if (depth >= MAX_DEPTH) return out;
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
    out.push(...(await findRunDirs(path.join(runDir, e.name), depth + 1)));
  }
  return out;
}

/** Minimal RFC 4180 CSV parser (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function fmtCell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') {
    const n = Number(v);
    return v.trim() !== '' && Number.isFinite(n) && !Number.isInteger(n) ? fmtCell(n) : v;
  }
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

function htmlTable(header: string[], rows: unknown[][], note?: string): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(fmtCell(c))}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table>${note ? `<p class="note">${escapeHtml(note)}</p>` : ''}</div>`;
}

/** Keeps the first and last rows of a long table. */
function clip<T>(rows: T[], max: number): { rows: (T | null)[]; note?: string } {
  if (rows.length <= max) return { rows };
  const head = Math.ceil(max * 0.6), tail = max - head;
  return { rows: [...rows.slice(0, head), null, ...rows.slice(rows.length - tail)], note: `${rows.length} rows; ${rows.length - max} rows in the middle are not shown (see the file).` };
}

function tableFromRows(header: string[], rows: unknown[][]): string {
  const c = clip(rows, MAX_TABLE_ROWS);
  return htmlTable(header, c.rows.map((r) => r ?? header.map(() => '…')), c.note);
}

/** Scalars (and short numeric arrays) of a JSON value as [key path, value] rows. */
export function keyNumbers(value: unknown, prefix = '', depth = 0, out: [string, unknown][] = []): [string, unknown][] {
  if (out.length >= MAX_KEY_ROWS) return out;
  if (value === null || typeof value !== 'object') {
    out.push([prefix || '(value)', value]);
  } else if (Array.isArray(value)) {
    if (value.length <= 8 && value.every((v) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'))
      out.push([prefix, value.map(fmtCell).join(', ')]);
    else if (value.length <= 8 && depth < 3) value.forEach((v, i) => keyNumbers(v, `${prefix}[${i}]`, depth + 1, out));
    else out.push([prefix, `[${value.length} entries]`]);
  } else if (depth < 3) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) keyNumbers(v, prefix ? `${prefix}.${k}` : k, depth + 1, out);
  } else {
    out.push([prefix, '{…}']);
  }
  return out;
}

interface Section { title: string; id: string; html: string[]; tables: string[] }

async function runSection(runDir: string, root: string, figCounter: { n: number }): Promise<Section> {
  const rel = path.relative(root, runDir) || path.basename(runDir);
  const id = 'run-' + rel.replace(/[^A-Za-z0-9_-]+/g, '-');
  const html: string[] = [];
  const tables: string[] = [];
  const figures = await readRunFigures(runDir);
  const hasSteps = figures.some((f) => f.name === 'training-loss-steps');
  for (const fig of figures) {
    // A run of one or two epochs: its epoch chart is one or two points; the per-step curve shows it instead.
    if (fig.name === 'training-curves' && hasSteps && epochsShown(fig) < MIN_EPOCHS_FOR_CURVES) {
      html.push(`<p class="note">${epochsShown(fig)} epoch(s): the per-step curve shows this training (the epoch chart is figures/training-curves.html).</p>`);
      continue;
    }
    html.push(`<figure id="${escapeHtml(id)}-fig-${escapeHtml(fig.name)}"><figcaption>${escapeHtml(fig.title)} <span class="file">figures/${escapeHtml(fig.name)}</span></figcaption>\n${figureDiv(fig, `fig-${++figCounter.n}`)}</figure>`);
  }
  const files = (await listDir(runDir)).filter((e) => e.isFile() && !e.name.startsWith('.'));
  const order = (n: string) => (n === 'metrics.csv' ? 0 : n.endsWith('.csv') ? 1 : n.endsWith('.jsonl') ? 2 : 3);
  for (const e of files.filter((f) => /\.(csv|jsonl|json)$/.test(f.name)).sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name))) {
    const file = path.join(runDir, e.name);
    const text = await fs.readFile(file, 'utf8');
    let table: string;
    try {
      if (e.name.endsWith('.csv')) {
        const rows = parseCsv(text);
        if (rows.length === 0) continue;
        table = tableFromRows(rows[0]!, rows.slice(1));
      } else if (e.name.endsWith('.jsonl')) {
        const objs = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
        const flat = objs.map((o) => Object.fromEntries(keyNumbers(o)));
        const header = [...new Set(flat.flatMap((o) => Object.keys(o)))];
        if (header.length === 0) continue;
        table = tableFromRows(header, flat.map((o) => header.map((h) => o[h])));
      } else {
        const rows = keyNumbers(JSON.parse(text));
        if (rows.length === 0) continue;
        table = htmlTable(['key', 'value'], rows, rows.length >= MAX_KEY_ROWS ? `first ${MAX_KEY_ROWS} entries` : undefined);
      }
    } catch (err) {
      table = `<p class="note">could not read ${escapeHtml(e.name)}: ${escapeHtml((err as Error).message)}</p>`;
    }
    tables.push(`<details class="table"><summary>${escapeHtml(e.name)}</summary>\n${table}</details>`);
  }
  return { title: rel, id, html, tables };
}

const CSS = `body{font-family:${FONT_FAMILY};margin:24px auto;max-width:1100px;padding:0 16px;color:#222;background:#fff}
h1{font-size:26px;margin-bottom:4px}h2{font-size:21px;border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:40px}
h3{font-size:16px;margin:18px 0 6px}figure{margin:18px 0;overflow-x:auto}figcaption{font-weight:bold;margin-bottom:6px}
.file{font-weight:normal;color:#888;font-size:13px;margin-left:8px}.table-wrap{overflow-x:auto;max-height:520px;overflow-y:auto}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#f4f4f4;position:sticky;top:0}td:first-child,th:first-child{text-align:left}.note{color:#777;font-size:12px}
nav ul{columns:2;font-size:14px}.meta{color:#666;font-size:14px}
#summary table{width:100%;table-layout:fixed}#summary th,#summary td{white-space:normal;overflow-wrap:anywhere;text-align:left;vertical-align:top}
#summary .table-wrap{max-height:none;overflow:visible}details.table{margin:4px 0}details.table>summary{cursor:pointer;font-weight:bold;font-size:14px}`;

/** Writes <runDir>/report.html and returns its path. */
export async function writeReport(runDir: string, opts: { title?: string } = {}): Promise<string> {
  const root = path.resolve(runDir);
  try {
    await fs.mkdir(root, { recursive: true });
    if (!(await fs.stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new Error(`writeReport: run directory '${runDir}' is not readable (${(err as Error).message}); expected results/<run>/`);
  }
  const counter = { n: 0 };
  const sections: Section[] = [];
  for (const dir of await findRunDirs(root)) sections.push(await runSection(dir, root, counter));
  const nonEmpty = sections.filter((s) => s.html.length > 0 || s.tables.length > 0);
  // First what a reader wants: the key numbers next to the paper's; then the figures and raw tables per run.
  const summary = await runSummary(root);
  const summaryHtml = summary.length
    ? `<section id="summary"><h2>Key numbers next to the paper's</h2>\n${htmlTable(['quantity', 'model', 'this run', 'paper (≈)'], summary.map((r) => [r.quantity, r.model, r.ours, r.paper]),
        'Paper values: Park & Kim 2022 (CIFAR-100 unless marked), read off its figures; this run: its own models, data and settings.')}</section>`
    : '';
  const title = opts.title ?? `vitscope report — ${path.basename(root)}`;
  const nav = nonEmpty.length > 1 ? `<nav><ul>${nonEmpty.map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`).join('')}</ul></nav>` : '';
  const body = nonEmpty.length === 0
    ? '<p class="note">This run has no figures or tables yet.</p>'
    : nonEmpty.filter((s) => s.html.length > 0).map((s) => `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${s.html.join('\n')}</section>`).join('\n');
  // The raw tables after every figure, collapsed: they are for looking a number up, not for reading through.
  const withTables = nonEmpty.filter((s) => s.tables.length > 0);
  const tables = withTables.length
    ? `<section id="raw-tables"><h2>Raw tables</h2>\n${withTables.map((s) => `<h3>${escapeHtml(s.title)}</h3>\n${s.tables.join('\n')}`).join('\n')}</section>`
    : '';
  const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
${counter.n > 0 ? plotlyScriptTag() : ''}
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(root)} · generated ${new Date().toISOString()} · ${counter.n} figure(s)</p>
${summaryHtml}
${nav}
${body}
${tables}
</body>
</html>
`;
  const target = path.join(root, 'report.html');
  await writeFileAtomic(target, page);
  return target;
}

/** Every figure saved under `dir`: its figures/*.json and those of nested runs. Empty when `dir` does not exist. */
export async function readAllFigures(dir: string): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const d of await findRunDirs(path.resolve(dir))) out.push(...(await readRunFigures(d)));
  return out;
}
