// Which file a /files/<path> request may read: only regular files under the results folder. A path with a '..'
// or '.' segment (encoded or not), a NUL, or a bad escape is refused before the disk is touched; a path that
// resolves (through symlinks) outside the folder is refused after realpath.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export type SafePath = { ok: true; file: string; size: number } | { ok: false; status: 400 | 403 | 404; reason: string };

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Resolves the part of a URL after /files/ (still percent-encoded) to a readable file under `root`. */
export async function resolveResultFile(root: string, encoded: string): Promise<SafePath> {
  let rel: string;
  try {
    rel = decodeURIComponent(encoded);
  } catch {
    return { ok: false, status: 400, reason: 'bad percent-encoding' };
  }
  if (rel.includes('\0')) return { ok: false, status: 400, reason: 'NUL in path' };
  const segments = rel.split(/[\\/]+/);
  if (rel === '' || path.isAbsolute(rel) || segments.some((s) => s === '..' || s === '.'))
    return { ok: false, status: 404, reason: 'not a path inside the results folder' };
  const absRoot = path.resolve(root);
  const file = path.resolve(absRoot, rel);
  if (!inside(absRoot, file)) return { ok: false, status: 404, reason: 'not a path inside the results folder' };
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([fs.realpath(file), fs.realpath(absRoot)]);
  } catch {
    return { ok: false, status: 404, reason: 'no such file' };
  }
  if (!inside(realRoot, real)) return { ok: false, status: 403, reason: 'a link out of the results folder' };
  try {
    const st = await fs.stat(real);
    if (!st.isFile()) return { ok: false, status: 404, reason: 'not a file' };
    return { ok: true, file: real, size: st.size };
  } catch {
    return { ok: false, status: 404, reason: 'no such file' };
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.out': 'text/plain; charset=utf-8',
  '.err': 'text/plain; charset=utf-8',
  '.sbatch': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
