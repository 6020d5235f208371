/**
 * startSandbox: assembles the parts, puts the request pipeline behind a node:http server,
 * and hands back the address and the controls tests and tools drive it with. One server
 * serves every tenant; the key on each request picks the tenant.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Preset } from '@eventsync/core';
import { adminRoutes } from './admin.js';
import { adminControls, createControls, createTenant, type SandboxControls, type SandboxTenant } from './controls.js';
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
  /** The first tenant's key. */
  readonly apiKey: string;
  readonly preset: Preset;
  /** Every tenant, in slug order: one without the `tenants` option, `tenants` of them with it. */
  readonly tenants: readonly SandboxTenant[];
  /** The tenant with this slug, or undefined. */
  tenant(slug: string): SandboxTenant | undefined;
  /** Every request answered (or reset), in order. */
  readonly requests: readonly RequestRecord[];
  /** Every webhook delivery attempt (and fault stand-in) of every tenant, in the order they finished. */
  readonly deliveries: readonly DeliveryRecord[];
  /** Closes the server, its open sockets, its timers and any delivery on the wire. */
  stop(): Promise<void>;
}

const KEEP_ALIVE_MS = 5_000;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const parts = assembleParts(resolveOptions(options));
  const { options: resolved, log } = parts;
  const tenants = parts.tenants.map((tenant) => createTenant(parts, tenant));
  const bySlug = new Map(tenants.map((tenant) => [tenant.slug, tenant]));
  const controls = createControls(parts, tenants);
  const timers = new PendingTimers();
  const server = createApiServer(parts, controls, tenants, timers);
  await listen(server, resolved.port, resolved.host);
  if (resolved.generator) controls.startGenerator({ ratePerSecond: resolved.generator.ratePerSecond, types: [...resolved.generator.types] });

  const url = `http://${displayHost(resolved.host)}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}${resolved.preset.basePath}`,
    apiKey: resolved.apiKey,
    preset: resolved.preset,
    tenants,
    tenant: (slug) => bySlug.get(slug),
    requests: log.records,
    deliveries: parts.deliveryLog?.records ?? parts.tenants[0]!.deliveries.records,
    ...controls,
    stop: stopper(server, parts, timers),
  };
}

function createApiServer(parts: SandboxParts, controls: SandboxControls, tenants: readonly SandboxTenant[], timers: PendingTimers): Server {
  const { options, keyRing, faults, log, usage } = parts;
  const handle = createPipeline({
    options,
    tenants: parts.tenants,
    keyRing,
    usage,
    limiter: options.policies ? new RateLimiter(options.policies) : null,
    faults,
    idempotency: new IdempotencyStore(),
    api: apiRouter(parts),
    admin: options.admin ? new Router().add(adminRoutes(adminControls(parts, controls, tenants))) : null,
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

/** Every API route, relative to the preset's base path; handlers work on the tenant of the request's key. */
function apiRouter({ options }: SandboxParts): Router {
  return new Router().add([...meRoutes(), ...eventRoutes(), ...recordRoutes(), ...subscriptionRoutes(options.preset)]);
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
function stopper(server: Server, { ticker, tenants }: SandboxParts, timers: PendingTimers): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      for (const { generator, deliveries } of tenants) {
        generator.stop();
        deliveries.stop();
      }
      ticker.stop();
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
