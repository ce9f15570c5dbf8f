// npm run experiment view -- [--results DIR] [--port N] [--host 127.0.0.1]
// Parsing and printing only; the results browser is src/view/server.ts. Runs until Ctrl-C.
import { existsSync, statSync } from 'node:fs';
import type { Command } from '../command.ts';
import { isLoopbackHost, startViewServer } from '../../view/server.ts';
import { OptionError } from '../../util/settings.ts';

export const command: Command = {
  name: 'view',
  summary: 'results browser: every run and analysis of a results folder on one live page (http://127.0.0.1:6007/)',
  needsBackend: false,
  options: [
    { name: 'port', type: 'integer', default: 6007, help: 'port to listen on (0: any free port)' },
    { name: 'host', type: 'string', default: '127.0.0.1', help: 'address to bind; anything but loopback lets other machines read your results' },
    { name: 'poll-ms', type: 'integer', default: 2000, help: 'how often the page checks the results folder for changes (ms)' },
  ],
  async run(opts, ctx) {
    const results = String(opts.results ?? 'results');
    const port = Number(opts.port);
    const host = String(opts.host);
    const pollMs = Number(opts['poll-ms']);
    if (!existsSync(results) || !statSync(results).isDirectory())
      throw new OptionError(`view: option '--results' is ${JSON.stringify(results)}, which is not a folder; expected a results folder such as results/`);
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new OptionError(`view: option '--port' is ${port}, expected 0 … 65535`);
    if (!(pollMs >= 200)) throw new OptionError(`view: option '--poll-ms' is ${pollMs}, expected at least 200`);
    if (!isLoopbackHost(host))
      ctx.log(`[view] WARNING: --host ${host} is not loopback: anyone who can reach this machine on port ${port} can read every file under ${results}. The server is read-only, but it has no login.`);
    let server;
    try {
      server = await startViewServer({ results, port, host, pollMs });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new OptionError(`view: option '--port' is ${port}, which another program uses; expected a free port (or 0 for any)`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new OptionError(`view: option '--host' is ${JSON.stringify(host)}, which is not an address of this machine`);
      throw err;
    }
    ctx.log(`[view] results browser for ${results} at ${server.url} (Ctrl-C stops it)`);
    process.stdout.write(`${server.url}\n`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
  },
};
