// A checkpoint that cannot be imported (damaged file, unsupported content, keys or shapes that do not
// match): the user can act on it, so the CLI prints the message without a stack. The marker is the
// shared Symbol.for('vitscope.expected-error') that the CLI's error report checks.
export class ImportError extends Error {
  readonly exitCode = 1;
  override name = 'ImportError';

  constructor(message: string) {
    super(message);
    (this as unknown as Record<symbol, unknown>)[Symbol.for('vitscope.expected-error')] = true;
  }
}
