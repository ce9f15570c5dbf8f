// Training curves: loss (left) and accuracy (right) per epoch, train dashed and test solid, one colour per run.
import type { Figure, PlotlyTrace } from './figure.ts';
import { checkArrays, checkLabel, checkSeriesList } from './check.ts';
import { axis, baseLayout, colorsFor, panelTitle } from './style.ts';

export interface TrainingCurves {
  label: string;
  epoch: number[];
  trainLoss: number[];
  testLoss: number[];
  /** Accuracy as a fraction in [0, 1]; shown in %. */
  trainAcc: number[];
  /** Accuracy as a fraction in [0, 1]; shown in %. */
  testAcc: number[];
}

export function trainingCurvesFigure(runs: TrainingCurves[], opts: { name?: string; title?: string } = {}): Figure {
  const B = 'trainingCurvesFigure';
  checkSeriesList(B, runs);
  const colors = colorsFor(runs.map((r, i) => checkLabel(B, i, r.label)));
  const data: PlotlyTrace[] = [];
  runs.forEach((r, i) => {
    checkArrays(B, r.label, { epoch: r.epoch, trainLoss: r.trainLoss, testLoss: r.testLoss, trainAcc: r.trainAcc, testAcc: r.testAcc });
    const color = colors[i]!;
    const pct = (a: number[]) => a.map((v) => (v === null ? null : 100 * v));
    const line = (dash: string) => ({ color, width: 2.2, dash });
    const group = `run-${i}`;
    data.push(
      { type: 'scatter', mode: 'lines', name: `${r.label} · train`, legendgroup: group, x: r.epoch, y: r.trainLoss, line: line('dash'), xaxis: 'x', yaxis: 'y' },
      { type: 'scatter', mode: 'lines', name: `${r.label} · test`, legendgroup: group, x: r.epoch, y: r.testLoss, line: line('solid'), xaxis: 'x', yaxis: 'y' },
      { type: 'scatter', mode: 'lines', name: `${r.label} · train`, legendgroup: group, showlegend: false, x: r.epoch, y: pct(r.trainAcc), line: line('dash'), xaxis: 'x2', yaxis: 'y2' },
      { type: 'scatter', mode: 'lines', name: `${r.label} · test`, legendgroup: group, showlegend: false, x: r.epoch, y: pct(r.testAcc), line: line('solid'), xaxis: 'x2', yaxis: 'y2' },
    );
  });
  const title = opts.title ?? 'Training curves';
  return {
    name: opts.name ?? 'training-curves',
    title,
    data,
    layout: baseLayout(title, {
      width: 980,
      xaxis: axis('Epoch', { domain: [0, 0.42] }),
      yaxis: axis('Cross-entropy loss (nats)'),
      xaxis2: axis('Epoch', { domain: [0.56, 0.98], anchor: 'y2' }),
      yaxis2: axis('Accuracy (%)', { anchor: 'x2' }),
      legend: { orientation: 'h', x: 0.5, xanchor: 'center', y: -0.2, yanchor: 'top', font: { size: 14 } },
      margin: { l: 80, r: 30, t: 80, b: 120 },
      height: 540,
      annotations: [panelTitle('Loss', 0, 0.42), panelTitle('Accuracy', 0.56, 0.98)],
    }),
  };
}
