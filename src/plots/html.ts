// HTML for figures: a self-contained page per figure (plotly inlined, opens offline) and the div + script that
// draws one figure into a page that already has plotly.
import type { Figure } from './figure.ts';
import { plotlyScriptTag } from './plotly-bundle.ts';
import { FONT_FAMILY } from './style.ts';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON safe inside <script>: no '</script>', no '<!--', no U+2028/9. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export const PLOT_CONFIG = { responsive: false, displaylogo: false, toImageButtonOptions: { format: 'png', scale: 2 } };

/**
 * A div and the script that draws `fig` into it with window.Plotly (waiting for it to load if needed).
 * `responsive`: fit the div's width instead of the figure's export width.
 */
export function figureDiv(fig: Figure, id: string, opts: { responsive?: boolean } = {}): string {
  const width = typeof fig.layout.width === 'number' ? fig.layout.width : 820;
  const height = typeof fig.layout.height === 'number' ? fig.layout.height : 500;
  const layout = opts.responsive ? { ...fig.layout, width: undefined, autosize: true } : fig.layout;
  const style = opts.responsive ? `width:100%;max-width:${width}px;height:${height}px` : `width:${width}px;height:${height}px`;
  const config = { ...PLOT_CONFIG, responsive: !!opts.responsive, toImageButtonOptions: { ...PLOT_CONFIG.toImageButtonOptions, filename: fig.name, width, height } };
  return (
    `<div id="${escapeHtml(id)}" class="vitscope-figure" data-figure="${escapeHtml(fig.name)}" style="${style}"></div>\n` +
    `<script type="text/javascript">(function(){var spec=${scriptJson({ data: fig.data, layout, config })};var n=0;` +
    `function draw(){var el=document.getElementById(${scriptJson(id)});if(!el)return;` +
    `if(window.Plotly){window.Plotly.newPlot(el,spec.data,spec.layout,spec.config);}` +
    `else if(n++<200){setTimeout(draw,50);}else{el.textContent='plotly.js is not loaded: re-run the first cell that shows a figure.';}}draw();})();</script>`
  );
}

/** A complete, self-contained HTML page showing one figure (plotly bundle inlined). */
export function figurePage(fig: Figure): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(fig.title)}</title>
<style>body{margin:16px;font-family:${FONT_FAMILY};background:#fff}</style>
${plotlyScriptTag()}
</head>
<body>
${figureDiv(fig, 'figure')}
</body>
</html>
`;
}
