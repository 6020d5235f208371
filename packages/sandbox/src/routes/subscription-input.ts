/**
 * The fields a client sends to create or change a subscription, checked one by one: each
 * refusal is a 400 naming the field and saying what it takes.
 */
import { EVENT_TYPES, TEST_EVENT_TYPE, isEventType } from '@eventsync/core';
import { invalidParameter } from '../errors.js';
import { MANAGERS, type ManagedBy } from '../subscriptions.js';

const MAX_URL = 2048;
const MAX_DESCRIPTION = 500;

/** HTTPS, or plain http to a loopback host (a local receiver, the sandbox's own tests). */
export function checkUrl(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidParameter('url', 'url is required: the https:// address deliveries are POSTed to');
  }
  const text = value.trim();
  if (text.length > MAX_URL) throw invalidParameter('url', `url must be at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidParameter('url', `url "${text.slice(0, 100)}" is not an absolute URL; expected https://your-host/path`);
  }
  if (url.protocol === 'https:') return text;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return text;
    throw invalidParameter(
      'url',
      `url must use https://; plain http:// is accepted only for loopback hosts (localhost, 127.0.0.0/8, [::1]), not ${url.hostname}`,
    );
  }
  throw invalidParameter('url', `url must be an https:// URL; got the scheme ${url.protocol.replace(/:$/, '')}`);
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Known types (case-sensitive), or exactly `["*"]`; duplicates are dropped, order kept. */
export function checkEvents(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidParameter('events', 'events must be a non-empty list of event types, or ["*"] for every type');
  }
  for (const type of value) {
    if (typeof type !== 'string') throw invalidParameter('events', `events must hold event type names; got ${JSON.stringify(type)}`);
    if (type === '*') {
      if (value.length > 1) throw invalidParameter('events', '"*" means every event type and must stand alone: ["*"]');
      continue;
    }
    if (type === TEST_EVENT_TYPE) {
      throw invalidParameter('events', `${TEST_EVENT_TYPE} is sent only by the test endpoint, to the one subscription tested; it cannot be subscribed to`);
    }
    if (!isEventType(type)) {
      const lower = type.toLowerCase();
      const hint = isEventType(lower) ? ` (event types are lower-case and case-sensitive: did you mean "${lower}"?)` : '';
      throw invalidParameter('events', `"${type.slice(0, 100)}" is not an event type${hint}; use one of ${EVENT_TYPES.join(', ')}, or ["*"]`);
    }
  }
  return [...new Set(value as string[])];
}

export function checkDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidParameter('description', 'description must be text or null');
  if (value.length > MAX_DESCRIPTION) throw invalidParameter('description', `description must be at most ${MAX_DESCRIPTION} characters`);
  return value;
}

export function checkManagedBy(value: unknown): ManagedBy | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !(MANAGERS as readonly string[]).includes(value)) {
    throw invalidParameter('managed_by', `managed_by must be one of ${MANAGERS.map((name) => `"${name}"`).join(', ')} or null; got ${JSON.stringify(value)}`);
  }
  return value as ManagedBy;
}

export function checkActive(value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidParameter('active', 'active must be true or false');
}
