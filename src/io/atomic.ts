// Writes never leave a half-written file behind: write a temporary file beside the target,
// flush it, then rename (atomic on POSIX file systems).
import { promises as fs } from 'node:fs';
import * as fsSync from 'node:fs';
import * as path from 'node:path';

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  fsSync.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const fd = fsSync.openSync(tmp, 'w');
  try {
    fsSync.writeFileSync(fd, data);
    fsSync.fsyncSync(fd);
  } finally {
    fsSync.closeSync(fd);
  }
  fsSync.renameSync(tmp, target);
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/** Appends one line; appends of a single small write are atomic enough for logs (metrics.jsonl). */
export async function appendLine(target: string, line: string): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.appendFile(target, line.endsWith('\n') ? line : line + '\n');
}
