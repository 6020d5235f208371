/**
 * How tests and tools drive a running sandbox: the methods a `Sandbox` and each of its
 * tenants have besides their addresses, and the same powers behind the /_sandbox routes for a
 * sandbox in another process.
 *
 * The sandbox's own feed methods (emit, events, ...) act on its first tenant: the only one
 * without `tenants`, so a single-tenant sandbox reads as it always has. The generator, faults,
 * key revocation and usage act on the whole sandbox.
 */
import { ConfigError, isEventType, keyHint, type EventEnvelope, type EventType } from '@eventsync/core';
import type { AdminControls, TenantAdmin, TenantSummary } from './admin.js';
import type { DeliveryRecord } from './deliveries.js';
import type { KeyUsageReport } from './key-usage.js';
import { checkTypes, resolveGenerator, type FaultOptions } from './options.js';
import type { SandboxParts } from './sandbox-parts.js';
import { viewWithSecret, type SubscriptionWithSecret } from './subscriptions.js';
import type { TenantParts } from './tenant-parts.js';
import type { WebhookFaultOptions } from './webhook-faults.js';

/** What a test drives one tenant's feed and generator with. */
export interface TenantControls {
  /** Creates one event now, with a random commit delay unless `commitDelayMs` is given. */
  emit(type: EventType, data?: Record<string, unknown>, opts?: { commitDelayMs?: number }): EventEnvelope;
  /** Creates `count` live events now, each with a random commit delay. */
  generate(count: number, opts?: { types?: EventType[] }): void;
  /** Ids in feed order. */
  eventIds(opts?: { visibleOnly?: boolean }): string[];
  /** Envelopes in feed order, committed or not unless `visibleOnly`. */
  events(opts?: { visibleOnly?: boolean }): EventEnvelope[];
  /** On the sandbox: every tenant's generator. */
  startGenerator(opts: { ratePerSecond: number; types?: EventType[] }): void;
  /** On the sandbox: every tenant's generator. */
  stopGenerator(): void;
  /** The stored subscription, secret included (the API shows the secret only once), or undefined. On the sandbox: of any tenant. */
  subscription(id: string): SubscriptionWithSecret | undefined;
}

/** One tenant of a sandbox: `sandbox.tenants[i]`. */
export interface SandboxTenant extends TenantControls {
  /** `tenant-0001`, ...; `sandbox-<preset>` for the one tenant of a sandbox without `tenants`. */
  readonly slug: string;
  /** `ten_...`, as GET /me shows it. */
  readonly id: string;
  /** The tenant's key (without `tenants`: `apiKey`; `keys` are the tenant's too). */
  readonly apiKey: string;
  /** Delivery attempts to this tenant's subscriptions (the newest, up to a cap), in the order they finished. */
  readonly deliveries: readonly DeliveryRecord[];
  /** Later requests with any key of the tenant get 401. */
  revoke(): void;
  /** True once every key of the tenant is revoked. */
  isRevoked(): boolean;
  /** What each key of the tenant sent, per bucket, with requests per second. */
  usage(): KeyUsageReport[];
  /** Events, records, generator and webhook counters of this tenant (as GET /_sandbox/tenants/:slug/stats). */
  stats(): Record<string, unknown>;
}

export interface SandboxControls extends TenantControls {
  /** Replaces the current faults. */
  setFaults(faults: FaultOptions): void;
  /** Later requests with this key (of any tenant) get 401 (as the psa variant's keys expire after working). */
  revokeKey(key: string): void;
  /** Replaces the current webhook delivery faults, for every tenant. */
  setWebhookFaults(faults: WebhookFaultOptions): void;
  /** What every key sent, per bucket, with requests per second; keys that sent nothing have no buckets. */
  usage(): KeyUsageReport[];
}

export function createTenant(parts: SandboxParts, tenant: TenantParts): SandboxTenant {
  const { state, generator, subscriptions, deliveries } = tenant;
  const now = state.now;
  return {
    slug: tenant.slug,
    id: state.tenant.id,
    apiKey: tenant.keys[0]!.key,
    deliveries: deliveries.records,
    emit(type, data, opts = {}) {
      if (!isEventType(type)) throw new ConfigError(`"${String(type)}" is not an event type`, 'type');
      const createOptions = opts.commitDelayMs === undefined ? {} : { commitDelayMs: opts.commitDelayMs };
      return state.createEvent(type, data, createOptions).envelope;
    },
    generate(count, opts = {}) {
      const types = checkTypes(opts.types, 'types');
      const ms = now();
      for (let i = 0; i < count; i++) state.createEvent(state.factory.pickType(types), undefined, { createdMs: ms });
    },
    eventIds(opts = {}) {
      return state.events.ids(opts.visibleOnly ? now() : undefined);
    },
    events(opts = {}) {
      return state.events.list(opts.visibleOnly ? now() : undefined).map((event) => event.envelope);
    },
    startGenerator(opts) {
      const { ratePerSecond, types } = resolveGenerator(opts);
      generator.start(ratePerSecond, types);
    },
    stopGenerator() {
      generator.stop();
    },
    subscription(id) {
      const stored = subscriptions.get(id);
      return stored ? viewWithSecret(stored) : undefined;
    },
    revoke() {
      for (const { key } of tenant.keys) parts.keyRing.revoke(key);
    },
    isRevoked() {
      return tenant.keys.every(({ key }) => parts.keyRing.isRevoked(key));
    },
    usage: () => tenantUsage(parts, tenant, true),
    stats: () => tenantStats(tenant),
  };
}

export function createControls(parts: SandboxParts, tenants: readonly SandboxTenant[]): SandboxControls {
  const first = tenants[0]!;
  return {
    emit: (type, data, opts) => first.emit(type, data, opts),
    generate: (count, opts) => first.generate(count, opts),
    eventIds: (opts) => first.eventIds(opts),
    events: (opts) => first.events(opts),
    startGenerator(opts) {
      resolveGenerator(opts);
      for (const tenant of tenants) tenant.startGenerator(opts);
    },
    stopGenerator() {
      for (const tenant of tenants) tenant.stopGenerator();
    },
    subscription(id) {
      for (const tenant of tenants) {
        const found = tenant.subscription(id);
        if (found) return found;
      }
      return undefined;
    },
    setFaults(next) {
      parts.faults.set(next);
    },
    revokeKey(key) {
      parts.keyRing.revoke(key);
    },
    setWebhookFaults(next) {
      for (const tenant of parts.tenants) tenant.deliveries.setFaults(next);
    },
    usage: () => allUsage(parts, true),
  };
}

/** The /_sandbox routes' powers: the controls, plus what only a remote caller needs (stats, the delivery logs, the tenant list). */
export function adminControls(parts: SandboxParts, controls: SandboxControls, tenants: readonly SandboxTenant[]): AdminControls {
  const admins = new Map(parts.tenants.map((tenant, i) => [tenant.slug, tenantAdmin(parts, tenant, tenants[i]!)]));
  return {
    stats: () => sandboxStats(parts),
    setFaults: (next) => {
      parts.faults.set(next);
      return parts.faults.current;
    },
    setWebhookFaults: (next) => {
      controls.setWebhookFaults(next);
      return parts.tenants[0]!.deliveries.faults.current;
    },
    startGenerator: (ratePerSecond, types) => {
      controls.startGenerator(types === undefined ? { ratePerSecond } : { ratePerSecond, types });
      return parts.tenants[0]!.generator.ratePerSecond;
    },
    revokeKey: (key) => controls.revokeKey(key),
    deliveries: () => parts.deliveryLog?.records ?? parts.tenants[0]!.deliveries.records,
    usage: (perSecond) => allUsage(parts, perSecond),
    tenants: () => tenants.map((tenant): TenantSummary => ({ slug: tenant.slug, id: tenant.id, apiKey: tenant.apiKey, revoked: tenant.isRevoked() })),
    first: admins.get(parts.tenants[0]!.slug)!,
    tenant: (slug) => admins.get(slug),
  };
}

function tenantAdmin(sandbox: SandboxParts, parts: TenantParts, tenant: SandboxTenant): TenantAdmin {
  const { state, generator, deliveries } = parts;
  return {
    stats: () => tenant.stats(),
    eventIds: (visibleOnly) => tenant.eventIds({ visibleOnly }),
    emit: (type, count, data, commitDelayMs) => {
      const createdMs = state.now();
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        ids.push(state.createEvent(type, data, commitDelayMs === undefined ? { createdMs } : { createdMs, commitDelayMs }).id);
      }
      return ids;
    },
    startGenerator: (ratePerSecond, types) => {
      tenant.startGenerator(types === undefined ? { ratePerSecond } : { ratePerSecond, types });
      return generator.ratePerSecond;
    },
    deliveries: () => deliveries.records,
    revoke: () => tenant.revoke(),
    usage: (perSecond) => tenantUsage(sandbox, parts, perSecond),
  };
}

function allUsage(parts: SandboxParts, perSecond: boolean): KeyUsageReport[] {
  return parts.tenants.flatMap((tenant) => tenantUsage(parts, tenant, perSecond));
}

function tenantUsage(parts: SandboxParts, tenant: TenantParts, perSecond: boolean): KeyUsageReport[] {
  return tenant.keys.map(({ key, name }) => ({
    tenant: tenant.slug,
    keyName: name,
    keyHint: keyHint(key),
    revoked: parts.keyRing.isRevoked(key),
    buckets: parts.usage.buckets(key, perSecond),
  }));
}

function tenantStats({ state, generator, subscriptions, deliveries }: TenantParts): Record<string, unknown> {
  return {
    events: { total: state.events.size, visible: state.events.countVisible(state.now()) },
    records: state.records.counts,
    generator: { ratePerSecond: generator.ratePerSecond },
    webhooks: { subscriptions: subscriptions.size, ...deliveries.stats, faults: deliveries.faults.current },
  };
}

/** The tenants' counters summed (a sandbox without `tenants` has one); requests and faults are the server's. */
function sandboxStats({ tenants, log, faults, options }: SandboxParts): Record<string, unknown> {
  const events = { total: 0, visible: 0 };
  const records = { customers: 0, leads: 0, notes: 0 };
  const webhooks = { subscriptions: 0, attempts: 0, awaitingCommit: 0, scheduled: 0, inFlight: 0 };
  let ratePerSecond = 0;
  for (const { state, generator, subscriptions, deliveries } of tenants) {
    const now = state.now();
    events.total += state.events.size;
    events.visible += state.events.countVisible(now);
    const counts = state.records.counts;
    records.customers += counts.customers;
    records.leads += counts.leads;
    records.notes += counts.notes;
    webhooks.subscriptions += subscriptions.size;
    const stats = deliveries.stats;
    webhooks.attempts += stats.attempts;
    webhooks.awaitingCommit += stats.awaitingCommit;
    webhooks.scheduled += stats.scheduled;
    webhooks.inFlight += stats.inFlight;
    ratePerSecond += generator.ratePerSecond;
  }
  return {
    tenants: options.tenants.length,
    events,
    requests: { total: log.records.length, by_status: log.byStatus() },
    records,
    generator: { ratePerSecond },
    faults: faults.current,
    webhooks: { ...webhooks, faults: tenants[0]!.deliveries.faults.current },
  };
}
