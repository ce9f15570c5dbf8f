// Downloads the official CIFAR-100 binary archive into data/, verifies its MD5, and extracts it.
//  - The download goes to `<archive>.part`, renamed to the archive only once the MD5 matches. An interrupted
//    download leaves the .part file, and the next attempt resumes it with an HTTP Range request; a .part
//    whose MD5 does not match is deleted (it is ours), so the attempt after that starts afresh.
//  - An existing verified copy (the extracted directory with our verification stamp, or the four files with
//    the real CIFAR-100 sizes, or an archive with the right MD5) is never downloaded again.
//  - Nothing the user put there is deleted: a wrong archive or an incomplete directory is reported, not removed.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { writeJsonAtomic } from '../io/atomic.ts';
import { CIFAR100_FILES } from './cifar-format.ts';
import { ChecksumError, DataError, DownloadError } from './errors.ts';
import { CIFAR100_RECORD_BYTES, CIFAR100_TEST_COUNT, CIFAR100_TRAIN_COUNT } from './types.ts';

export const CIFAR100_URL = 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz';
export const CIFAR100_MD5 = '03b5dce01913d631647c71ecec9e9cb8';
export const CIFAR100_ARCHIVE = 'cifar-100-binary.tar.gz';
export const CIFAR100_DIRNAME = 'cifar-100-binary';
export const VERIFIED_STAMP = '.vitscope-verified.json';

/** Where progress goes: stderr by default; a bar when it is a terminal, a line every few seconds otherwise. */
export interface ProgressSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** One progress line: bar (when total is known), bytes, rate and ETA. */
export function formatProgress(p: { received: number; total: number | null; bytesThisSession: number; elapsedMs: number }): string {
  const rate = p.elapsedMs > 0 ? (p.bytesThisSession * 1000) / p.elapsedMs : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  if (p.total !== null && p.total > 0) {
    const frac = Math.min(1, p.received / p.total);
    const width = 24;
    const filled = Math.round(frac * width);
    const eta = rate > 0 ? (p.total - p.received) / rate : Infinity;
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(1)}% ${formatBytes(p.received)} / ${formatBytes(p.total)} ${rateText} ETA ${formatDuration(eta)}`;
  }
  return `${formatBytes(p.received)} ${rateText} ETA ?`;
}

export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), async function* (source) {
    for await (const chunk of source) hash.update(chunk as Buffer);
  });
  return hash.digest('hex');
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

function request(url: string, headers: Record<string, string>, timeoutMs: number, redirects = 5): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new DownloadError(url, 'not a valid URL'));
      return;
    }
    const mod = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new DownloadError(url, `unsupported protocol ${parsed.protocol}`));
      return;
    }
    const req = mod.get(parsed, { headers: { 'user-agent': 'vitscope', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects <= 0) {
          reject(new DownloadError(url, 'too many redirects'));
          return;
        }
        resolve(request(new URL(res.headers.location, url).toString(), headers, timeoutMs, redirects - 1));
        return;
      }
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new DownloadError(url, err.code ? `${err.code} ${err.message}` : err.message, { cause: err })));
  });
}

export interface DownloadFileOptions {
  url: string;
  /** Final path; the download goes to `${dest}.part` first. */
  dest: string;
  md5: string;
  progress?: ProgressSink | false;
  /** Abort when no data arrives for this long (default 30 s). */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

export interface DownloadResult {
  bytes: number;
  /** Bytes already present in a .part file from an earlier attempt (0 when none). */
  resumedFrom: number;
}

/** Downloads `url` to `dest` through `${dest}.part`, resuming a partial file; renames only after the MD5 matches. */
export async function downloadFile(opts: DownloadFileOptions): Promise<DownloadResult> {
  const part = `${opts.dest}.part`;
  const timeoutMs = opts.timeoutMs ?? 30000;
  const sink = opts.progress === false ? null : opts.progress ?? process.stderr;
  await fs.mkdir(path.dirname(opts.dest), { recursive: true });
  let have = (await sizeOf(part)) ?? 0;

  let res = await request(opts.url, have > 0 ? { range: `bytes=${have}-` } : {}, timeoutMs);
  if (res.statusCode === 416 && have > 0) {
    // Range not satisfiable: the .part is as long as (or longer than) the file. Start afresh.
    res.resume();
    await fs.rm(part, { force: true });
    have = 0;
    res = await request(opts.url, {}, timeoutMs);
  }
  const status = res.statusCode ?? 0;
  let resumedFrom = 0;
  if (status === 206 && have > 0) {
    const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have) {
      res.destroy();
      throw new DownloadError(opts.url, `server resumed at ${m ? m[1] : 'an unknown offset'}, expected byte ${have}`);
    }
    resumedFrom = have;
  } else if (status === 200) {
    have = 0;
  } else {
    res.resume();
    throw new DownloadError(opts.url, `HTTP ${status} ${res.statusMessage ?? ''}`.trim());
  }
  const contentLength = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
  const total = contentLength !== null ? contentLength + resumedFrom : null;

  const hash = createHash('md5');
  if (resumedFrom > 0) {
    opts.log?.(`resuming ${path.basename(opts.dest)} at ${formatBytes(resumedFrom)}`);
    await pipeline(createReadStream(part, { end: resumedFrom - 1 }), async function* (source) {
      for await (const chunk of source) hash.update(chunk as Buffer);
    });
  }

  const start = Date.now();
  let received = resumedFrom;
  let lastDraw = 0;
  const draw = (final: boolean) => {
    if (!sink) return;
    const now = Date.now();
    if (!final && now - lastDraw < (sink.isTTY ? 100 : 2000)) return;
    lastDraw = now;
    const line = `${path.basename(opts.dest)} ${formatProgress({ received, total, bytesThisSession: received - resumedFrom, elapsedMs: now - start })}`;
    sink.write(sink.isTTY ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };
  draw(true);
  const sinkFile = createWriteStream(part, { flags: resumedFrom > 0 ? 'a' : 'w' });
  try {
    await pipeline(
      res,
      async function* (source) {
        for await (const chunk of source) {
          const buf = chunk as Buffer;
          hash.update(buf);
          received += buf.length;
          draw(false);
          yield buf;
        }
      },
      sinkFile,
    );
  } catch (err) {
    // pipeline rejects as soon as the connection drops, while the file stream may still be flushing:
    // wait until its descriptor is closed so the .part holds all it will hold before anyone resumes it.
    if (!sinkFile.closed) await new Promise<void>((resolve) => sinkFile.once('close', () => resolve()));
    draw(true);
    throw new DownloadError(
      opts.url,
      `connection lost after ${formatBytes(received)}${total !== null ? ` of ${formatBytes(total)}` : ''} (${(err as Error).message}); ${part} is kept and the next attempt resumes it`,
      { cause: err },
    );
  }
  draw(true);
  if (total !== null && received !== total) {
    throw new DownloadError(opts.url, `got ${received} of ${total} bytes; ${part} is kept and the next attempt resumes it`);
  }
  const digest = hash.digest('hex');
  if (digest !== opts.md5.toLowerCase()) {
    await fs.rm(part, { force: true });
    const err = new ChecksumError(`${opts.dest} (downloaded from ${opts.url}; the download was deleted)`, digest, opts.md5);
    throw err;
  }
  await fs.rename(part, opts.dest);
  return { bytes: received, resumedFrom };
}

export interface VerifiedStamp {
  md5: string;
  url: string;
  files: Record<string, number>;
  verifiedAt: string;
}

const BIN_NAMES = [CIFAR100_FILES.train, CIFAR100_FILES.test];
const ALL_NAMES = Object.values(CIFAR100_FILES);

/**
 * Whether `dir` holds a verified copy: our stamp with matching MD5 and file sizes, or (placed by the user) the
 * four files with the real CIFAR-100 sizes. Returns a reason when it is present but incomplete, null when absent.
 */
export async function checkCifarDir(dir: string, md5: string): Promise<{ state: 'verified' } | { state: 'absent' } | { state: 'incomplete'; reason: string }> {
  if (!(await exists(dir))) return { state: 'absent' };
  const sizes: Record<string, number | null> = {};
  for (const name of ALL_NAMES) sizes[name] = await sizeOf(path.join(dir, name));
  const missing = ALL_NAMES.filter((n) => sizes[n] === null);
  if (missing.length > 0) return { state: 'incomplete', reason: `missing ${missing.join(', ')}` };
  try {
    const stamp = JSON.parse(await fs.readFile(path.join(dir, VERIFIED_STAMP), 'utf8')) as VerifiedStamp;
    const sizesMatch = ALL_NAMES.every((n) => stamp.files[n] === sizes[n]);
    if (stamp.md5 === md5 && sizesMatch) return { state: 'verified' };
    if (!sizesMatch) return { state: 'incomplete', reason: `file sizes differ from those recorded in ${VERIFIED_STAMP} at extraction` };
  } catch {
    // no stamp: the user put the files there; accept the real CIFAR-100 sizes
  }
  const want: Record<string, number> = {
    [CIFAR100_FILES.train]: CIFAR100_TRAIN_COUNT * CIFAR100_RECORD_BYTES,
    [CIFAR100_FILES.test]: CIFAR100_TEST_COUNT * CIFAR100_RECORD_BYTES,
  };
  const wrong = BIN_NAMES.filter((n) => sizes[n] !== want[n]);
  if (wrong.length === 0) return { state: 'verified' };
  return { state: 'incomplete', reason: wrong.map((n) => `${n} is ${sizes[n]} bytes, CIFAR-100's is ${want[n]}`).join('; ') };
}

/**
 * Reads the four CIFAR files out of a .tar.gz into memory. Nothing is written until the whole archive has been
 * read without error, so a damaged or truncated archive never leaves a half-extracted directory.
 */
export async function readCifarArchive(archive: string): Promise<Map<string, Buffer>> {
  const wanted = new Set(ALL_NAMES.map((n) => `${CIFAR100_DIRNAME}/${n}`));
  const chunks = new Map<string, Buffer[]>();
  await tar.t({
    file: archive,
    strict: true,
    onReadEntry: (entry) => {
      const name = entry.path.replace(/^\.\//, '');
      if (entry.type === 'File' && wanted.has(name)) {
        const list: Buffer[] = [];
        chunks.set(name.slice(CIFAR100_DIRNAME.length + 1), list);
        entry.on('data', (c: Buffer) => list.push(c));
      } else {
        entry.resume();
      }
    },
  });
  return new Map([...chunks].map(([k, v]) => [k, Buffer.concat(v)]));
}

/** Extracts a verified archive into `root/cifar-100-binary` via a temporary directory; stamps the result. */
export async function extractCifarArchive(archive: string, root: string, stamp: { md5: string; url: string }): Promise<string> {
  const dir = path.join(root, CIFAR100_DIRNAME);
  const expected = `a gzip-compressed tar holding ${CIFAR100_DIRNAME}/{${ALL_NAMES.join(',')}}`;
  let contents: Map<string, Buffer>;
  try {
    contents = await readCifarArchive(archive);
  } catch (err) {
    throw new DataError(archive, `a damaged or truncated archive (${(err as Error).message})`, `${expected}; delete it to download it again`, { cause: err });
  }
  const files: Record<string, number> = {};
  for (const name of ALL_NAMES) {
    const buf = contents.get(name);
    if (!buf) throw new DataError(archive, `no ${CIFAR100_DIRNAME}/${name} inside`, expected);
    if (BIN_NAMES.includes(name as (typeof BIN_NAMES)[number]) && (buf.length === 0 || buf.length % CIFAR100_RECORD_BYTES !== 0)) {
      throw new DataError(`${archive} → ${CIFAR100_DIRNAME}/${name}`, `${buf.length} bytes`, `a positive multiple of ${CIFAR100_RECORD_BYTES} bytes`);
    }
    files[name] = buf.length;
  }
  const tmp = await fs.mkdtemp(path.join(root, '.tmp-extract-'));
  try {
    for (const name of ALL_NAMES) await fs.writeFile(path.join(tmp, name), contents.get(name)!);
    const verified: VerifiedStamp = { ...stamp, files, verifiedAt: new Date().toISOString() };
    await writeJsonAtomic(path.join(tmp, VERIFIED_STAMP), verified);
    await fs.rename(tmp, dir);
    return dir;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

export interface EnsureOptions {
  /** The data directory (holds the archive and cifar-100-binary/). */
  root: string;
  url?: string;
  md5?: string;
  progress?: ProgressSink | false;
  timeoutMs?: number;
  log?: (msg: string) => void;
}

/** The CIFAR-100 URL: option, else VITSCOPE_CIFAR100_URL, else the official one. */
export function cifarUrl(url?: string): string {
  return url ?? process.env.VITSCOPE_CIFAR100_URL ?? CIFAR100_URL;
}

/** The expected MD5: option, else VITSCOPE_CIFAR100_MD5 (for tests and mirrors), else the official one. */
export function cifarMd5(md5?: string): string {
  return (md5 ?? process.env.VITSCOPE_CIFAR100_MD5 ?? CIFAR100_MD5).toLowerCase();
}

/** Makes sure `root/cifar-100-binary` holds a verified copy, downloading and extracting when needed; returns it. */
export async function ensureCifar100(opts: EnsureOptions): Promise<{ dir: string; downloaded: boolean }> {
  const url = cifarUrl(opts.url);
  const md5 = cifarMd5(opts.md5);
  const dir = path.join(opts.root, CIFAR100_DIRNAME);
  const archive = path.join(opts.root, CIFAR100_ARCHIVE);
  const state = await checkCifarDir(dir, md5);
  if (state.state === 'verified') return { dir, downloaded: false };
  if (state.state === 'incomplete') {
    throw new DataError(dir, `an incomplete CIFAR-100 directory (${state.reason})`, `${ALL_NAMES.join(', ')} with CIFAR-100's sizes; complete it or move it away, and it will be downloaded again`);
  }
  await fs.mkdir(opts.root, { recursive: true });
  let downloaded = false;
  if ((await sizeOf(archive)) !== null) {
    const have = await md5File(archive);
    if (have !== md5) {
      throw new ChecksumError(`${archive} (left in place; delete it to download it again)`, have, md5);
    }
    opts.log?.(`using the verified archive ${archive}`);
  } else {
    opts.log?.(`downloading CIFAR-100 from ${url}`);
    await downloadFile({ url, dest: archive, md5, progress: opts.progress, timeoutMs: opts.timeoutMs, log: opts.log });
    downloaded = true;
  }
  await extractCifarArchive(archive, opts.root, { md5, url });
  return { dir, downloaded };
}
