/**
 * startSandbox: assembles the parts, puts the request pipeline behind a node:http server,
 * and hands back the address and the controls tests and tools drive it with.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Preset } from '@eventsync/core';
import { adminRoutes } from './admin.js';
import { adminControls, createControls, type SandboxControls } from './controls.js';
import type { DeliveryRecord } from './deliveries.js';
import { IdempotencyStore } from './idempotency.js';
import { resolveOptions, type SandboxOptions } from './options.js';
import { PendingTimers } from './pending-timers.js';
import { createPipeline } from './pipeline.js';
import { RateLimiter } from './rate-limit.js';
import type { RequestRecord } from './request-log.js';
import { Router } from './router.js';
import { eventRoutes } from './routes/events.js';
import { meRoutes } from './routes/me.js';
import { recordRoutes } from './routes/records.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { assembleParts, type SandboxParts } from './sandbox-parts.js';

export interface Sandbox extends SandboxControls {
  /** Origin, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** url + the preset's base path. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly preset: Preset;
  /** Every request answered (or reset), in order. */
  readonly requests: readonly RequestRecord[];
  /** Every webhook delivery attempt (and fault stand-in), in the order they finished. */
  readonly deliveries: readonly DeliveryRecord[];
  /** Closes the server, its open sockets, its timers and any delivery on the wire. */
  stop(): Promise<void>;
}

const KEEP_ALIVE_MS = 5_000;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const parts = assembleParts(resolveOptions(options));
  const { options: resolved, generator, log, deliveries } = parts;
  const controls = createControls(parts);
  const timers = new PendingTimers();
  const server = createApiServer(parts, controls, timers);
  await listen(server, resolved.port, resolved.host);
  if (resolved.generator) generator.start(resolved.generator.ratePerSecond, resolved.generator.types);

  const url = `http://${displayHost(resolved.host)}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}${resolved.preset.basePath}`,
    apiKey: resolved.apiKey,
    preset: resolved.preset,
    requests: log.records,
    deliveries: deliveries.records,
    ...controls,
    stop: stopper(server, parts, timers),
  };
}

function createApiServer(parts: SandboxParts, controls: SandboxControls, timers: PendingTimers): Server {
  const { options, state, keyRing, faults, log } = parts;
  const handle = createPipeline({
    state,
    keyRing,
    limiter: options.policies ? new RateLimiter(options.policies) : null,
    faults,
    idempotency: new IdempotencyStore(),
    api: apiRouter(parts),
    admin: options.admin ? new Router().add(adminRoutes(adminControls(parts, controls))) : null,
    log,
    later: (delayMs, action) => timers.later(delayMs, action),
  });
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // Only reading the body can reject (the client went away): nobody is left to answer.
      res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  return server;
}

/** Every API route, relative to the preset's base path. */
function apiRouter({ state, subscriptions, deliveries }: SandboxParts): Router {
  return new Router().add([...meRoutes(state), ...eventRoutes(state), ...recordRoutes(state), ...subscriptionRoutes(state, subscriptions, deliveries)]);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** stop(): once, however often it is called. */
function stopper(server: Server, { generator, deliveries }: SandboxParts, timers: PendingTimers): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      generator.stop();
      deliveries.stop();
      timers.cancelAll();
      server.close(() => resolve());
      // Idle keep-alive sockets would otherwise hold close() open until they time out.
      server.closeAllConnections();
    });
    return stopping;
  };
}

function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
