// Progress on stderr: a redrawn bar (with loss, accuracy, images/s and ETA) on a terminal; plain log
// lines, at most every few seconds, when stderr is a file or pipe.

import type { Progress, ProgressOptions, ProgressStats } from '../util/progress.ts';

export type { Progress, ProgressOptions, ProgressStats };

interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function formatStats(stats: ProgressStats, unit: string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(stats)) {
    if (v === undefined) continue;
    if (k === 'loss') parts.push(`loss ${(v as number).toFixed(4)}`);
    else if (k === 'acc') parts.push(`acc ${((v as number) * 100).toFixed(1)}%`);
    else if (k === 'rate') parts.push(`${(v as number).toFixed(1)} ${unit}`);
    else parts.push(`${k} ${typeof v === 'number' ? (Math.abs(v) < 1e-2 && v !== 0 ? v.toExponential(2) : v.toFixed(4)) : v}`);
  }
  return parts.join('  ');
}

/** Writes log lines and at most one live progress bar to one stream (stderr by default). */
export class Reporter {
  private active: { opts: ProgressOptions; line: string } | null = null;
  readonly tty: boolean;

  constructor(
    private readonly out: Writable = process.stderr,
    opts: { tty?: boolean; plainEverySeconds?: number } = {},
  ) {
    this.tty = opts.tty ?? Boolean(out.isTTY);
    this.plainEvery = (opts.plainEverySeconds ?? 10) * 1000;
  }
  private readonly plainEvery: number;

  log(message: string): void {
    if (this.tty && this.active) this.out.write('\r\x1b[2K');
    this.out.write(message.endsWith('\n') ? message : message + '\n');
    if (this.tty && this.active) this.out.write(this.active.line);
  }

  progress(opts: ProgressOptions): Progress {
    const start = Date.now();
    let lastDraw = 0;
    let lastPlain = start;
    const state = { opts, line: '' };
    this.active = state;
    const unit = opts.unit ?? 'img/s';
    return {
      update: (done, stats = {}) => {
        const now = Date.now();
        const elapsed = (now - start) / 1000;
        const frac = opts.total > 0 ? Math.min(1, done / opts.total) : 0;
        const { eta: given, ...shown } = stats;
        const eta = typeof given === 'number' ? given : done > 0 ? (elapsed / done) * (opts.total - done) : NaN;
        const text = formatStats(shown, unit);
        if (this.tty) {
          if (now - lastDraw < 100 && done < opts.total) return;
          lastDraw = now;
          const width = Math.max(10, Math.min(30, (this.out.columns ?? 100) - 70 - opts.label.length));
          const filled = Math.round(frac * width);
          state.line = `${opts.label} [${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}] ${done}/${opts.total}  ${text}  ETA ${formatDuration(eta)}`;
          const cols = this.out.columns ?? 200;
          if (state.line.length > cols - 1) state.line = state.line.slice(0, cols - 1);
          this.out.write('\r\x1b[2K' + state.line);
        } else if (now - lastPlain >= this.plainEvery || done >= opts.total) {
          lastPlain = now;
          this.out.write(`${opts.label} ${done}/${opts.total} (${(frac * 100).toFixed(0)}%)  ${text}  elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}\n`);
        }
      },
      finish: (message) => {
        if (this.tty && this.active === state) this.out.write('\r\x1b[2K');
        if (this.active === state) this.active = null;
        if (message) this.out.write(message + '\n');
      },
    };
  }
}
