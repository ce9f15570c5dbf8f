// Showing figures in tslab notebooks: `show(fig)` emits an HTML div drawn by plotly; the plotly bundle is inlined
// into the first output of the kernel session only (later outputs wait for window.Plotly).
import { createRequire } from 'node:module';
import type { Figure } from './figure.ts';
import { figureDiv } from './html.ts';
import { plotlyScriptTag } from './plotly-bundle.ts';

/** What tslab.display offers (and what tests inject). */
export interface HtmlDisplay {
  html(s: string): void;
}

let bundleSent = false;
let counter = 0;

function tslabDisplay(): HtmlDisplay {
  // Loaded lazily: tslab (and the TypeScript compiler it carries) is needed only inside a notebook.
  const req = createRequire(import.meta.url);
  return (req('tslab') as { display: HtmlDisplay }).display;
}

/** The HTML `show` would emit for `fig` (bundle included when `withBundle`). */
export function showHtml(fig: Figure, opts: { withBundle?: boolean; id?: string } = {}): string {
  const id = opts.id ?? `vitscope-fig-${process.pid}-${++counter}-${fig.name}`;
  return (opts.withBundle ? plotlyScriptTag() + '\n' : '') + figureDiv(fig, id, { responsive: false });
}

/** Displays figures inline in a tslab notebook. `display` defaults to tslab.display. */
export function show(fig: Figure | Figure[], display: HtmlDisplay = tslabDisplay()): void {
  for (const f of Array.isArray(fig) ? fig : [fig]) {
    display.html(showHtml(f, { withBundle: !bundleSent }));
    bundleSent = true;
  }
}

/** Forget that the bundle was sent (e.g. after clearing outputs): the next `show` inlines it again. */
export function resetShow(): void {
  bundleSent = false;
}
