// Writes never leave a half-written file behind: write a temporary file beside the target,
// flush it, rename (atomic on POSIX file systems), then flush the folder so the rename survives a power cut.
// A write that fails because of the machine (full disk, permissions) throws a WriteError naming the target.
import { promises as fs } from 'node:fs';
import * as fsSync from 'node:fs';
import * as path from 'node:path';
import { isSystemErrorUserCanFix, WriteError } from '../util/errors.ts';

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
}

function asWriteError(target: string, err: unknown): unknown {
  return isSystemErrorUserCanFix(err) ? new WriteError(target, err) : err;
}

/** Flushes a folder's entries (renames, creations) to disk; ignored where the platform cannot. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // some file systems refuse fsync on folders; the rename is still atomic there
  } finally {
    await handle?.close();
  }
}

export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fsSync.openSync(dir, 'r');
    fsSync.fsyncSync(fd);
  } catch {
    // as fsyncDir
  } finally {
    if (fd !== undefined) fsSync.closeSync(fd);
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw asWriteError(target, err);
  }
  await fsyncDir(path.dirname(target));
}

export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(target);
  try {
    fsSync.mkdirSync(path.dirname(target), { recursive: true });
    const fd = fsSync.openSync(tmp, 'w');
    try {
      fsSync.writeFileSync(fd, data);
      fsSync.fsyncSync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
    fsSync.renameSync(tmp, target);
  } catch (err) {
    fsSync.rmSync(tmp, { force: true });
    throw asWriteError(target, err);
  }
  fsyncDirSync(path.dirname(target));
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/** Appends one line; appends of a single small write are atomic enough for logs (metrics.jsonl). */
export async function appendLine(target: string, line: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.appendFile(target, line.endsWith('\n') ? line : line + '\n');
  } catch (err) {
    throw asWriteError(target, err);
  }
}
