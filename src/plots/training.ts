// Training curves: loss (left) and accuracy (right) per epoch, train dashed and test solid, one colour per run
// (markers when a run has few epochs, so one or two points still show); and the training loss at every step.
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
    const mode = r.epoch.length <= 20 ? 'lines+markers' : 'lines';
    data.push(
      { type: 'scatter', mode, name: `${r.label} · train`, legendgroup: group, x: r.epoch, y: r.trainLoss, line: line('dash'), xaxis: 'x', yaxis: 'y' },
      { type: 'scatter', mode, name: `${r.label} · test`, legendgroup: group, x: r.epoch, y: r.testLoss, line: line('solid'), xaxis: 'x', yaxis: 'y' },
      { type: 'scatter', mode, name: `${r.label} · train`, legendgroup: group, showlegend: false, x: r.epoch, y: pct(r.trainAcc), line: line('dash'), xaxis: 'x2', yaxis: 'y2' },
      { type: 'scatter', mode, name: `${r.label} · test`, legendgroup: group, showlegend: false, x: r.epoch, y: pct(r.testAcc), line: line('solid'), xaxis: 'x2', yaxis: 'y2' },
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

export interface StepLoss {
  label: string;
  step: number[];
  /** Training loss of the batch at each step (on augmented, mixed targets: what the optimiser saw). */
  loss: number[];
}

/** The training loss at every step, one line per run (markers when a run has few steps). */
export function stepLossFigure(runs: StepLoss[], opts: { name?: string; title?: string } = {}): Figure {
  const B = 'stepLossFigure';
  checkSeriesList(B, runs);
  const colors = colorsFor(runs.map((r, i) => checkLabel(B, i, r.label)));
  const data: PlotlyTrace[] = runs.map((r, i) => {
    checkArrays(B, r.label, { step: r.step, loss: r.loss });
    return { type: 'scatter', mode: r.step.length <= 40 ? 'lines+markers' : 'lines', name: r.label, x: r.step, y: r.loss, line: { color: colors[i]!, width: 1.6 } };
  });
  const title = opts.title ?? 'Training loss per step';
  return {
    name: opts.name ?? 'training-loss-steps',
    title,
    data,
    layout: baseLayout(title, { width: 820, height: 460, xaxis: axis('Step'), yaxis: axis('Training loss (nats)') }),
  };
}

/** Runs with fewer epochs than this show the per-step curve instead of an epoch chart of one or two points. */
export const MIN_EPOCHS_FOR_CURVES = 3;

/**
 * The training figures of some runs, as the report and the results browser show them: the per-step loss of every
 * run with steps, and the epoch curves of the runs with at least MIN_EPOCHS_FOR_CURVES epochs (or, for a run
 * without steps, any epochs at all).
 */
export function trainingFigures(runs: readonly { curves?: TrainingCurves; steps?: StepLoss }[], opts: { title?: string } = {}): Figure[] {
  const steps = runs.map((r) => r.steps).filter((s): s is StepLoss => s !== undefined && s.step.length > 0);
  const curves = runs
    .filter((r) => r.curves && r.curves.epoch.length > 0 && (r.curves.epoch.length >= MIN_EPOCHS_FOR_CURVES || !r.steps || r.steps.step.length === 0))
    .map((r) => r.curves!);
  const out: Figure[] = [];
  if (curves.length > 0) out.push(trainingCurvesFigure(curves, { title: opts.title }));
  if (steps.length > 0) out.push(stepLossFigure(steps));
  return out;
}

/** The number of epochs an epoch-curves figure shows (its longest trace). */
export function epochsShown(fig: Figure): number {
  return Math.max(0, ...fig.data.map((t) => (Array.isArray(t.x) ? t.x.length : 0)));
}
