/**
 * The operations endpoint of `eventsync sync --metrics-port`: `/healthz` (the process runs
 * its loop), `/readyz` (it is doing its job: 503 and a JSON body naming what is wrong),
 * `/metrics` (Prometheus) and the status page (`/`, `/status.js`, `/status.json`).
 *
 * It binds to loopback unless told otherwise and shows nothing secret: the key by its last
 * four characters, never the alert URL or a signing secret. Reading it costs the sync a
 * few counter reads; it never waits on the sync, nor the sync on it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectionWatch } from './connection-watch.js';
import type { SyncMetrics } from './metrics.js';
import { connectionStatus, loadStatusPageAssets } from './status-page.js';

export interface WatchedConnection {
  /** Names the connection on the page and in /readyz, e.g. `acme@api.example.com`. */
  readonly name: string;
  readonly watch: ConnectionWatch;
}

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  /** True while the sync runs its loop; /healthz answers 503 before and after. */
  readonly alive: () => boolean;
  readonly connections: () => readonly WatchedConnection[];
  readonly metrics: SyncMetrics;
  /**
   * When /readyz answers 200: `every` connection has no problem (sync, one connection), or
   * `some` connection has none (`eventsync run`: one tenant's revoked key must not take the
   * process, and the webhooks of every other tenant, out of a load balancer). Either way the
   * body names each problem and its connection. Default `every`.
   */
  readonly readyWhen?: 'every' | 'some';
}

export interface HealthServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

const NO_STORE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
/** The page loads its own script and fetches its own JSON; nothing else. */
const PAGE_POLICY = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'";

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const assets = await loadStatusPageAssets();

  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { ...NO_STORE, 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  const routes: Record<string, (res: http.ServerResponse) => void | Promise<void>> = {
    '/healthz': (res) => (options.alive() ? json(res, 200, { status: 'ok' }) : json(res, 503, { status: 'stopping' })),
    '/readyz': (res) => {
      const connections = options.connections();
      const problems = connections.flatMap(({ name, watch }) => watch.problems().map((problem) => ({ connection: name, ...problem })));
      const troubled = new Set(problems.map(({ connection }) => connection));
      const ready = options.readyWhen === 'some' ? connections.length > troubled.size : problems.length === 0;
      if (ready && problems.length === 0) json(res, 200, { ready: true });
      else json(res, ready ? 200 : 503, { ready, problems });
    },
    '/metrics': async (res) => {
      const text = await options.metrics.metrics();
      res.writeHead(200, { ...NO_STORE, 'Content-Type': options.metrics.contentType }).end(text);
    },
    '/status.json': (res) => {
      json(res, 200, { at: new Date().toISOString(), connections: options.connections().map(({ name, watch }) => connectionStatus(name, watch)) });
    },
    '/': (res) => {
      res.writeHead(200, { ...NO_STORE, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_POLICY }).end(assets.html);
    },
    '/status.js': (res) => {
      res.writeHead(200, { ...NO_STORE, 'Content-Type': 'text/javascript; charset=utf-8' }).end(assets.script);
    },
  };

  const server = http.createServer((req, res) => {
    const route = routes[(req.url ?? '/').split('?')[0]!];
    if (!route) return json(res, 404, { message: 'try /, /healthz, /readyz or /metrics' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { message: 'GET only' });
    Promise.resolve(route(res)).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { message: error instanceof Error ? error.message : String(error) });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
