// The results browser's HTML: the app page (its script is client.js, its style client.css, both beside this
// file; plotly comes from the server's /plotly.js, so it works offline), and the self-contained page a view
// exports (plotly inlined, figures drawn by figureDiv, the same as report.html).
import { readFileSync } from 'node:fs';
import type { Figure } from '../plots/figure.ts';
import { escapeHtml, figureDiv, scriptJson } from '../plots/html.ts';
import { plotlyScriptTag } from '../plots/plotly-bundle.ts';
import type { SummaryRow } from '../plots/summary.ts';
import { FONT_FAMILY } from '../plots/style.ts';
import { VIEW_TITLES, VIEWS, type ViewResult } from './figures.ts';
import type { RunInfo } from './runs.ts';

const CLIENT_JS = readFileSync(new URL('./client.js', import.meta.url), 'utf8');
const CLIENT_CSS = readFileSync(new URL('./client.css', import.meta.url), 'utf8');

export function viewerPage(opts: { root: string; pollMs: number }): string {
  const config = { root: opts.root, pollMs: opts.pollMs, views: VIEWS.map((v) => ({ id: v, title: VIEW_TITLES[v] })) };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vitscope results — ${escapeHtml(opts.root)}</title>
<link rel="icon" href="data:,">
<style>body{font-family:${FONT_FAMILY}}${CLIENT_CSS}</style>
<script defer src="/plotly.js"></script>
</head>
<body>
<header><h1>vitscope results</h1><span class="root">${escapeHtml(opts.root)}</span><span id="live" class="live">connecting…</span></header>
<main>
<aside id="sidebar">
<div class="toolbar"><input id="filter" type="search" placeholder="filter runs" aria-label="filter runs"><button id="clear" type="button">clear selection</button></div>
<table id="runs"><thead><tr><th></th><th>run</th><th>command</th><th>models / checkpoints</th><th>protocol</th><th>data</th><th>date</th><th>status</th></tr></thead><tbody></tbody></table>
</aside>
<section id="content">
<nav id="tabs"></nav>
<div id="models"></div>
<div class="toolbar export"><span>export this view:</span><button id="export-png" type="button">PNG</button><button id="export-svg" type="button">SVG</button><a id="export-html" href="#" download>HTML</a></div>
<div id="notes"></div>
<div id="view"></div>
</section>
</main>
<script>window.VITSCOPE=${scriptJson(config)};</script>
<script>${CLIENT_JS.replace(/<\/(script)/gi, '<\\/$1')}</script>
</body>
</html>
`;
}

const EXPORT_CSS = `body{font-family:${FONT_FAMILY};margin:24px auto;max-width:1240px;padding:0 16px;color:#222}
table{border-collapse:collapse;font-size:13px;width:100%;table-layout:fixed}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;overflow-wrap:anywhere}
th{background:#f4f4f4}.note{color:#777;font-size:13px}figure{margin:18px 0;overflow-x:auto}figcaption{font-weight:bold}`;

/** One view as a self-contained page: its figures, notes, the runs and their key numbers. */
export function exportPage(view: ViewResult, runs: readonly RunInfo[], rows: readonly (SummaryRow & { run: string })[]): string {
  const title = `vitscope — ${VIEW_TITLES[view.view]}: ${runs.map((r) => r.name).join(', ') || 'no runs'}`;
  const figs = view.figures.map((f: Figure, i) => `<figure><figcaption>${escapeHtml(f.title)}</figcaption>\n${figureDiv(f, `fig-${i + 1}`)}</figure>`).join('\n');
  const runRows = runs.map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.command)}</td><td>${escapeHtml(r.models.join(', '))}</td><td>${escapeHtml(r.protocol)}</td><td>${escapeHtml(r.data)}</td><td>${escapeHtml(r.date)}</td><td>${escapeHtml(r.status.text)}</td></tr>`).join('\n');
  const keyRows = rows.map((r) => `<tr><td>${escapeHtml(r.run)}</td><td>${escapeHtml(r.quantity)}</td><td>${escapeHtml(r.model)}</td><td>${escapeHtml(r.ours)}</td><td>${escapeHtml(r.paper)}</td></tr>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${EXPORT_CSS}</style>
${view.figures.length ? plotlyScriptTag() : ''}
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="note">Exported ${new Date().toISOString()} from the vitscope results browser.</p>
${view.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
${figs}
<h2>Runs</h2>
<table><thead><tr><th>run</th><th>command</th><th>models</th><th>protocol</th><th>data</th><th>date</th><th>status</th></tr></thead><tbody>${runRows}</tbody></table>
${rows.length ? `<h2>Key numbers next to the paper's</h2><table><thead><tr><th>run</th><th>quantity</th><th>model</th><th>this run</th><th>paper (≈)</th></tr></thead><tbody>${keyRows}</tbody></table>` : ''}
</body>
</html>
`;
}
