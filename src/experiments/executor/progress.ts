// How far a sharded run is, read from its units on disk (UNITS-CONTRACT.md), and how long it still needs, from
// the measured times of the finished units: per shard, what it has left (its units' planned products times the
// measured seconds per product, or its units times the mean unit time), the slowest shard deciding — or, when
// fewer tasks run than shards are unfinished, the remaining work spread over the running ones.
import { readUnitProgress, readUnits, type UnitPlanFile } from '../../io/unit-store.ts';

export interface ShardState {
  shard: number;
  done: number;
  total: number;
  complete: boolean;
  /** Estimated seconds of work left in this shard (undefined before any unit has been timed). */
  secondsLeft?: number;
}

export interface ShardedProgress {
  /** plan.json is there (the first shard to start writes it). */
  planned: boolean;
  done: number;
  total: number;
  shards: ShardState[];
  summaryWritten: boolean;
  /** Mean measured seconds of a finished unit. */
  secondsPerUnit?: number;
}

interface TimedUnit {
  index: number;
  seconds: number;
}

/** The work left per shard and in all, from the plan and the finished units (pure: tests give both). */
export function shardStates(plan: UnitPlanFile, finished: readonly TimedUnit[], shards: number): { shards: ShardState[]; secondsPerUnit?: number } {
  const seconds = new Map<number, number>();
  for (const u of finished) if (!seconds.has(u.index)) seconds.set(u.index, u.seconds);
  const byIndex = new Map(plan.units.map((u) => [u.index, u]));
  let doneSeconds = 0;
  let doneProducts = 0;
  let productsKnown = true;
  for (const [index, s] of seconds) {
    doneSeconds += s;
    const p = byIndex.get(index)?.products;
    if (typeof p === 'number' && p > 0) doneProducts += p;
    else productsKnown = false;
  }
  const timed = seconds.size > 0;
  const perUnit = timed ? doneSeconds / seconds.size : undefined;
  const perProduct = timed && productsKnown && doneProducts > 0 ? doneSeconds / doneProducts : undefined;
  const states: ShardState[] = [];
  for (let i = 0; i < shards; i++) {
    const owned = plan.units.filter((_, p) => p % shards === i);
    const left = owned.filter((u) => !seconds.has(u.index));
    let secondsLeft: number | undefined;
    if (perProduct !== undefined && left.every((u) => typeof u.products === 'number')) secondsLeft = left.reduce((a, u) => a + u.products! * perProduct, 0);
    else if (perUnit !== undefined) secondsLeft = left.length * perUnit;
    states.push({ shard: i, done: owned.length - left.length, total: owned.length, complete: left.length === 0, secondsLeft });
  }
  return { shards: states, secondsPerUnit: perUnit };
}

/**
 * Seconds until every shard is done: the slowest shard's remaining work, or the total remaining work over the
 * tasks that run at once when fewer run than shards are unfinished. Undefined before a unit has been timed.
 */
export function etaSeconds(shards: readonly ShardState[], running: number): number | undefined {
  const open = shards.filter((s) => !s.complete);
  if (open.length === 0) return 0;
  if (open.some((s) => s.secondsLeft === undefined)) return undefined;
  const slowest = Math.max(...open.map((s) => s.secondsLeft!));
  const total = open.reduce((a, s) => a + s.secondsLeft!, 0);
  return Math.max(slowest, total / Math.max(1, Math.min(running, open.length)));
}

/** The progress of a run split into `shards`, from disk. */
export function readShardedProgress(runDir: string, shards: number): ShardedProgress {
  const progress = readUnitProgress(runDir);
  if (!progress.plan)
    return {
      planned: false, done: 0, total: 0, summaryWritten: false,
      shards: Array.from({ length: shards }, (_, i) => ({ shard: i, done: 0, total: 0, complete: false })),
    };
  const finished = readUnits(runDir).map((u) => ({ index: u.record.index, seconds: u.record.seconds }));
  const { shards: states, secondsPerUnit } = shardStates(progress.plan, finished, shards);
  return { planned: true, done: progress.done, total: progress.total, shards: states, summaryWritten: progress.summaryWritten, secondsPerUnit };
}
