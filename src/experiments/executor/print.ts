// `--executor print`: the per-shard commands of a sharded run, for any scheduler (a Kubernetes Indexed Job, PBS,
// a for-loop over ssh). Each line is complete: environment, working directory, the command with its shard.
// Shards may run in any order, at once or not; a shard that finds every unit present merges the run itself.
import { shardArgv, shellLine, shellQuote, type ShardJob } from './shard-job.ts';

/** One shell line per shard, then the merge command (a no-op when a shard has merged already). */
export function shardCommandLines(job: ShardJob, mergeArgv: readonly string[]): string[] {
  const env = Object.keys(job.env)
    .sort()
    .map((k) => `${k}=${shellQuote(job.env[k]!)} `)
    .join('');
  const prefix = `cd ${shellQuote(job.cwd)} && ${env}`;
  return [
    ...Array.from({ length: job.shards }, (_, i) => prefix + shellLine(shardArgv(job, i))),
    prefix + shellLine([job.node, ...job.nodeArgs, job.entry, ...mergeArgv]),
  ];
}

/** The commands with a header saying how to run them. */
export function printedShardCommands(job: ShardJob, mergeArgv: readonly string[]): string {
  const lines = shardCommandLines(job, mergeArgv);
  return [
    `# ${job.command}: ${job.shards} shard(s) writing into ${job.runDir}.`,
    '# Run each line once, on any machine that sees this folder, in any order or all at once; a shard that is',
    '# killed can be rerun as it is (--resume keeps its finished units). The last line merges (the last shard to',
    '# finish usually has done so already).',
    ...lines,
    '',
  ].join('\n');
}
