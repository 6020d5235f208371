/**
 * How tests and tools drive a running sandbox: the methods a `Sandbox` has besides its
 * address, and the same powers behind the /_sandbox routes for a sandbox in another process.
 */
import { ConfigError, isEventType, type EventEnvelope, type EventType } from '@eventsync/core';
import type { AdminControls } from './admin.js';
import { checkTypes, resolveGenerator, type FaultOptions } from './options.js';
import type { SandboxParts } from './sandbox-parts.js';
import { viewWithSecret, type SubscriptionWithSecret } from './subscriptions.js';
import type { WebhookFaultOptions } from './webhook-faults.js';

export interface SandboxControls {
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
  /** The stored subscription, secret included (the API shows the secret only once), or undefined. */
  subscription(id: string): SubscriptionWithSecret | undefined;
  /** Replaces the current webhook delivery faults. */
  setWebhookFaults(faults: WebhookFaultOptions): void;
}

export function createControls(parts: SandboxParts): SandboxControls {
  const { state, faults, generator, keyRing, subscriptions, deliveries } = parts;
  const now = state.now;
  return {
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
    setFaults(next) {
      faults.set(next);
    },
    startGenerator(opts) {
      const { ratePerSecond, types } = resolveGenerator(opts);
      generator.start(ratePerSecond, types);
    },
    stopGenerator() {
      generator.stop();
    },
    revokeKey(key) {
      keyRing.revoke(key);
    },
    subscription(id) {
      const stored = subscriptions.get(id);
      return stored ? viewWithSecret(stored) : undefined;
    },
    setWebhookFaults(next) {
      deliveries.setFaults(next);
    },
  };
}

/** The /_sandbox routes' powers: the controls, plus what only a remote caller needs (stats, the delivery log). */
export function adminControls(parts: SandboxParts, controls: SandboxControls): AdminControls {
  const { state, faults, generator, keyRing, deliveries } = parts;
  return {
    stats: () => sandboxStats(parts),
    eventIds: (visibleOnly) => controls.eventIds({ visibleOnly }),
    emit: (type, count, data, commitDelayMs) => {
      const createdMs = state.now();
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
  };
}

function sandboxStats({ state, log, generator, faults, subscriptions, deliveries }: SandboxParts): Record<string, unknown> {
  return {
    events: { total: state.events.size, visible: state.events.countVisible(state.now()) },
    requests: { total: log.records.length, by_status: log.byStatus() },
    records: state.records.counts,
    generator: { ratePerSecond: generator.ratePerSecond },
    faults: faults.current,
    webhooks: { subscriptions: subscriptions.size, ...deliveries.stats, faults: deliveries.faults.current },
  };
}
