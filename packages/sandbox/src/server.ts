/**
 * startSandbox: wires options, state, routes and the request pipeline to a node:http server,
 * and hands back the controls tests and tools drive it with.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, RETENTION_MS, isEventType, type EventEnvelope, type EventType, type Preset } from '@eventsync/core';
import { adminRoutes } from './admin.js';
import { KeyRing } from './auth.js';
import { DeliveryEngine, type DeliveryRecord } from './deliveries.js';
import { FaultInjector } from './faults.js';
import { SteadyGenerator } from './generator.js';
import { IdempotencyStore } from './idempotency.js';
import { checkTypes, resolveGenerator, resolveOptions, type FaultOptions, type SandboxOptions } from './options.js';
import { createPipeline } from './pipeline.js';
import { RateLimiter } from './rate-limit.js';
import { RequestLog, type RequestRecord } from './request-log.js';
import { Router } from './router.js';
import { eventRoutes } from './routes/events.js';
import { meRoutes } from './routes/me.js';
import { recordRoutes } from './routes/records.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { createState } from './state.js';
import { SubscriptionStore, viewWithSecret, type SubscriptionWithSecret } from './subscriptions.js';
import type { WebhookFaultOptions } from './webhook-faults.js';

export interface Sandbox {
  /** Origin, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** url + the preset's base path. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly preset: Preset;
  /** Every request answered (or reset), in order. */
  readonly requests: readonly RequestRecord[];
  /** Creates one event now, with a random commit delay unless `commitDelayMs` is given. */
  emit(type: EventType, data?: Record<string, unknown>, opts?: { commitDelayMs?: number }): EventEnvelope;
  /** Creates `count` live events now, each with a random commit delay. */
  generate(count: number, opts?: { types?: EventType[] }): void;
  /** Ids in feed order. */
  eventIds(opts?: { visibleOnly?: boolean }): string[];
  /** Envelopes in feed order, committed or not unless `visibleOnly`. */
  events(opts?: { visibleOnly?: boolean }): EventEnvelope[];
  /** Replaces the current faults. */
  setFaults(faults: FaultOptions): void;
  startGenerator(opts: { ratePerSecond: number; types?: EventType[] }): void;
  stopGenerator(): void;
  /** Later requests with this key get 401 (as the psa variant's keys expire after working). */
  revokeKey(key: string): void;
  /** Every webhook delivery attempt (and fault stand-in), in the order they finished. */
  readonly deliveries: readonly DeliveryRecord[];
  /** The stored subscription, secret included (the API shows the secret only once), or undefined. */
  subscription(id: string): SubscriptionWithSecret | undefined;
  /** Replaces the current webhook delivery faults. */
  setWebhookFaults(faults: WebhookFaultOptions): void;
  /** Closes the server, its open sockets, its timers and any delivery on the wire. */
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 60_000;
const KEEP_ALIVE_MS = 5_000;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const resolved = resolveOptions(options);
  const { preset, now } = resolved;
  const state = createState(resolved);
  const keyRing = new KeyRing(resolved);
  const faults = new FaultInjector(resolved.seed, resolved.faults);
  const log = new RequestLog();
  const pendingAnswers = new Set<NodeJS.Timeout>();
  const subscriptions = new SubscriptionStore();
  const deliveries = new DeliveryEngine(state, subscriptions, resolved.webhooks);

  let lastPrune = now();
  const generator = new SteadyGenerator({
    now,
    create: (type, ms) => state.createEvent(type, undefined, { createdMs: ms }),
    pickType: (types) => state.factory.pickType(types),
    onTick: (time) => {
      // Only a generator grows the store without bound; drop what retention already hides.
      if (time - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = time;
        state.events.prune(time - RETENTION_MS);
      }
    },
  });

  const controls = {
    emit(type: EventType, data?: Record<string, unknown>, opts: { commitDelayMs?: number } = {}): EventEnvelope {
      if (!isEventType(type)) throw new ConfigError(`"${String(type)}" is not an event type`, 'type');
      const createOptions = opts.commitDelayMs === undefined ? {} : { commitDelayMs: opts.commitDelayMs };
      return state.createEvent(type, data, createOptions).envelope;
    },
    generate(count: number, opts: { types?: EventType[] } = {}): void {
      const types = checkTypes(opts.types, 'types');
      const ms = now();
      for (let i = 0; i < count; i++) state.createEvent(state.factory.pickType(types), undefined, { createdMs: ms });
    },
    eventIds(opts: { visibleOnly?: boolean } = {}): string[] {
      return state.events.ids(opts.visibleOnly ? now() : undefined);
    },
    events(opts: { visibleOnly?: boolean } = {}): EventEnvelope[] {
      return state.events.list(opts.visibleOnly ? now() : undefined).map((event) => event.envelope);
    },
    setFaults(next: FaultOptions): void {
      faults.set(next);
    },
    startGenerator(opts: { ratePerSecond: number; types?: EventType[] }): void {
      const { ratePerSecond, types } = resolveGenerator(opts);
      generator.start(ratePerSecond, types);
    },
    stopGenerator(): void {
      generator.stop();
    },
    revokeKey(key: string): void {
      keyRing.revoke(key);
    },
    subscription(id: string): SubscriptionWithSecret | undefined {
      const stored = subscriptions.get(id);
      return stored ? viewWithSecret(stored) : undefined;
    },
    setWebhookFaults(next: WebhookFaultOptions): void {
      deliveries.setFaults(next);
    },
  };

  const admin = resolved.admin
    ? new Router().add(
        adminRoutes({
          stats: () => ({
            events: { total: state.events.size, visible: state.events.countVisible(now()) },
            requests: { total: log.records.length, by_status: log.byStatus() },
            records: state.records.counts,
            generator: { ratePerSecond: generator.ratePerSecond },
            faults: faults.current,
            webhooks: { subscriptions: subscriptions.size, ...deliveries.stats, faults: deliveries.faults.current },
          }),
          eventIds: (visibleOnly) => controls.eventIds({ visibleOnly }),
          emit: (type, count, data, commitDelayMs) => {
            const createdMs = now();
            const ids: string[] = [];
            for (let i = 0; i < count; i++) {
              ids.push(state.createEvent(type, data, commitDelayMs === undefined ? { createdMs } : { createdMs, commitDelayMs }).id);
            }
            return ids;
          },
          setFaults: (next) => {
            faults.set(next);
            return faults.current;
          },
          startGenerator: (ratePerSecond, types) => {
            controls.startGenerator(types === undefined ? { ratePerSecond } : { ratePerSecond, types });
            return generator.ratePerSecond;
          },
          revokeKey: (key) => keyRing.revoke(key),
          setWebhookFaults: (next) => deliveries.setFaults(next),
          deliveries: () => deliveries.records,
        }),
      )
    : null;

  const handle = createPipeline({
    state,
    keyRing,
    limiter: resolved.policies ? new RateLimiter(resolved.policies) : null,
    faults,
    idempotency: new IdempotencyStore(),
    api: new Router().add([
      ...meRoutes(state),
      ...eventRoutes(state),
      ...recordRoutes(state),
      ...subscriptionRoutes(state, subscriptions, deliveries),
    ]),
    admin,
    log,
    later(delayMs, action) {
      if (delayMs <= 0) {
        action();
        return;
      }
      const timer = setTimeout(() => {
        pendingAnswers.delete(timer);
        action();
      }, delayMs);
      pendingAnswers.add(timer);
    },
  });

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // Only reading the body can reject (the client went away): nobody is left to answer.
      res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (resolved.generator) generator.start(resolved.generator.ratePerSecond, resolved.generator.types);

  const url = `http://${displayHost(resolved.host)}:${(server.address() as AddressInfo).port}`;
  let stopping: Promise<void> | undefined;

  return {
    url,
    baseUrl: `${url}${preset.basePath}`,
    apiKey: resolved.apiKey,
    preset,
    requests: log.records,
    deliveries: deliveries.records,
    ...controls,
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolve) => {
        generator.stop();
        deliveries.stop();
        for (const timer of pendingAnswers) clearTimeout(timer);
        pendingAnswers.clear();
        server.close(() => resolve());
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
