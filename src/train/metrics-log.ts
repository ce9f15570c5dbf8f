// Per-epoch metrics of a run: results/<run>/metrics.jsonl (one JSON object per line) and metrics.csv.
// Both are rewritten atomically from the full history, so a resumed run never keeps rows from beyond its checkpoint.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';

export interface EpochMetrics {
  epoch: number;
  step: number;
  lr: number;
  train_nll: number;
  train_acc: number;
  train_top5: number;
  train_ece: number;
  test_nll: number;
  test_acc: number;
  test_top5: number;
  test_ece: number;
  /** Training images per second (forward + backward + update, data pipeline included; evaluation excluded). */
  images_per_sec: number;
  /** Seconds spent training this epoch (evaluation excluded). */
  epoch_seconds: number;
  eval_seconds: number;
  /** Mean global gradient norm before clipping. */
  grad_norm: number;
}

export const METRIC_COLUMNS: readonly (keyof EpochMetrics)[] = [
  'epoch', 'step', 'lr', 'train_nll', 'train_acc', 'train_top5', 'train_ece', 'test_nll', 'test_acc', 'test_top5', 'test_ece',
  'images_per_sec', 'epoch_seconds', 'eval_seconds', 'grad_norm',
];

function cell(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  return Number.isInteger(v) ? String(v) : v.toPrecision(8).replace(/\.?0+$/, '');
}

export function metricsToCsv(rows: readonly EpochMetrics[]): string {
  return [METRIC_COLUMNS.join(','), ...rows.map((r) => METRIC_COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function metricsToJsonl(rows: readonly EpochMetrics[]): string {
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))).join('\n') + (rows.length ? '\n' : '');
}

export async function writeMetrics(runDir: string, rows: readonly EpochMetrics[]): Promise<void> {
  await writeFileAtomic(path.join(runDir, 'metrics.jsonl'), metricsToJsonl(rows));
  await writeFileAtomic(path.join(runDir, 'metrics.csv'), metricsToCsv(rows));
}

/** Reads results/<run>/metrics.jsonl; errors name the file and line. */
export async function readMetrics(runDir: string): Promise<EpochMetrics[]> {
  const file = path.join(runDir, 'metrics.jsonl');
  const text = await fs.readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`${file}:${i + 1}: not JSON: ${(err as Error).message}`);
      }
      for (const c of METRIC_COLUMNS)
        if (!(c in row)) throw new Error(`${file}:${i + 1}: field '${c}' is missing, expected a number`);
      for (const c of METRIC_COLUMNS) if (row[c] === null) row[c] = NaN;
      return row as unknown as EpochMetrics;
    });
}

/** The data trainingCurvesFigure (src/plots/training.ts) takes, from a run's metrics. */
export function curvesFromMetrics(label: string, rows: readonly EpochMetrics[]): {
  label: string; epoch: number[]; trainLoss: number[]; testLoss: number[]; trainAcc: number[]; testAcc: number[];
} {
  return {
    label,
    epoch: rows.map((r) => r.epoch),
    trainLoss: rows.map((r) => r.train_nll),
    testLoss: rows.map((r) => r.test_nll),
    trainAcc: rows.map((r) => r.train_acc),
    testAcc: rows.map((r) => r.test_acc),
  };
}
