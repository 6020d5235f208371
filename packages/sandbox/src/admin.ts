/**
 * `/_sandbox/*`: control routes for a sandbox in another process (benchmarks, end-to-end
 * tests, `eventsync sandbox`). No auth, loopback only, never rate limited or faulted.
 */
import { ConfigError, isEventType, type EventType } from '@eventsync/core';
import type { DeliveryRecord } from './deliveries.js';
import { invalidParameter } from './errors.js';
import type { FaultOptions } from './options.js';
import type { Route } from './router.js';
import type { WebhookFaultOptions } from './webhook-faults.js';

export interface AdminControls {
  stats(): Record<string, unknown>;
  eventIds(visibleOnly: boolean): string[];
  emit(type: EventType, count: number, data: Record<string, unknown> | undefined, commitDelayMs: number | undefined): string[];
  setFaults(faults: FaultOptions): FaultOptions;
  startGenerator(ratePerSecond: number, types: EventType[] | undefined): number;
  revokeKey(key: string): void;
  setWebhookFaults(faults: WebhookFaultOptions): WebhookFaultOptions;
  /** The delivery log, oldest first. */
  deliveries(): readonly DeliveryRecord[];
}

/** Admin bodies are few and typed by hand: one place turns setting errors into a 400 naming the field. */
function settle<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ConfigError) throw invalidParameter(error.setting, error.message);
    throw error;
  }
}

export const ADMIN_PREFIX = '/_sandbox';
const EMIT_MAX = 1_000_000;
const DELIVERIES_DEFAULT = 1000;
const DELIVERIES_MAX = 10_000;

export function adminRoutes(controls: AdminControls): Route[] {
  return [
    { method: 'GET', path: '/stats', handle: () => ({ status: 200, body: controls.stats() }) },
    {
      method: 'GET',
      path: '/events/ids',
      handle: ({ query }) => {
        const visible = query.get('visible');
        return { status: 200, body: { ids: controls.eventIds(visible === 'true' || visible === '1') } };
      },
    },
    {
      method: 'POST',
      path: '/emit',
      handle: ({ body }) => {
        const { type, count = 1, data, commitDelayMs } = body();
        if (typeof type !== 'string' || !isEventType(type)) throw invalidParameter('type', `type must be one of the ten event types; got ${JSON.stringify(type)}`);
        if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > EMIT_MAX) {
          throw invalidParameter('count', `count must be a whole number from 1 to ${EMIT_MAX}`);
        }
        if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
          throw invalidParameter('data', 'data must be an object');
        }
        if (commitDelayMs !== undefined && !(typeof commitDelayMs === 'number' && commitDelayMs >= 0)) {
          throw invalidParameter('commitDelayMs', 'commitDelayMs must be a number of at least 0');
        }
        const ids = controls.emit(type, count as number, data as Record<string, unknown> | undefined, commitDelayMs);
        return { status: 201, body: { ids } };
      },
    },
    {
      method: 'PUT',
      path: '/faults',
      handle: ({ body }) => ({ status: 200, body: { faults: settle(() => controls.setFaults(body() as FaultOptions)) } }),
    },
    {
      method: 'POST',
      path: '/generator',
      handle: ({ body }) => {
        const { ratePerSecond, types } = body();
        const rate = settle(() => controls.startGenerator(ratePerSecond as number, types as EventType[] | undefined));
        return { status: 200, body: { ratePerSecond: rate } };
      },
    },
    {
      method: 'PUT',
      path: '/webhook-faults',
      handle: ({ body }) => ({ status: 200, body: { faults: settle(() => controls.setWebhookFaults(body() as WebhookFaultOptions)) } }),
    },
    {
      // The newest `limit` attempts (default 1000), oldest first; `subscription_id=` filters.
      method: 'GET',
      path: '/deliveries',
      handle: ({ query }) => {
        const limitText = query.get('limit');
        const limit = limitText === null || limitText === '' ? DELIVERIES_DEFAULT : Number(limitText);
        if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_MAX) {
          throw invalidParameter('limit', `limit must be a whole number from 1 to ${DELIVERIES_MAX}`);
        }
        const subscriptionId = query.get('subscription_id') || undefined;
        const all = controls.deliveries();
        const matching = subscriptionId === undefined ? all : all.filter((entry) => entry.subscription_id === subscriptionId);
        return { status: 200, body: { total: matching.length, deliveries: matching.slice(-limit) } };
      },
    },
    {
      method: 'POST',
      path: '/keys/revoke',
      handle: ({ body }) => {
        const { key } = body();
        if (typeof key !== 'string' || key === '') throw invalidParameter('key', 'key must be the API key to revoke');
        controls.revokeKey(key);
        return { status: 200, body: { revoked: true } };
      },
    },
  ];
}
