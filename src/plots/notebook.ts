// Showing figures and progress in tslab notebooks. `show(fig)` emits one display entry per figure holding
// - application/vnd.plotly.v1+json: drawn natively by VS Code and by JupyterLab with plotly's renderer;
// - text/html: a div drawn by window.Plotly (classic notebook, JupyterLab without the renderer). The 4.8 MB plotly
//   bundle is inlined into the first figure of the kernel session only; later figures wait for window.Plotly;
// - text/plain: the figure's title (text-only front ends).
// `notebookProgress()` is a ProgressFactory that redraws one output line in place.
import { createRequire } from 'node:module';
import type { Progress, ProgressFactory, ProgressOptions, ProgressStats } from '../util/progress.ts';
import type { Figure } from './figure.ts';
import { escapeHtml, figureDiv, PLOT_CONFIG } from './html.ts';
import { plotlyScriptTag } from './plotly-bundle.ts';

/** A display that takes only HTML (tests inject one; older front ends). */
export interface HtmlDisplay {
  html(s: string): void;
}

/** A display that takes one output with several MIME types (the richest one the front end knows is drawn). */
export interface MimeDisplay {
  mime(bundle: Record<string, unknown>, displayId?: string, update?: boolean): void;
}

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

let bundleSent = false;
let counter = 0;

interface TslabJupyter {
  lastWriteDisplayData: ((msg: { data: Record<string, unknown>; metadata: object; transient: { display_id?: string } }, update: boolean) => void) | null;
}

/** tslab's kernel display, with several MIME types per output (tslab.display takes one). */
function tslabDisplay(): MimeDisplay {
  // Loaded lazily: tslab (and the TypeScript compiler it carries) is needed only inside a notebook.
  const req = createRequire(import.meta.url);
  const jupyter = req('tslab/dist/jupyter.js') as TslabJupyter;
  return {
    mime(bundle, displayId, update = false) {
      if (!jupyter.lastWriteDisplayData) throw new Error('show: no notebook kernel is running this code (use exportFigures to write files)');
      jupyter.lastWriteDisplayData({ data: bundle, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
    },
  };
}

/** The HTML `show` would emit for `fig` (bundle included when `withBundle`). */
export function showHtml(fig: Figure, opts: { withBundle?: boolean; id?: string } = {}): string {
  const id = opts.id ?? `vitscope-fig-${process.pid}-${++counter}-${fig.name}`;
  return (opts.withBundle ? plotlyScriptTag() + '\n' : '') + figureDiv(fig, id, { responsive: false });
}

/** The MIME bundle of one figure: plotly JSON, HTML fallback (with the plotly bundle when `withBundle`), plain text. */
export function figureMimeBundle(fig: Figure, opts: { withBundle?: boolean; id?: string } = {}): Record<string, unknown> {
  return {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: { ...PLOT_CONFIG, toImageButtonOptions: { ...PLOT_CONFIG.toImageButtonOptions, filename: fig.name } } },
    'text/html': showHtml(fig, opts),
    'text/plain': `[figure ${fig.name}: ${fig.title}]`,
  };
}

function isHtmlOnly(d: HtmlDisplay | MimeDisplay): d is HtmlDisplay {
  return !('mime' in d);
}

/** Displays figures inline in a tslab notebook. `display` defaults to the kernel's. */
export function show(fig: Figure | Figure[], display: HtmlDisplay | MimeDisplay = tslabDisplay()): void {
  for (const f of Array.isArray(fig) ? fig : [fig]) {
    if (isHtmlOnly(display)) display.html(showHtml(f, { withBundle: !bundleSent }));
    else display.mime(figureMimeBundle(f, { withBundle: !bundleSent }));
    bundleSent = true;
  }
}

/** Forget that the bundle was sent (e.g. after clearing outputs): the next `show` inlines it again. */
export function resetShow(): void {
  bundleSent = false;
}

function formatStats(stats: ProgressStats, unit: string): string {
  return Object.entries(stats)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (typeof v !== 'number') return `${k} ${v}`;
      if (k === 'acc') return `acc ${(v * 100).toFixed(1)}%`;
      if (k === 'rate') return `${v.toFixed(1)} ${unit}`;
      return `${k} ${Math.abs(v) < 1e-2 && v !== 0 ? v.toExponential(2) : v.toFixed(4)}`;
    })
    .join('  ');
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const r = Math.round(s);
  return `${Math.floor(r / 60)}:${String(r % 60).padStart(2, '0')}`;
}

/** The HTML of one progress line (a <progress> bar, counts, numbers, elapsed and ETA). */
export function progressHtml(opts: ProgressOptions, done: number, stats: ProgressStats, elapsed: number, finished?: string): string {
  const eta = done > 0 ? (elapsed / done) * (opts.total - done) : NaN;
  const text = finished ?? `${done}/${opts.total}  ${formatStats(stats, opts.unit ?? 'img/s')}  elapsed ${seconds(elapsed)}  ETA ${seconds(eta)}`;
  return `<div class="vitscope-progress" style="font-family:monospace;font-size:12px"><b>${escapeHtml(opts.label)}</b> ` +
    `<progress value="${done}" max="${Math.max(opts.total, 1)}" style="width:180px;vertical-align:middle"></progress> ${escapeHtml(text)}</div>`;
}

/**
 * Progress for long notebook cells: each bar is one output redrawn in place (at most every `everyMs`),
 * left showing its final numbers. `display` defaults to the kernel's.
 */
export function notebookProgress(opts: { everyMs?: number; display?: MimeDisplay } = {}): ProgressFactory {
  const everyMs = opts.everyMs ?? 500;
  return (p: ProgressOptions): Progress => {
    const display = opts.display ?? tslabDisplay();
    const id = `vitscope-progress-${process.pid}-${++counter}`;
    const start = Date.now();
    let last = 0;
    let lastDone = 0;
    let lastStats: ProgressStats = {};
    const draw = (update: boolean, finished?: string) =>
      display.mime({ 'text/html': progressHtml(p, lastDone, lastStats, (Date.now() - start) / 1000, finished), 'text/plain': `${p.label} ${lastDone}/${p.total}` }, id, update);
    draw(false);
    return {
      update(done, stats = {}) {
        lastDone = done;
        lastStats = stats;
        const now = Date.now();
        if (now - last < everyMs && done < p.total) return;
        last = now;
        draw(true);
      },
      finish(message) {
        draw(true, message ?? `${lastDone}/${p.total}  ${formatStats(lastStats, p.unit ?? 'img/s')}  in ${seconds((Date.now() - start) / 1000)}`);
      },
    };
  };
}
