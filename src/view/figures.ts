// The figures of one view of the results browser for the runs the user picked: each analysis's summary files are
// read and handed to the same figure functions the commands use (hessianFigures, fourierFigures, ...; training
// through trainingFigures), with every model's label prefixed by its run when several runs share the axes.
// A part still running adds its units' progress, and for the Hessian the max-eigenvalue spectrum of the
// mini-batches finished so far.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fourierFigures, type FourierReport } from '../experiments/fourier.ts';
import { hessianFigures, type HessianReport } from '../experiments/hessian.ts';
import { landscapeFigures, type LandscapeReport } from '../experiments/landscape.ts';
import { noiseFigures, type NoiseReport } from '../experiments/noise.ts';
import { readSteps } from '../experiments/train.ts';
import { varianceFigures, type VarianceReport } from '../experiments/variance.ts';
import type { DataSizePoint } from '../experiments/datasize.ts';
import { maxEigenvalueKde, nepApe } from '../hessian/spectrum.ts';
import { dataSizeFigure } from '../plots/datasize.ts';
import type { Figure } from '../plots/figure.ts';
import { maxEigenvalueSpectrumFigure } from '../plots/hessian.ts';
import { unitProgressFigure, type UnitProgressSeries } from '../plots/progress.ts';
import { runSummary, type SummaryRow } from '../plots/summary.ts';
import { trainingFigures, type StepLoss, type TrainingCurves } from '../plots/training.ts';
import { curvesFromMetrics, readMetrics } from '../train/metrics-log.ts';
import { readJsonQuietly, type PartKind, type RunInfo, type RunPart } from './runs.ts';
import { readUnitProgress } from './units.ts';

export const VIEWS = ['training', 'hessian', 'fourier', 'noise', 'variance', 'landscape', 'datasize'] as const;
export type ViewName = (typeof VIEWS)[number];

export const VIEW_TITLES: Record<ViewName, string> = {
  training: 'Training', hessian: 'Hessian', fourier: 'Fourier', noise: 'Noise', variance: 'Variance', landscape: 'Landscape', datasize: 'Data size',
};

export interface ViewResult {
  view: ViewName;
  figures: Figure[];
  /** Why something is not drawn (a half-written file, a run without this analysis). */
  notes: string[];
}

/** A model hidden by the user: `<run>::<label>`. */
export function modelKey(run: string, label: string): string {
  return `${run}::${label}`;
}

interface Labelled<T> {
  run: RunInfo;
  part: RunPart;
  value: T;
}

const KIND_OF: Record<ViewName, PartKind> = {
  training: 'train', hessian: 'hessian', fourier: 'fourier', noise: 'noise', variance: 'variance', landscape: 'landscape', datasize: 'datasize',
};

/** Builds the figures of `view` for `runs` (in the order given). */
export async function buildView(root: string, runs: readonly RunInfo[], view: ViewName, hidden: ReadonlySet<string> = new Set()): Promise<ViewResult> {
  const notes: string[] = [];
  const kind = KIND_OF[view];
  const multi = runs.length > 1;
  const label = (run: RunInfo, l: string) => (multi ? `${run.name} · ${l}` : l);
  const shown = (run: RunInfo, l: string) => !hidden.has(modelKey(run.name, l));
  const parts = runs.flatMap((run) => run.parts.filter((p) => p.kind === kind).map((part) => ({ run, part })));
  if (parts.length === 0) notes.push(`None of the selected runs has a ${VIEW_TITLES[view].toLowerCase()} analysis.`);

  /** The finished parts' summary JSON (a half-written or vanished file: a note). */
  const reports = async <T>(file: string): Promise<Labelled<T>[]> => {
    const out: Labelled<T>[] = [];
    for (const { run, part } of parts.filter((p) => p.part.finished)) {
      const value = await readJsonQuietly(path.join(root, part.dir, file));
      if (value === undefined || typeof value !== 'object' || value === null) notes.push(`${part.dir}/${file} could not be read (being written?); it is left out.`);
      else out.push({ run, part, value: value as T });
    }
    return out;
  };
  /** The models of each report, relabelled, hidden ones left out. */
  const models = <M extends { label: string }>(rs: Labelled<{ models?: M[] }>[]): M[] =>
    rs.flatMap(({ run, value }) => (Array.isArray(value.models) ? value.models : []).filter((m) => shown(run, m.label)).map((m) => ({ ...m, label: label(run, m.label) })));

  const figures: Figure[] = [];
  const draw = (what: string, build: () => Figure[]) => {
    try {
      figures.push(...build());
    } catch (err) {
      notes.push(`${what}: ${(err as Error).message}`);
    }
  };

  switch (view) {
    case 'training': {
      const series: { curves?: TrainingCurves; steps?: StepLoss }[] = [];
      for (const { run, part } of parts) {
        const dir = path.join(root, part.dir);
        const config = (await readJsonQuietly(path.join(dir, 'config.json'))) as { model?: string } | undefined;
        const base = config?.model ?? path.basename(part.dir);
        if (!shown(run, base)) continue;
        const l = label(run, part.dir === run.name ? base : `${path.basename(part.dir)}`);
        let curves: TrainingCurves | undefined;
        try {
          const rows = await readMetrics(dir);
          if (rows.length > 0) curves = curvesFromMetrics(l, rows);
        } catch {
          if (part.finished) notes.push(`${part.dir}/metrics.jsonl could not be read; its epoch curves are left out.`);
        }
        const st = readStepsQuietly(dir);
        const steps = st.length > 0 ? { label: l, step: st.map((s) => s.step), loss: st.map((s) => s.loss) } : undefined;
        if (curves || steps) series.push({ curves, steps });
      }
      if (series.length) draw('training curves', () => trainingFigures(series));
      break;
    }
    case 'hessian': {
      const ms = models(await reports<HessianReport>('hessian.json'));
      if (ms.length) draw('Hessian', () => hessianFigures(ms));
      break;
    }
    case 'fourier': {
      const ms = models(await reports<FourierReport>('fourier.json'));
      if (ms.length) draw('Fourier', () => fourierFigures(ms));
      break;
    }
    case 'noise': {
      const ms = models(await reports<NoiseReport>('noise.json'));
      if (ms.length) draw('noise', () => noiseFigures(ms));
      break;
    }
    case 'variance': {
      const ms = models(await reports<VarianceReport>('variance.json'));
      if (ms.length) draw('variance', () => varianceFigures(ms, { logY: ms.every((m) => m.blocks.every((b) => b.variance > 0)) }));
      break;
    }
    case 'landscape':
      for (const r of await reports<LandscapeReport>('landscape.json')) {
        const ms = models([r]);
        if (ms.length) draw('landscape', () => landscapeFigures(ms, { clip: typeof r.value.settings?.clip === 'number' ? r.value.settings.clip : 0 }));
      }
      break;
    case 'datasize': {
      const series = (await reports<{ points?: DataSizePoint[] }>('datasize.json')).flatMap(({ run, value }) => {
        const points = Array.isArray(value.points) ? value.points : [];
        const byModel = [...new Set(points.map((p) => p.model))].filter((m) => shown(run, m));
        return byModel.map((m) => {
          const ps = points.filter((p) => p.model === m);
          return { label: label(run, m), fraction: ps.map((p) => p.fraction), trainNll: ps.map((p) => p.trainNll), testError: ps.map((p) => p.testError) };
        });
      });
      if (series.length) draw('data size', () => [dataSizeFigure(series)]);
      break;
    }
  }
  await addRunningParts(root, parts.filter((p) => !p.part.finished && p.part.units), view, label, figures, notes);
  return { view, figures, notes };
}

function readStepsQuietly(dir: string): ReturnType<typeof readSteps> {
  try {
    return readSteps(dir);
  } catch {
    return [];
  }
}

/** Progress of the parts still running, and what their finished units already show. */
async function addRunningParts(
  root: string,
  running: { run: RunInfo; part: RunPart }[],
  view: ViewName,
  label: (run: RunInfo, l: string) => string,
  figures: Figure[],
  notes: string[],
): Promise<void> {
  const series: UnitProgressSeries[] = [];
  const partial: { label: string; eigenvalues: number[] }[] = [];
  for (const { run, part } of running) {
    const progress = await readUnitProgress(path.join(root, part.dir));
    if (!progress) continue;
    for (const m of progress.models) {
      const records = progress.records.filter((r) => r.model === m.model);
      series.push({ label: label(run, m.model), finishedAt: records.map((r) => r.finishedAt), total: m.total });
      // Max-eigenvalue units ('maxeig-batch', src/hessian/spectrum.ts maxEigenvalueUnit) carry their batch's top-k
      // eigenvalues in `values`: pooled, the spectrum so far, from the same builder as the finished figure.
      const eig = records.flatMap((r) => {
        if (r.kind !== 'maxeig-batch') return [];
        const e = (r.result as { values?: unknown } | null)?.values;
        return Array.isArray(e) ? e.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)) : [];
      });
      if (view === 'hessian' && eig.length > 0) partial.push({ label: `${label(run, m.model)} (${m.done} of ${m.total} units)`, eigenvalues: eig });
    }
    notes.push(`${part.dir}: ${progress.done} of ${progress.plan.totalUnits} units finished${progress.plan.shards > 1 ? `, ${progress.shardsDone} of ${progress.plan.shards} shards done` : ''}; the figures below update as units finish.`);
  }
  if (series.length === 0) return;
  try {
    figures.push(unitProgressFigure(series, { name: `${view}-unit-progress`, title: `Running: units of work finished (${VIEW_TITLES[view]})` }));
    if (partial.length)
      figures.push(maxEigenvalueSpectrumFigure(partial.map((p) => ({ label: p.label, kde: maxEigenvalueKde(p.eigenvalues), ...nepApeOrZero(p.eigenvalues) })), { name: 'partial-hessian-max-eigenvalue-spectrum', title: 'Hessian max-eigenvalue spectrum so far (finished units)' }));
  } catch (err) {
    notes.push(`progress: ${(err as Error).message}`);
  }
}

function nepApeOrZero(values: number[]): { nep: number; ape: number } {
  const { nep, ape } = nepApe(values);
  return { nep: Number.isFinite(nep) ? nep : 0, ape: Number.isFinite(ape) ? ape : 0 };
}

/** Key numbers of the selected runs next to the paper's (src/plots/summary.ts), models prefixed by run. */
export async function keyNumbers(root: string, runs: readonly RunInfo[]): Promise<(SummaryRow & { run: string })[]> {
  const out: (SummaryRow & { run: string })[] = [];
  for (const run of runs) {
    try {
      for (const row of await runSummary(path.join(root, run.name))) out.push({ ...row, run: run.name });
    } catch {
      // a run deleted while read: nothing to show for it
    }
  }
  return out;
}

export interface RunFile {
  path: string;
  size: number;
}

/** Every file of a run (relative to the results root), up to `max`, checkpoints' tensors included. */
export async function listRunFiles(root: string, run: string, max = 2000): Promise<{ files: RunFile[]; truncated: boolean }> {
  const files: RunFile[] = [];
  const walk = async (rel: string): Promise<boolean> => {
    let entries;
    try {
      entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      return true;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!(await walk(r))) return false;
      } else if (e.isFile()) {
        if (files.length >= max) return false;
        try {
          files.push({ path: r, size: (await fs.stat(path.join(root, r))).size });
        } catch {
          // vanished
        }
      }
    }
    return true;
  };
  const complete = await walk(run);
  return { files, truncated: !complete };
}
