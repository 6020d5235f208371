/**
 * The bodies and queries of the /_sandbox routes, read by hand: they are few and small, and
 * each mistake is a 400 naming its field. Shared by the sandbox-wide and the per-tenant routes.
 */
import { ConfigError, isEventType, type EventType } from '@eventsync/core';
import type { DeliveryRecord } from './deliveries.js';
import { invalidParameter } from './errors.js';

const EMIT_MAX = 1_000_000;
const DELIVERIES_DEFAULT = 1000;
const DELIVERIES_MAX = 10_000;

/** Runs a control; a setting it refused (ConfigError) becomes a 400 naming the setting. */
export function settle<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ConfigError) throw invalidParameter(error.setting, error.message);
    throw error;
  }
}

export interface EmitRequest {
  readonly type: EventType;
  readonly count: number;
  readonly data: Record<string, unknown> | undefined;
  readonly commitDelayMs: number | undefined;
}

/** `{type, count?, data?, commitDelayMs?}` */
export function readEmit(body: Record<string, unknown>): EmitRequest {
  const { type, count = 1, data, commitDelayMs } = body;
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
  return { type, count: count as number, data: data as Record<string, unknown> | undefined, commitDelayMs };
}

/** `{ratePerSecond, types?}`, checked by the control it is handed to (resolveGenerator). */
export function readGenerator(body: Record<string, unknown>): { ratePerSecond: number; types: EventType[] | undefined } {
  const { ratePerSecond, types } = body;
  return { ratePerSecond: ratePerSecond as number, types: types as EventType[] | undefined };
}

/** The newest `limit` attempts (default 1000), oldest first; `subscription_id=` filters. */
export function deliveriesPage(all: readonly DeliveryRecord[], query: URLSearchParams): { total: number; deliveries: DeliveryRecord[] } {
  const limitText = query.get('limit');
  const limit = limitText === null || limitText === '' ? DELIVERIES_DEFAULT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_MAX) {
    throw invalidParameter('limit', `limit must be a whole number from 1 to ${DELIVERIES_MAX}`);
  }
  const subscriptionId = query.get('subscription_id') || undefined;
  const matching = subscriptionId === undefined ? all : all.filter((entry) => entry.subscription_id === subscriptionId);
  return { total: matching.length, deliveries: matching.slice(-limit) };
}

/** `name=true` or `name=1`. */
export function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}
