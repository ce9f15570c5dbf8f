// A test hook for crash safety: with VITSCOPE_FAULT_PAUSE="<point>:<n>[,<point>:<n>…]" the n-th pass through
// faultPoint(<point>) announces itself on stderr and then waits forever, so a test can SIGKILL the process at
// exactly that moment (e.g. inside a checkpoint write). Without the variable it costs one lookup.

export const FAULT_ENV = 'VITSCOPE_FAULT_PAUSE';
/** The line a paused process writes to stderr (followed by the point and count). */
export const FAULT_ANNOUNCE = '[vitscope-fault] paused at';

const hits = new Map<string, number>();

function pausesFor(spec: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of (spec ?? '').split(',')) {
    const m = /^\s*([\w.-]+):(\d+)\s*$/.exec(item);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export async function faultPoint(point: string): Promise<void> {
  const spec = process.env[FAULT_ENV];
  if (!spec) return;
  const n = (hits.get(point) ?? 0) + 1;
  hits.set(point, n);
  if (pausesFor(spec).get(point) !== n) return;
  process.stderr.write(`${FAULT_ANNOUNCE} ${point} #${n}\n`);
  // a timer keeps the event loop alive while we wait to be killed
  await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
}
