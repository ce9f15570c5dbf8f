// The progress contract that long library loops report to (training epochs, Hessian batches, analyses).
// The CLI draws it on stderr (src/cli/progress.ts); a notebook draws it in the cell's output.

export interface ProgressStats {
  loss?: number;
  acc?: number;
  /** Items per second (images/s during training). */
  rate?: number;
  /** Seconds left, when the caller measures it better than the display's own estimate (e.g. from unit times on disk). */
  eta?: number;
  [extra: string]: number | string | undefined;
}

export interface Progress {
  /** Sets the number of finished items (of `total`) and the numbers shown beside the bar. */
  update(done: number, stats?: ProgressStats): void;
  /** Clears the bar (on a terminal) and prints a final line when `message` is given. */
  finish(message?: string): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Unit of `rate` (default 'img/s'). */
  unit?: string;
}

/** Opens one progress display; absent where nothing is shown (tests, quiet runs). */
export type ProgressFactory = (opts: ProgressOptions) => Progress;
