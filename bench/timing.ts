// Timing helpers: a median over repetitions after warm-up, and the JSON-lines output.
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Seconds per call of `fn` (median), after `warmup` calls; repeats until minReps and minSeconds are met. */
export async function timeIt(fn: () => Promise<void>, opts: { warmup: number; minReps: number; maxReps: number; minSeconds: number }): Promise<number> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const times: number[] = [];
  let total = 0;
  while (times.length < opts.minReps || (total < opts.minSeconds && times.length < opts.maxReps)) {
    const t0 = process.hrtime.bigint();
    await fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(dt);
    total += dt;
  }
  return median(times);
}

/** One measurement: a JSON line on stdout (the only thing written there). */
export function emit(record: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(record) + '\n');
}

export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
