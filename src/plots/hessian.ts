// Hessian figures: the eigenvalue spectral density from stochastic Lanczos quadrature (log density axis, the
// negative side kept visible), and the distribution of mini-batch max eigenvalues as KDE densities in two panels
// (negative and positive eigenvalues, each on its own scale) with NEP/APE in the legend, as in the paper's Fig. 4.
import type { Figure, PlotlyTrace } from './figure.ts';
import { checkArrays, checkLabel, checkSeriesList } from './check.ts';
import type { SideKde } from '../util/kde.ts';
import { axis, baseLayout, colorsFor, logAxis, panelTitle, withAlpha } from './style.ts';

export interface SpectralDensitySeries {
  label: string;
  /** Eigenvalue grid. */
  grid: number[];
  /** Density on the grid (>= 0). */
  density: number[];
  /** Optional lower/upper band (e.g. min/max or a confidence interval over probe vectors). */
  lower?: number[];
  upper?: number[];
}

export interface MaxEigenvalueSeries {
  label: string;
  /**
   * The densities of the pooled max (or top-k) eigenvalues of many mini-batches, per sign (src/util/kde.ts sideKde,
   * as hessian.json's maxEigenvalueSpectrum.kde holds them); null for an empty side. The figure draws, never estimates.
   */
  kde: { negative: SideKde | null; positive: SideKde | null };
  /** Negative eigenvalue proportion (NEP), a fraction in [0, 1]; shown in %. */
  nep: number;
  /** Average of positive eigenvalues (APE). */
  ape: number;
}

/** Densities below max density * 1e-8 (and zeros, which a log axis cannot show) are left out of the plot. */
const LOG_FLOOR_RATIO = 1e-8;

export function spectralDensityFigure(series: SpectralDensitySeries[], opts: { name?: string; title?: string } = {}): Figure {
  const B = 'spectralDensityFigure';
  checkSeriesList(B, series);
  const colors = colorsFor(series.map((s, i) => checkLabel(B, i, s.label)));
  let maxDensity = 0;
  for (const s of series) {
    checkArrays(B, s.label, { grid: s.grid, density: s.density, lower: s.lower, upper: s.upper }, { optional: ['lower', 'upper'] });
    for (const d of [...s.density, ...(s.upper ?? [])]) if (Number.isFinite(d) && d > maxDensity) maxDensity = d;
  }
  const floor = maxDensity > 0 ? maxDensity * LOG_FLOOR_RATIO : 1e-12;
  const clamp = (a: number[]) => a.map((v) => (v === null || !Number.isFinite(v) || v < floor ? null : v));
  const data: PlotlyTrace[] = [];
  series.forEach((s, i) => {
    const color = colors[i]!;
    if (s.lower && s.upper) {
      data.push(
        { type: 'scatter', mode: 'lines', name: `${s.label} band`, legendgroup: `s${i}`, showlegend: false, hoverinfo: 'skip', x: s.grid, y: clamp(s.lower), line: { width: 0, color } },
        { type: 'scatter', mode: 'lines', name: `${s.label} band`, legendgroup: `s${i}`, showlegend: false, hoverinfo: 'skip', x: s.grid, y: clamp(s.upper), line: { width: 0, color }, fill: 'tonexty', fillcolor: withAlpha(color, 0.18) },
      );
    }
    data.push({ type: 'scatter', mode: 'lines', name: s.label, legendgroup: `s${i}`, x: s.grid, y: clamp(s.density), line: { color, width: 2.2 } });
  });
  const title = opts.title ?? 'Hessian eigenvalue spectral density';
  return {
    name: opts.name ?? 'hessian-spectral-density',
    title,
    data,
    layout: baseLayout(title, {
      xaxis: axis('Eigenvalue λ', { zeroline: true, zerolinecolor: '#888', zerolinewidth: 1 }),
      yaxis: axis('Density (log scale)', logAxis(series.flatMap((s) => clamp(s.density)))),
      legend: { x: 0.99, xanchor: 'right', y: 0.99, yanchor: 'top', bgcolor: 'rgba(255,255,255,0.85)', bordercolor: '#ccc', borderwidth: 1 },
    }),
  };
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(2);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

export function maxEigenvalueSpectrumFigure(series: MaxEigenvalueSeries[], opts: { name?: string; title?: string } = {}): Figure {
  const B = 'maxEigenvalueSpectrumFigure';
  checkSeriesList(B, series);
  const colors = colorsFor(series.map((s, i) => checkLabel(B, i, s.label)));
  const NEG: [number, number] = [0, 0.3];
  const POS: [number, number] = [0.38, 1];
  const data: PlotlyTrace[] = [];
  series.forEach((s, i) => {
    if (typeof s.kde !== 'object' || s.kde === null || !('negative' in s.kde) || !('positive' in s.kde))
      throw new Error(`${B}: series '${s.label}' field 'kde' is ${JSON.stringify(s.kde)}, expected { negative, positive } side densities (sideKde)`);
    for (const which of ['negative', 'positive'] as const) {
      const kd = s.kde[which];
      if (kd) checkArrays(B, s.label, { [`kde.${which}.grid`]: kd.grid, [`kde.${which}.density`]: kd.density });
    }
    for (const field of ['nep', 'ape'] as const)
      if (typeof s[field] !== 'number') throw new Error(`${B}: series '${s.label}' field '${field}' is ${JSON.stringify(s[field])}, expected a number`);
    const color = colors[i]!;
    const name = `${s.label} (NEP ${fmt(100 * s.nep)}%, APE ${fmt(s.ape)})`;
    // Each side is a density of that side's eigenvalues (its own bandwidth), scaled by the side's share so both
    // panels read as parts of one distribution; the grid stops at 0 so a side never leaks into the other panel.
    const side = (which: 'negative' | 'positive', xaxis: string, yaxis: string, showlegend: boolean): PlotlyTrace | undefined => {
      const kd = s.kde[which];
      if (!kd) return undefined;
      return {
        type: 'scatter', mode: 'lines', name, legendgroup: `s${i}`, showlegend, x: kd.grid, y: kd.density,
        line: { color, width: 2.2 }, fill: 'tozeroy', fillcolor: withAlpha(color, 0.15), xaxis, yaxis,
      };
    };
    const p = side('positive', 'x2', 'y2', true);
    const n = side('negative', 'x', 'y', p === undefined);
    if (n) data.push(n);
    if (p) data.push(p);
    if (!n && !p) data.push({ type: 'scatter', mode: 'lines', name, x: [null], y: [null], xaxis: 'x2', yaxis: 'y2', line: { color } });
  });
  const title = opts.title ?? 'Hessian max-eigenvalue spectrum';
  return {
    name: opts.name ?? 'hessian-max-eigenvalue-spectrum',
    title,
    data,
    layout: baseLayout(title, {
      width: 980,
      height: 520,
      xaxis: axis('Max eigenvalue λ (< 0)', { domain: NEG }),
      yaxis: axis('Density', { rangemode: 'tozero', exponentformat: 'power' }),
      xaxis2: axis('Max eigenvalue λ (≥ 0)', { domain: POS, anchor: 'y2' }),
      yaxis2: axis('', { anchor: 'x2', rangemode: 'tozero', exponentformat: 'power' }),
      annotations: [panelTitle('Negative side', NEG[0], NEG[1]), panelTitle('Positive side', POS[0], POS[1])],
      legend: { x: 0.99, xanchor: 'right', y: 0.98, yanchor: 'top', bgcolor: 'rgba(255,255,255,0.85)', bordercolor: '#ccc', borderwidth: 1, font: { size: 13 } },
      margin: { l: 80, r: 30, t: 80, b: 70 },
    }),
  };
}
