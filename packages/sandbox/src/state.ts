/**
 * What route modules share: the stores, the clock and the one way events are created.
 * Routes receive this instead of the server, so a new module (webhooks) plugs in without
 * touching the HTTP plumbing.
 */
import type { EventType, Preset } from '@eventsync/core';
import { EventStore, StoredEvent, type SampleData } from './event-store.js';
import { EventFactory } from './generator.js';
import type { ResolvedOptions } from './options.js';
import { RecordStore } from './records.js';
import type { ResolvedTenant } from './tenant-options.js';

export interface Tenant {
  readonly id: string;
  readonly slug: string;
}

export interface CreateEventOptions {
  /** Default now. */
  readonly createdMs?: number;
  /** Default a random delay in [0, visibilityLagMs]. */
  readonly commitDelayMs?: number;
}

export interface SandboxState {
  readonly options: ResolvedOptions;
  readonly preset: Preset;
  readonly tenant: Tenant;
  /** The tenant's seed: every seeded stream of this tenant (ids, data, secrets, faults) starts from it. */
  readonly seed: number;
  readonly events: EventStore;
  readonly records: RecordStore;
  readonly factory: EventFactory;
  now(): number;
  /** Creates and stores one event; `data` replaces the generated sample data. */
  createEvent(type: EventType, data?: Record<string, unknown>, options?: CreateEventOptions): StoredEvent;
  /** Listeners run for each created event (the webhook delivery engine is one). */
  onEvent(listener: (event: StoredEvent) => void): void;
}

/** One tenant's stores; a sandbox without `tenants` has exactly one. */
export function createState(options: ResolvedOptions, tenant: ResolvedTenant): SandboxState {
  const { now, preset } = options;
  const factory = new EventFactory(tenant.seed, options.visibilityLagMs);
  const events = new EventStore();
  const listeners: Array<(event: StoredEvent) => void> = [];
  const sample: SampleData = (type, ms, id) => factory.sampleData(type, ms, id);
  const state: SandboxState = {
    options,
    preset,
    tenant: { id: tenant.id, slug: tenant.slug },
    seed: tenant.seed,
    events,
    records: new RecordStore(),
    factory,
    now,
    createEvent(type, data, opts = {}) {
      const ms = opts.createdMs ?? now();
      const id = factory.id('evt_', ms);
      const delay = opts.commitDelayMs ?? factory.commitDelay();
      const stored = new StoredEvent(ms, id, type, ms + delay, data ? { ...data } : null, sample);
      events.add(stored);
      for (const listener of listeners) listener(stored);
      return stored;
    },
    onEvent(listener) {
      listeners.push(listener);
    },
  };
  seedBacklog(state, tenant.backlog);
  return state;
}

/** Past events spread evenly over the span, ending after the lag so all are committed at start. */
function seedBacklog(state: SandboxState, backlog: ResolvedTenant['backlog']): void {
  if (!backlog) return;
  const end = state.now() - state.options.visibilityLagMs - 1000;
  const start = end - backlog.spanMs;
  const step = backlog.spanMs / backlog.count;
  for (let i = 0; i < backlog.count; i++) {
    const ms = Math.floor(start + (i + 1) * step);
    state.createEvent(state.factory.pickType(backlog.types), undefined, { createdMs: ms, commitDelayMs: 0 });
  }
}
