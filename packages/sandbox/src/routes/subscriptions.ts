/**
 * Webhook subscriptions (docs/api-contract.md, Webhook subscriptions), under the preset's
 * `subscriptionsPath` (`/webhooks/subscriptions`, or `/webhooks` for ventryx and partner):
 * create (the only answer that shows the secret), list, get, patch, delete, test delivery and
 * the failures audit.
 */
import { EVENT_TYPES, PAGE_LIMIT_DEFAULT, TEST_EVENT_TYPE, isEventType } from '@eventsync/core';
import { decodeCursor, encodeCursor, parseLimit } from '../cursor.js';
import type { DeliveryEngine } from '../deliveries.js';
import { ApiFailure, invalidParameter, notFound } from '../errors.js';
import { MonotonicUlid, Random, streamSeed } from '../random.js';
import type { RequestContext, Route } from '../router.js';
import type { SandboxState } from '../state.js';
import { MANAGERS, view, viewWithSecret, type ManagedBy, type StoredSubscription, type SubscriptionStore } from '../subscriptions.js';

const CURSOR_SUBSCRIPTIONS = 'subscriptions';
const CURSOR_FAILURES = 'failures';
const MAX_URL = 2048;
const MAX_DESCRIPTION = 500;
const SECRET_BYTES = 24;

/** Where to change a managed subscription's url or events instead (docs/api-contract.md, Webhook subscriptions). */
const MANAGED_HINTS: Record<ManagedBy, string> = {
  zapier: 'managed by Zapier: edit the Zap',
  n8n: 'managed by n8n: edit the workflow in n8n',
  make: 'managed by Make: edit the scenario in Make',
  eventsync: 'managed by eventsync: restart eventsync sync with the new settings',
};

export function subscriptionRoutes(state: SandboxState, store: SubscriptionStore, engine: DeliveryEngine): Route[] {
  const base = state.preset.subscriptionsPath;
  const ids = new MonotonicUlid(new Random(streamSeed(state.options.seed, 'subscription-ids')));
  const secrets = new Random(streamSeed(state.options.seed, 'webhook-secrets'));
  const read = { scope: 'webhooks:read' } as const;
  const write = { scope: 'webhooks:write' } as const;
  const find = (context: RequestContext): StoredSubscription => {
    const subscription = store.get(context.params.id!);
    if (!subscription) throw notFound(`no webhook subscription with id ${context.params.id!} (deleted, or never created with this tenant)`);
    return subscription;
  };

  return [
    {
      method: 'POST',
      path: base,
      ...write,
      // A create retried with the same Idempotency-Key gets the first answer, secret included:
      // the first answer was lost, and a subscription whose secret nobody has is useless.
      idempotent: true,
      handle: ({ body, now }) => {
        const input = body();
        const subscription = store.add({
          id: `whsub_${ids.next(now)}`,
          secret: newSecret(secrets),
          url: checkUrl(input.url),
          events: checkEvents(input.events),
          description: checkDescription(input.description),
          managedBy: checkManagedBy(input.managed_by),
          createdMs: now,
        });
        return { status: 201, body: viewWithSecret(subscription) };
      },
    },
    {
      method: 'GET',
      path: base,
      ...read,
      handle: ({ query }) => {
        let limit = parseLimit(query.get('limit'));
        let after = -1;
        const cursor = query.get('cursor');
        if (cursor) {
          const { a, l } = decodeCursor(CURSOR_SUBSCRIPTIONS, cursor);
          if (!Number.isInteger(a) || !Number.isInteger(l)) throw damagedCursor();
          after = a as number;
          limit ??= l as number;
        }
        limit ??= PAGE_LIMIT_DEFAULT;
        const { items, hasMore } = store.page(after, limit);
        const last = items[items.length - 1];
        const next = hasMore && last ? encodeCursor(CURSOR_SUBSCRIPTIONS, { a: last.seq, l: limit }) : null;
        return { status: 200, body: { data: items.map(view), has_more: hasMore, next_cursor: next } };
      },
    },
    { method: 'GET', path: `${base}/:id`, ...read, handle: (context) => ({ status: 200, body: view(find(context)) }) },
    {
      method: 'PATCH',
      path: `${base}/:id`,
      ...write,
      handle: (context) => {
        const subscription = find(context);
        const input = context.body();
        const url = input.url === undefined ? undefined : checkUrl(input.url);
        const events = input.events === undefined ? undefined : checkEvents(input.events);
        const description = input.description === undefined ? undefined : checkDescription(input.description);
        if (input.active !== undefined && typeof input.active !== 'boolean') {
          throw invalidParameter('active', 'active must be true or false');
        }
        if (input.managed_by !== undefined && input.managed_by !== subscription.managedBy) {
          throw invalidParameter('managed_by', 'managed_by is set when a subscription is created and cannot be changed; create a new subscription instead');
        }
        const urlChanges = url !== undefined && url !== subscription.url;
        const eventsChange = events !== undefined && events.join(',') !== subscription.events.join(',');
        if (subscription.managedBy !== null && (urlChanges || eventsChange)) {
          const field = urlChanges ? 'url' : 'events';
          const message = `this subscription is ${MANAGED_HINTS[subscription.managedBy]}; its ${field} cannot be changed here (active and description can)`;
          throw new ApiFailure(403, 'managed_subscription', message, { managed_by: subscription.managedBy });
        }
        if (url !== undefined) subscription.url = url;
        if (events !== undefined) subscription.events = events;
        if (description !== undefined) subscription.description = description;
        if (input.active === true) {
          // Re-enabling is how a circuit-broken subscription comes back: with a clean slate.
          subscription.active = true;
          subscription.consecutiveFailures = 0;
          subscription.autoDisabledMs = null;
        } else if (input.active === false && subscription.active) {
          subscription.active = false;
          engine.dropPending(subscription.id);
        }
        return { status: 200, body: view(subscription) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/:id`,
      ...write,
      handle: (context) => {
        const subscription = find(context);
        store.delete(subscription.id);
        engine.dropPending(subscription.id);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: `${base}/:id/test`,
      ...write,
      // A retried test (same Idempotency-Key) answers with the first attempt instead of sending another.
      idempotent: true,
      handle: async (context) => ({ status: 200, body: await engine.test(find(context)) }),
    },
    {
      method: 'GET',
      path: `${base}/:id/failures`,
      ...read,
      handle: (context) => {
        const subscription = find(context);
        const { query } = context;
        let limit = parseLimit(query.get('limit'));
        let before: number | undefined;
        const cursor = query.get('cursor');
        if (cursor) {
          const { s, b, l } = decodeCursor(CURSOR_FAILURES, cursor);
          if (s !== subscription.id) {
            throw invalidParameter('cursor', `this cursor belongs to another subscription's failures; page ${subscription.id} from its first page`);
          }
          if (!Number.isInteger(b) || !Number.isInteger(l)) throw damagedCursor();
          before = b as number;
          limit ??= l as number;
        }
        limit ??= PAGE_LIMIT_DEFAULT;
        const page = store.failurePage(subscription, before, limit);
        const next =
          page.hasMore && page.lastSeq !== undefined ? encodeCursor(CURSOR_FAILURES, { s: subscription.id, b: page.lastSeq, l: limit }) : null;
        return { status: 200, body: { data: page.items, has_more: page.hasMore, next_cursor: next } };
      },
    },
  ];
}

/** `whsec_` + base64 of 24 seeded bytes: reproducible for a seed, like every other sandbox value. */
function newSecret(random: Random): string {
  const bytes = Buffer.alloc(SECRET_BYTES);
  for (let i = 0; i < SECRET_BYTES; i += 4) bytes.writeUInt32BE(random.uint32(), i);
  return `whsec_${bytes.toString('base64')}`;
}

function damagedCursor(): ApiFailure {
  return invalidParameter('cursor', 'cursor is damaged: pass next_cursor from the previous page unchanged');
}

/** HTTPS, or plain http to a loopback host (a local receiver, the sandbox's own tests). */
function checkUrl(value: unknown): string {
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
function checkEvents(value: unknown): string[] {
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

function checkDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidParameter('description', 'description must be text or null');
  if (value.length > MAX_DESCRIPTION) throw invalidParameter('description', `description must be at most ${MAX_DESCRIPTION} characters`);
  return value;
}

function checkManagedBy(value: unknown): ManagedBy | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !(MANAGERS as readonly string[]).includes(value)) {
    throw invalidParameter('managed_by', `managed_by must be one of ${MANAGERS.map((name) => `"${name}"`).join(', ')} or null; got ${JSON.stringify(value)}`);
  }
  return value as ManagedBy;
}
