/**
 * Webhook subscriptions (docs/api-contract.md, Webhook subscriptions), under the preset's
 * `subscriptionsPath` (`/webhooks/subscriptions`, or `/webhooks` for ventryx and partner):
 * create (the only answer that shows the secret), list, get, patch, delete, test delivery and
 * the failures audit.
 */
import { PAGE_LIMIT_DEFAULT, type Preset } from '@eventsync/core';
import { decodeCursor, encodeCursor, parseLimit } from '../cursor.js';
import type { DeliveryEngine } from '../deliveries.js';
import { ApiFailure, invalidParameter, notFound } from '../errors.js';
import type { MonotonicUlid, Random } from '../random.js';
import type { Reply, RequestContext, Route } from '../router.js';
import { view, viewWithSecret, type ManagedBy, type StoredSubscription, type SubscriptionStore } from '../subscriptions.js';
import { checkActive, checkDescription, checkEvents, checkManagedBy, checkUrl } from './subscription-input.js';

const CURSOR_SUBSCRIPTIONS = 'subscriptions';
const CURSOR_FAILURES = 'failures';
const SECRET_BYTES = 24;
const READ = { scope: 'webhooks:read' } as const;
const WRITE = { scope: 'webhooks:write' } as const;

/** Where to change a managed subscription's url or events instead (docs/api-contract.md, Webhook subscriptions). */
const MANAGED_HINTS: Record<ManagedBy, string> = {
  zapier: 'managed by Zapier: edit the Zap',
  n8n: 'managed by n8n: edit the workflow in n8n',
  make: 'managed by Make: edit the scenario in Make',
  eventsync: 'managed by eventsync: restart eventsync sync with the new settings',
};

/** The caller's tenant's stores a handler works on, and the seeded streams its new subscriptions draw from. */
interface Parts {
  readonly store: SubscriptionStore;
  readonly engine: DeliveryEngine;
  readonly ids: MonotonicUlid;
  readonly secrets: Random;
}

/** The fields of a PATCH, each checked; undefined where the body leaves it out. */
interface Patch {
  readonly url: string | undefined;
  readonly events: string[] | undefined;
  readonly description: string | null | undefined;
  readonly active: boolean | undefined;
}

export function subscriptionRoutes(preset: Preset): Route[] {
  const base = preset.subscriptionsPath;
  return [
    // A create retried with the same Idempotency-Key gets the first answer, secret included:
    // the first answer was lost, and a subscription whose secret nobody has is useless.
    { method: 'POST', path: base, ...WRITE, idempotent: true, handle: (context) => createSubscription(parts(context), context) },
    { method: 'GET', path: base, ...READ, handle: (context) => listSubscriptions(parts(context).store, context) },
    { method: 'GET', path: `${base}/:id`, ...READ, handle: (context) => ({ status: 200, body: view(find(parts(context).store, context)) }) },
    { method: 'PATCH', path: `${base}/:id`, ...WRITE, handle: (context) => patchSubscription(parts(context), context) },
    { method: 'DELETE', path: `${base}/:id`, ...WRITE, handle: (context) => deleteSubscription(parts(context), context) },
    // A retried test (same Idempotency-Key) answers with the first attempt instead of sending another.
    { method: 'POST', path: `${base}/:id/test`, ...WRITE, idempotent: true, handle: (context) => sendTestDelivery(parts(context), context) },
    { method: 'GET', path: `${base}/:id/failures`, ...READ, handle: (context) => listFailures(parts(context).store, context) },
  ];
}

function parts({ tenant }: RequestContext): Parts {
  return { store: tenant.subscriptions, engine: tenant.deliveries, ids: tenant.subscriptionIds, secrets: tenant.webhookSecrets };
}

function createSubscription({ store, ids, secrets }: Parts, { body, now }: RequestContext): Reply {
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
}

function listSubscriptions(store: SubscriptionStore, { query }: RequestContext): Reply {
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
}

/** Checks everything before changing anything: a refused PATCH applies nothing, `active` included. */
function patchSubscription({ store, engine }: Parts, context: RequestContext): Reply {
  const subscription = find(store, context);
  const patch = readPatch(context.body(), subscription);
  refuseManagedChange(subscription, patch);
  if (patch.url !== undefined) subscription.url = patch.url;
  if (patch.events !== undefined) subscription.events = patch.events;
  if (patch.description !== undefined) subscription.description = patch.description;
  if (patch.active === true) {
    // Re-enabling is how a circuit-broken subscription comes back: with a clean slate.
    subscription.active = true;
    subscription.consecutiveFailures = 0;
    subscription.autoDisabledMs = null;
  } else if (patch.active === false && subscription.active) {
    subscription.active = false;
    engine.dropPending(subscription.id);
  }
  return { status: 200, body: view(subscription) };
}

function readPatch(input: Record<string, unknown>, subscription: StoredSubscription): Patch {
  const patch: Patch = {
    url: input.url === undefined ? undefined : checkUrl(input.url),
    events: input.events === undefined ? undefined : checkEvents(input.events),
    description: input.description === undefined ? undefined : checkDescription(input.description),
    active: checkActive(input.active),
  };
  if (input.managed_by !== undefined && input.managed_by !== subscription.managedBy) {
    throw invalidParameter('managed_by', 'managed_by is set when a subscription is created and cannot be changed; create a new subscription instead');
  }
  return patch;
}

/** Only a change counts: sending a managed subscription's current url or events back is fine. */
function refuseManagedChange(subscription: StoredSubscription, patch: Patch): void {
  if (subscription.managedBy === null) return;
  const urlChanges = patch.url !== undefined && patch.url !== subscription.url;
  const eventsChange = patch.events !== undefined && patch.events.join(',') !== subscription.events.join(',');
  if (!urlChanges && !eventsChange) return;
  const field = urlChanges ? 'url' : 'events';
  const message = `this subscription is ${MANAGED_HINTS[subscription.managedBy]}; its ${field} cannot be changed here (active and description can)`;
  throw new ApiFailure(403, 'managed_subscription', message, { managed_by: subscription.managedBy });
}

function deleteSubscription({ store, engine }: Parts, context: RequestContext): Reply {
  const subscription = find(store, context);
  store.delete(subscription.id);
  engine.dropPending(subscription.id);
  return { status: 204 };
}

/** Waits for the attempt: the answer says how the endpoint responded. */
async function sendTestDelivery({ store, engine }: Parts, context: RequestContext): Promise<Reply> {
  return { status: 200, body: await engine.test(find(store, context)) };
}

function listFailures(store: SubscriptionStore, context: RequestContext): Reply {
  const subscription = find(store, context);
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
  const next = page.hasMore && page.lastSeq !== undefined ? encodeCursor(CURSOR_FAILURES, { s: subscription.id, b: page.lastSeq, l: limit }) : null;
  return { status: 200, body: { data: page.items, has_more: page.hasMore, next_cursor: next } };
}

function find(store: SubscriptionStore, context: RequestContext): StoredSubscription {
  const subscription = store.get(context.params.id!);
  if (!subscription) throw notFound(`no webhook subscription with id ${context.params.id!} (deleted, or never created with this tenant)`);
  return subscription;
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
