// Every `npm run experiment <name>` command is one of these, registered in src/cli/registry.ts.

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'list';

export interface OptionSpec {
  name: string; // kebab-case flag without dashes, e.g. 'train-size'
  type: OptionType;
  help: string;
  default?: string | number | boolean | string[];
  choices?: readonly string[];
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

export interface CommandContext {
  /** Write progress to stderr as a bar on a terminal, as plain lines otherwise. */
  log(message: string): void;
  /** Aborted on Ctrl-C / SIGTERM: long loops check it and checkpoint before returning. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  options: readonly OptionSpec[];
  run(opts: OptionValues, ctx: CommandContext): Promise<void>;
}
