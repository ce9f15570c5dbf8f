// Data-size experiment (paper Fig. 3-like): train NLL and test error against the fraction of the training set used,
// log x axis. ViTs' train NLL falls with more data (they are not overfitting small data, they are hard to optimise).
import type { Figure, PlotlyTrace } from './figure.ts';
import { checkArrays, checkLabel, checkSeriesList } from './check.ts';
import { axis, baseLayout, colorsFor, panelTitle } from './style.ts';

export interface DataSizeSeries {
  label: string;
  /** Fraction of the training set, in (0, 1]. */
  fraction: number[];
  /** Final train negative log-likelihood (nats). */
  trainNll: number[];
  /** Test error as a fraction in [0, 1]; shown in %. */
  testError: number[];
}

export function dataSizeFigure(series: DataSizeSeries[], opts: { name?: string; title?: string } = {}): Figure {
  const B = 'dataSizeFigure';
  checkSeriesList(B, series);
  const colors = colorsFor(series.map((s, i) => checkLabel(B, i, s.label)));
  const data: PlotlyTrace[] = [];
  series.forEach((s, i) => {
    checkArrays(B, s.label, { fraction: s.fraction, trainNll: s.trainNll, testError: s.testError });
    const bad = s.fraction.findIndex((f) => !(f > 0));
    if (bad >= 0) throw new Error(`${B}: series '${s.label}' field 'fraction[${bad}]' is ${s.fraction[bad]}, expected a number > 0 (log axis)`);
    const order = s.fraction.map((_, k) => k).sort((a, b) => s.fraction[a]! - s.fraction[b]!);
    const pick = (a: number[]) => order.map((k) => a[k]!);
    const style = { mode: 'lines+markers', line: { color: colors[i], width: 2.2 }, marker: { size: 8, color: colors[i] }, legendgroup: `s${i}` };
    const pct = (a: number[]) => a.map((v) => (v === null ? null : 100 * v));
    data.push(
      { type: 'scatter', name: s.label, x: pick(s.fraction), y: pick(s.trainNll), xaxis: 'x', yaxis: 'y', ...style },
      { type: 'scatter', name: s.label, showlegend: false, x: pick(s.fraction), y: pct(pick(s.testError)), xaxis: 'x2', yaxis: 'y2', ...style },
    );
  });
  const title = opts.title ?? 'Effect of training-set size';
  const logx = { type: 'log', dtick: 'D2' };
  return {
    name: opts.name ?? 'data-size',
    title,
    data,
    layout: baseLayout(title, {
      width: 980,
      xaxis: axis('Fraction of training set (log scale)', { domain: [0, 0.42], ...logx }),
      yaxis: axis('Train NLL (nats)'),
      xaxis2: axis('Fraction of training set (log scale)', { domain: [0.56, 0.98], anchor: 'y2', ...logx }),
      yaxis2: axis('Test error (%)', { anchor: 'x2' }),
      annotations: [panelTitle('Train NLL', 0, 0.42), panelTitle('Test error', 0.56, 0.98)],
      margin: { l: 80, r: 30, t: 80, b: 70 },
    }),
  };
}
