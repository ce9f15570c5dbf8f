// Errors about data on disk or on the wire. Each names the file, what was found and what was expected;
// none of the code that throws them deletes anything the user put there. They are expected errors: the CLI
// prints the message without a stack.
import { ExpectedError } from '../util/errors.ts';

export class DataError extends ExpectedError {
  readonly file: string;
  readonly found: string;
  readonly expected: string;

  constructor(file: string, found: string, expected: string, options?: { cause?: unknown }) {
    super(`${file}: found ${found}; expected ${expected}`, { cause: options?.cause });
    this.name = 'DataError';
    this.file = file;
    this.found = found;
    this.expected = expected;
  }
}

/** A downloaded file whose MD5 is not the published one. */
export class ChecksumError extends DataError {
  constructor(file: string, found: string, expected: string) {
    super(file, `MD5 ${found}`, `MD5 ${expected}`);
    this.name = 'ChecksumError';
  }
}

/** The download itself failed (host unreachable, HTTP error, connection dropped): a network problem, not bad data. */
export class DownloadError extends ExpectedError {
  readonly url: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`download of ${url} failed: ${reason}`, { cause: options?.cause });
    this.name = 'DownloadError';
    this.url = url;
  }
}
