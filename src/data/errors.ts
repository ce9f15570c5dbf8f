// Errors about data on disk or on the wire. Each names the file, what was found and what was expected;
// none of the code that throws them deletes anything the user put there.

export class DataError extends Error {
  readonly file: string;
  readonly found: string;
  readonly expected: string;

  constructor(file: string, found: string, expected: string, options?: { cause?: unknown }) {
    super(`${file}: found ${found}; expected ${expected}`, options);
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
export class DownloadError extends Error {
  readonly url: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`download of ${url} failed: ${reason}`, options);
    this.name = 'DownloadError';
    this.url = url;
  }
}
