// Errors the user can act on (bad data, options, config files, checkpoints, run folders, a full disk):
// the CLI prints their message alone — no stack — and exits with their exit code. Anything else is a bug
// and keeps its stack. A class joins by extending ExpectedError (or setting the EXPECTED_ERROR marker).

/** The marker the CLI checks; a symbol so that it cannot clash with fields such as DataError's `expected`. */
export const EXPECTED_ERROR = Symbol.for('vitscope.expected-error');

/** Exit status for options or combinations that cannot work (as for a usage error). */
export const EXIT_USAGE = 2;

export class ExpectedError extends Error {
  readonly [EXPECTED_ERROR] = true;
  /** What the CLI exits with: 2 for unusable options/config, 1 for everything else. */
  readonly exitCode: number;

  constructor(message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExpectedError';
    this.exitCode = options.exitCode ?? 1;
  }
}

export function isExpectedError(err: unknown): err is Error & { exitCode?: number } {
  return err instanceof Error && (err as unknown as Record<symbol, unknown>)[EXPECTED_ERROR] === true;
}

/** A value in options, a config file or a manifest that cannot work: names where, the field, found and expected. */
export class ConfigError extends ExpectedError {
  readonly where: string;
  readonly field: string;
  readonly found: string;
  readonly expectedValue: string;

  constructor(where: string, field: string, found: string, expected: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(`${where}: '${field}' is ${found}; expected ${expected}`, { exitCode: EXIT_USAGE, ...options });
    this.name = 'ConfigError';
    this.where = where;
    this.field = field;
    this.found = found;
    this.expectedValue = expected;
  }
}

/** A checkpoint that cannot be read or does not fit the model; the message names the file, what was found and expected. */
export class CheckpointError extends ExpectedError {
  readonly file: string;
  constructor(file: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'CheckpointError';
    this.file = file;
  }
}

/** A run folder that cannot be used as asked: it exists, another process writes it, or it is not writable. */
export class RunDirError extends ExpectedError {
  readonly dir: string;
  constructor(dir: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, { exitCode: EXIT_USAGE, ...options });
    this.name = 'RunDirError';
    this.dir = dir;
  }
}

/** What a file-system error code means to a user, or null for codes that point at a bug rather than the machine. */
export function explainErrnoCode(code: string | undefined): string | null {
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'EDQUOT':
      return 'the disk quota is used up (EDQUOT)';
    case 'EROFS':
      return 'a read-only file system (EROFS)';
    case 'EACCES':
    case 'EPERM':
      return `no permission (${code})`;
    case 'ENOENT':
      return 'nothing there (ENOENT)';
    case 'ENOTDIR':
      return 'a path through a file, not a folder (ENOTDIR)';
    case 'EISDIR':
      return 'a folder, not a file (EISDIR)';
    case 'EEXIST':
      return 'something already there (EEXIST)';
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (${code})`;
    case 'EIO':
      return 'an input/output error of the device (EIO)';
    default:
      return null;
  }
}

/** A Node system error (fs) whose code is about the machine (full disk, permissions, missing path). */
export function isSystemErrorUserCanFix(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && explainErrnoCode((err as NodeJS.ErrnoException).code) !== null;
}

/** One line for a system error: the path, what went wrong and what would work. */
export function describeSystemError(err: NodeJS.ErrnoException): string {
  const what = explainErrnoCode(err.code) ?? err.code ?? 'an error';
  const dest = (err as NodeJS.ErrnoException & { dest?: string }).dest;
  const where = err.path ? `${err.path}${dest ? ` → ${dest}` : ''}` : `(${err.syscall ?? 'system call'})`;
  const remedy =
    err.code === 'ENOSPC' || err.code === 'EDQUOT'
      ? 'free space there, or pass --results on another disk'
      : err.code === 'EROFS' || err.code === 'EACCES' || err.code === 'EPERM'
        ? 'a writable location (see --results)'
        : err.code === 'ENOENT'
          ? 'an existing file or folder'
          : 'a usable file or folder';
  return `${where}: ${what} during ${err.syscall ?? 'a file operation'}; expected ${remedy}`;
}

/** An error for a write that failed because of the machine; names the file the caller meant to write. */
export class WriteError extends ExpectedError {
  readonly file: string;
  readonly code: string | undefined;
  constructor(file: string, err: NodeJS.ErrnoException) {
    const what = explainErrnoCode(err.code) ?? err.message;
    const remedy = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'free space, or --results on another disk' : 'a writable folder (see --results)';
    super(`${file}: cannot write it: ${what}; expected ${remedy}`, { cause: err });
    this.name = 'WriteError';
    this.file = file;
    this.code = err.code;
  }
}
