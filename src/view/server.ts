// The results browser's HTTP server (`npm run experiment view`): node's own http module, no framework. It serves
// one page, the plotly bundle the project ships, a small read-only JSON API over the results folder, and the
// folder's files. Why node:http: six GET routes and static files need no routing or middleware library, and a
// server that only reads should bring no dependency (and no supply chain) of its own.
// Safety: loopback by default (and then only Host headers naming loopback, against DNS rebinding); GET/HEAD only;
// files only from under the results folder (src/view/files.ts); every handler catches, so a results folder
// that changes underneath (runs appearing, half-written or deleted files) gives a poorer answer, never a crash.
import { createReadStream, existsSync, statSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { plotlyBundle, plotlyVersion } from '../plots/plotly-bundle.ts';
import { buildView, keyNumbers, listRunFiles, VIEWS, type ViewName } from './figures.ts';
import { contentTypeOf, resolveResultFile } from './files.ts';
import { exportPage, viewerPage } from './page.ts';
import { RunIndex, type RunInfo } from './runs.ts';

export interface ViewServerOptions {
  /** The results folder (must exist). */
  results: string;
  /** 0: any free port. */
  port?: number;
  host?: string;
  /** How often the page asks for changes (ms). */
  pollMs?: number;
}

export interface ViewServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type: string, head: boolean, extra: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(buf.length), 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store', ...extra });
  res.end(head ? undefined : buf);
}

function sendJson(res: http.ServerResponse, value: unknown, head: boolean): void {
  // NaN and ±Infinity (in figures, from the reports' nulls) as null: what JSON.parse in the page accepts.
  send(res, 200, JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)), 'application/json; charset=utf-8', head);
}

/** Starts the server; resolves once it listens. */
export async function startViewServer(opts: ViewServerOptions): Promise<ViewServer> {
  const root = path.resolve(opts.results);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`view: option '--results' is ${JSON.stringify(opts.results)}, which is not a folder; expected a results folder (e.g. results/)`);
  const host = opts.host ?? '127.0.0.1';
  const index = new RunIndex(root);
  const pollMs = opts.pollMs ?? 2000;
  const checkHostHeader = isLoopbackHost(host);

  const selected = async (url: URL): Promise<RunInfo[]> => {
    const names = url.searchParams.getAll('run').flatMap((r) => r.split(',')).filter((n) => n !== '');
    const all = await index.list();
    return names.map((n) => all.find((r) => r.name === n)).filter((r): r is RunInfo => r !== undefined);
  };
  const viewOf = (url: URL): ViewName => {
    const v = url.searchParams.get('view') ?? '';
    if (!(VIEWS as readonly string[]).includes(v)) throw new HttpError(400, `query 'view' is ${JSON.stringify(v)}, expected one of ${VIEWS.join(', ')}`);
    return v as ViewName;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      send(res, 405, 'read-only: GET and HEAD only\n', 'text/plain; charset=utf-8', false, { Allow: 'GET, HEAD' });
      return;
    }
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (checkHostHeader && !isLoopbackHost(hostHeader)) {
      send(res, 403, 'this server answers only to localhost\n', 'text/plain; charset=utf-8', head);
      return;
    }
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (rawPath.startsWith('/files/')) {
      const found = await resolveResultFile(root, rawPath.slice('/files/'.length));
      if (!found.ok) {
        send(res, found.status, `${found.reason}\n`, 'text/plain; charset=utf-8', head);
        return;
      }
      res.writeHead(200, { 'Content-Type': contentTypeOf(found.file), 'Content-Length': String(found.size), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
      if (head) {
        res.end();
        return;
      }
      const stream = createReadStream(found.file);
      stream.on('error', () => res.destroy()); // deleted or truncated while sent
      stream.pipe(res);
      return;
    }
    switch (rawPath) {
      case '/':
      case '/index.html':
        send(res, 200, viewerPage({ root, pollMs }), 'text/html; charset=utf-8', head);
        return;
      case '/plotly.js':
        send(res, 200, plotlyBundle(), 'application/javascript; charset=utf-8', head, { 'Cache-Control': 'max-age=3600', ETag: `"plotly-${plotlyVersion()}"` });
        return;
      case '/api/runs':
        sendJson(res, { root, runs: await index.list() }, head);
        return;
      case '/api/view': {
        const runs = await selected(url);
        sendJson(res, await buildView(root, runs, viewOf(url), new Set(url.searchParams.getAll('hide'))), head);
        return;
      }
      case '/api/summary':
        sendJson(res, { rows: await keyNumbers(root, await selected(url)) }, head);
        return;
      case '/api/files': {
        const runs = await selected(url);
        sendJson(res, { runs: await Promise.all(runs.map(async (r) => ({ run: r.name, ...(await listRunFiles(root, r.name)) }))) }, head);
        return;
      }
      case '/export.html': {
        const runs = await selected(url);
        const view = viewOf(url);
        const built = await buildView(root, runs, view, new Set(url.searchParams.getAll('hide')));
        const rows = await keyNumbers(root, runs);
        const file = `vitscope-${view}-${runs.map((r) => r.name).join('+').slice(0, 80) || 'none'}.html`.replace(/[^A-Za-z0-9._+-]/g, '_');
        send(res, 200, exportPage(built, runs, rows), 'text/html; charset=utf-8', head, { 'Content-Disposition': `attachment; filename="${file}"` });
        return;
      }
      default:
        send(res, 404, 'not found\n', 'text/plain; charset=utf-8', head);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent) send(res, status, `${(err as Error).message}\n`, 'text/plain; charset=utf-8', req.method === 'HEAD');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
