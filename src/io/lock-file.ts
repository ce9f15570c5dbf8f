// One writer per folder: a lock file created exclusively (O_EXCL) holding the writer's pid, host and start
// time. A second live process is refused with the first one's pid; a lock whose process is gone (SIGKILL,
// power cut) is taken over. Locks are released when their holder finishes, and at process exit.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fsyncDirSync } from './atomic.ts';
import { isSystemErrorUserCanFix, RunDirError, WriteError } from '../util/errors.ts';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  purpose?: string;
}

export interface HeldLock {
  file: string;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void;
}

/** Lock files this process holds (released at exit even when a command throws). */
const held = new Set<string>();
let exitHookInstalled = false;

function ownerOf(file: string): LockOwner | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof j.pid !== 'number' || !Number.isInteger(j.pid) || j.pid <= 0) return null;
    return { pid: j.pid, host: typeof j.host === 'string' ? j.host : '', started: typeof j.started === 'string' ? j.started : '?', purpose: j.purpose };
  } catch {
    return null; // vanished, or garbage (a writer killed while creating it): not a live owner
  }
}

/** Whether a process with this pid exists on this machine (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaser(file: string): () => void {
  return () => {
    if (!held.delete(file)) return;
    if (ownerOf(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
}

/**
 * Takes the lock `file` for this process. Throws RunDirError (exit status 2) naming the other process when a live
 * one holds it, and WriteError when the folder is not writable. A stale lock (dead pid) is replaced.
 */
export function acquireLock(file: string, purpose?: string): HeldLock {
  const me: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), purpose };
  const dir = path.dirname(file);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(me) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fsyncDirSync(dir);
      held.add(file);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on('exit', () => {
          for (const f of [...held]) releaser(f)();
        });
      }
      return { file, release: releaser(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw isSystemErrorUserCanFix(err) ? new WriteError(file, err) : err;
    }
    const owner = ownerOf(file);
    if (owner) {
      const mine = owner.pid === process.pid && owner.host === me.host;
      const otherHost = owner.host !== '' && owner.host !== me.host;
      if (mine && held.has(file))
        throw new RunDirError(dir, `${dir} is already being written by this process (lock ${file}); expected one writer per run folder`);
      if (otherHost || (!mine && processAlive(owner.pid)))
        throw new RunDirError(
          dir,
          `${dir} is being written by process ${owner.pid}${otherHost ? ` on ${owner.host}` : ''} since ${owner.started} (lock ${file}); ` +
            `expected no other writer: wait for it to finish, stop it, or choose another --run`,
        );
    }
    // Stale (its process is gone) or unreadable: take it over. The exclusive create above decides any race.
    fs.rmSync(file, { force: true });
  }
  throw new RunDirError(dir, `${file}: could not take the lock after 5 attempts (another process keeps creating it); expected one writer`);
}
