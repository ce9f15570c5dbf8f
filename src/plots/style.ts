// One look for every figure: a fixed colour per model family (each family declares it where it registers:
// ViT red, Swin brown, ResNet blue, AlterNet green, as in the paper's plots), readable fonts at report size,
// axis titles with units, block shading for depth plots.
import type { BlockKind, PlotlyLayout, PlotlyTrace } from './figure.ts';
import { listFamilies } from '../models/index.ts';

export const FONT_FAMILY = 'Helvetica, Arial, sans-serif';
export const FONT_SIZE = 15;
export const TITLE_SIZE = 18;
/** Export size in CSS pixels (PNG is rendered at PNG_SCALE times this). */
export const FIGURE_WIDTH = 820;
export const FIGURE_HEIGHT = 500;

/** For labels of no known family: distinct, colour-blind-friendly-ish, none equal to a family colour. */
const FALLBACK_COLORS = ['#17becf', '#bcbd22', '#e377c2', '#7f7f7f', '#393b79', '#ad494a', '#637939', '#8c6d31'];

/** Grey for MSA blocks and blue for pooling (subsampling) blocks in depth plots, as in the paper. */
export const MSA_SHADE = 'rgba(128, 128, 128, 0.22)';
export const POOL_SHADE = 'rgba(31, 119, 220, 0.20)';
/** Amber for MLP-Mixer's token-mixing MLPs (spatial mixing like an MSA, but not attention). */
export const TOKEN_MLP_SHADE = 'rgba(230, 170, 0, 0.22)';

/** The background shade of a block kind in depth plots, or undefined for unshaded kinds. */
export function blockShade(kind: BlockKind | undefined): string | undefined {
  return kind === 'msa' ? MSA_SHADE : kind === 'pool' ? POOL_SHADE : kind === 'token-mlp' ? TOKEN_MLP_SHADE : undefined;
}

/**
 * The registered model family a label names ('ViT-Ti' -> 'vit'), or undefined. Where several families' patterns
 * match, the earliest match in the label wins ('Alter-ResNet-50' is an AlterNet, not a ResNet).
 */
export function familyOf(label: string): string | undefined {
  const l = label.toLowerCase();
  let best: { family: string; at: number } | undefined;
  for (const f of listFamilies()) {
    const at = l.search(f.display.matches);
    if (at >= 0 && (best === undefined || at < best.at)) best = { family: f.name, at };
  }
  return best?.family;
}

/** The display colour a registered family declares. */
export function familyColor(family: string): string | undefined {
  return listFamilies().find((f) => f.name === family)?.display.color;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The fixed colour of a label: its family's colour, otherwise a colour chosen by a hash of the label. */
export function colorFor(label: string): string {
  const family = familyOf(label);
  const color = family === undefined ? undefined : familyColor(family);
  if (color) return color;
  return FALLBACK_COLORS[hash(label) % FALLBACK_COLORS.length]!;
}

/**
 * Colours for a list of labels: family colours, and distinct colours where two labels would share one
 * (e.g. 'ViT-Ti' and 'ViT-S' in the same plot: the second gets a shade of the first).
 */
export function colorsFor(labels: readonly string[]): string[] {
  const used = new Map<string, number>();
  return labels.map((label) => {
    const base = colorFor(label);
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : shade(base, n);
  });
}

/** Lightens (odd n) or darkens (even n) a #rrggbb colour by steps of 30%. */
export function shade(hex: string, n: number): string {
  const [r, g, b] = parseHex(hex);
  const step = Math.min(0.3 * Math.ceil(n / 2), 0.75);
  const mix = (c: number) => (n % 2 === 1 ? c + (255 - c) * step : c * (1 - step));
  return toHex([mix(r), mix(g), mix(b)]);
}

export function parseHex(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`style: colour '${hex}' is not #rrggbb`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

function toHex(rgb: number[]): string {
  return '#' + rgb.map((c) => Math.round(Math.max(0, Math.min(255, c))).toString(16).padStart(2, '0')).join('');
}

export function withAlpha(hex: string, alpha: number): string {
  const [r, g, b] = parseHex(hex);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Viridis stops: the colour scale for "coloured by depth" (dark = early blocks, yellow = late blocks). */
export const DEPTH_COLORSCALE: [number, string][] = [
  [0, '#440154'], [0.125, '#472c7a'], [0.25, '#3b518b'], [0.375, '#2c718e'], [0.5, '#21908d'],
  [0.625, '#27ad81'], [0.75, '#5cc863'], [0.875, '#aadc32'], [1, '#fde725'],
];

/** The colour at t in [0, 1] of a colour scale (linear interpolation in RGB). */
export function sampleColorscale(scale: readonly [number, string][], t: number): string {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  for (let i = 1; i < scale.length; i++) {
    const [t1, c1] = scale[i]!;
    const [t0, c0] = scale[i - 1]!;
    if (x <= t1) {
      const f = t1 === t0 ? 0 : (x - t0) / (t1 - t0);
      const a = parseHex(c0), b = parseHex(c1);
      return toHex(a.map((v, k) => v + (b[k]! - v) * f));
    }
  }
  return scale[scale.length - 1]![1];
}

export function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title, font: { size: FONT_SIZE + 1 }, standoff: 8 },
    showline: true,
    linecolor: '#444',
    linewidth: 1,
    mirror: true,
    ticks: 'outside',
    gridcolor: '#e6e6e6',
    zeroline: false,
    automargin: true,
    ...extra,
  };
}

/** The common layout: title, fonts, white background, legend, export size. */
export function baseLayout(title: string, extra: PlotlyLayout = {}): PlotlyLayout {
  return {
    title: { text: title, font: { size: TITLE_SIZE }, x: 0.5, xanchor: 'center' },
    font: { family: FONT_FAMILY, size: FONT_SIZE, color: '#222' },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    margin: { l: 80, r: 30, t: 70, b: 70 },
    showlegend: true,
    legend: { bgcolor: 'rgba(255,255,255,0.85)', bordercolor: '#ccc', borderwidth: 1, font: { size: FONT_SIZE - 1 } },
    hovermode: 'closest',
    ...extra,
  };
}

/** A subplot title placed above a panel whose x domain is [x0, x1]. */
export function panelTitle(text: string, x0: number, x1: number, y = 1.0): Record<string, unknown> {
  return {
    text: `<b>${text}</b>`, xref: 'paper', yref: 'paper', x: (x0 + x1) / 2, y, xanchor: 'center', yanchor: 'bottom',
    showarrow: false, font: { size: FONT_SIZE },
  };
}

/**
 * Background bands for a depth plot: a grey band around each MSA block and a blue band around each pooling
 * block, each spanning half the distance to its neighbours (on the x axis `xref`; `yref` 'paper' or e.g. 'y2 domain').
 */
export function blockShapes(depth: readonly number[], kinds: readonly BlockKind[], xref = 'x', yref = 'paper'): Record<string, unknown>[] {
  const shapes: Record<string, unknown>[] = [];
  const n = Math.min(depth.length, kinds.length);
  for (let i = 0; i < n; i++) {
    const fillcolor = blockShade(kinds[i]);
    if (fillcolor === undefined) continue;
    const d = depth[i]!;
    const prev = i > 0 ? depth[i - 1]! : undefined;
    const next = i < n - 1 ? depth[i + 1]! : undefined;
    const halfLeft = prev !== undefined ? (d - prev) / 2 : next !== undefined ? (next - d) / 2 : 0.02;
    const halfRight = next !== undefined ? (next - d) / 2 : halfLeft;
    shapes.push({
      type: 'rect', xref, yref, x0: d - halfLeft, x1: d + halfRight,
      y0: 0, y1: 1, fillcolor, line: { width: 0 }, layer: 'below',
    });
  }
  return shapes;
}

/** Legend-only traces explaining the block shading (drawn as squares in the legend, no data). */
export function shadingLegend(kinds: readonly BlockKind[], xaxis = 'x', yaxis = 'y'): PlotlyTrace[] {
  const out: PlotlyTrace[] = [];
  const entry = (name: string, color: string): PlotlyTrace => ({
    type: 'scatter', mode: 'markers', name, x: [null], y: [null], xaxis, yaxis, hoverinfo: 'skip',
    marker: { symbol: 'square', size: 14, color, line: { width: 0 } },
  });
  if (kinds.includes('msa')) out.push(entry('MSA block', 'rgba(128,128,128,0.45)'));
  if (kinds.includes('pool')) out.push(entry('Pooling', 'rgba(31,119,220,0.45)'));
  if (kinds.includes('token-mlp')) out.push(entry('Token-mixing MLP', 'rgba(230,170,0,0.5)'));
  return out;
}

/** Tick values and labels in units of pi for a frequency axis spanning [0, max]. */
export function piTicks(max: number): { tickvals: number[]; ticktext: string[] } {
  const step = max <= 0.5 ? 0.1 : 0.25;
  const tickvals: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) tickvals.push(Math.round(v * 100) / 100);
  const ticktext = tickvals.map((v) => (v === 0 ? '0' : v === 1 ? 'π' : `${v}π`));
  return { tickvals, ticktext };
}

/** Log-axis settings: one labelled tick per decade when the values span 1.5 decades or more, 1-2-5 otherwise. */
export function logAxis(values: readonly (number | null)[]): Record<string, unknown> {
  const pos = values.filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const decades = pos.length ? Math.log10(Math.max(...pos) / Math.min(...pos)) : 0;
  return { type: 'log', exponentformat: 'power', dtick: decades >= 1.5 ? 1 : 'D2', tickfont: { size: FONT_SIZE - 1 } };
}
