// Robustness to frequency-band noise (paper Fig. 2c): accuracy drop against the noise frequency, in units of π.
// ViTs are hurt most by low-frequency noise, ResNets by high-frequency noise.
import type { Figure, PlotlyTrace } from './figure.ts';
import { checkArrays, checkLabel, checkSeriesList } from './check.ts';
import { toPiUnits } from './fourier.ts';
import { axis, baseLayout, colorsFor, piTicks, withAlpha } from './style.ts';

export interface NoiseRobustnessSeries {
  label: string;
  /** Noise frequency in units of π (0..1); values above 1 are taken as radians. */
  frequency: number[];
  /** Clean accuracy minus noisy accuracy, as a fraction (0.05 = 5 points); shown in percentage points. */
  accuracyDrop: number[];
  lower?: number[];
  upper?: number[];
}

export function noiseRobustnessFigure(series: NoiseRobustnessSeries[], opts: { name?: string; title?: string } = {}): Figure {
  const B = 'noiseRobustnessFigure';
  checkSeriesList(B, series);
  const colors = colorsFor(series.map((s, i) => checkLabel(B, i, s.label)));
  const data: PlotlyTrace[] = [];
  let maxFreq = 0;
  const pct = (a: number[]) => a.map((v) => (v === null ? null : 100 * v));
  series.forEach((s, i) => {
    checkArrays(B, s.label, { frequency: s.frequency, accuracyDrop: s.accuracyDrop, lower: s.lower, upper: s.upper }, { optional: ['lower', 'upper'] });
    const color = colors[i]!;
    const f = toPiUnits(s.frequency);
    maxFreq = Math.max(maxFreq, ...f.filter(Number.isFinite));
    if (s.lower && s.upper) {
      data.push(
        { type: 'scatter', mode: 'lines', name: `${s.label} band`, legendgroup: `s${i}`, showlegend: false, hoverinfo: 'skip', x: f, y: pct(s.lower), line: { width: 0, color } },
        { type: 'scatter', mode: 'lines', name: `${s.label} band`, legendgroup: `s${i}`, showlegend: false, hoverinfo: 'skip', x: f, y: pct(s.upper), line: { width: 0, color }, fill: 'tonexty', fillcolor: withAlpha(color, 0.18) },
      );
    }
    data.push({
      type: 'scatter', mode: 'lines+markers', name: s.label, legendgroup: `s${i}`, x: f, y: pct(s.accuracyDrop),
      line: { color, width: 2.2 }, marker: { color, size: 7 }, hovertemplate: '%{x:.2f}π: %{y:.2f} pp<extra>' + s.label.replace(/[<>]/g, '') + '</extra>',
    });
  });
  const title = opts.title ?? 'Robustness to frequency-band noise';
  return {
    name: opts.name ?? 'noise-robustness',
    title,
    data,
    layout: baseLayout(title, {
      xaxis: axis('Noise frequency (rad/pixel)', { ...piTicks(maxFreq > 0 ? maxFreq : 1) }),
      yaxis: axis('Accuracy drop (percentage points)', { zeroline: true, zerolinecolor: '#888' }),
    }),
  };
}
