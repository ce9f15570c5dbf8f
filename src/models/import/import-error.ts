// A checkpoint that cannot be imported (damaged file, unsupported content, keys or shapes that do not
// match): the user can act on it, so the CLI prints the message without a stack. The marker is the
// shared Symbol.for('vitscope.expected-error') that the CLI's error report checks.
export class ImportError extends Error {
  /** 1, or 2 (as for a usage error) when an option cannot work, e.g. an unknown --arch. */
  readonly exitCode: number;
  override name = 'ImportError';

  constructor(message: string, options: { exitCode?: number } = {}) {
    super(message);
    this.exitCode = options.exitCode ?? 1;
    (this as unknown as Record<symbol, unknown>)[Symbol.for('vitscope.expected-error')] = true;
  }
}
