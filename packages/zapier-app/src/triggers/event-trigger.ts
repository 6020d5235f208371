/**
 * One factory for every event trigger, instant (REST hook) or polling, generic (the user picks
 * types) or ready-made (types fixed). Everything HTTP goes through the core.
 */
import { PAGE_LIMIT_MAX, SignatureError, TEST_EVENT_TYPE, getPreset, parseEnvelope, presetNameOrDefault, verifyWebhook, type EventEnvelope } from '@eventsync/core';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { withClient, type AuthData } from '../client.js';
import { dataOutputFields, eventOutputFields } from '../samples.js';

export interface EventTriggerSpec {
  readonly key: string;
  readonly noun: string;
  readonly label: string;
  /** Must start "Triggers when ". */
  readonly description: string;
  readonly mode: 'hook' | 'polling';
  /** Fixed types for a ready-made trigger; absent: the user chooses (none = every type). */
  readonly types?: readonly string[];
  readonly sample: EventEnvelope;
}

/** What performSubscribe returns and Zapier keeps as `bundle.subscribeData`. */
export interface SubscribeData {
  readonly id: string;
  readonly secret: string;
  readonly events: readonly string[];
}

/** Newest events a poll asks for; Zapier dedupes by `id`. */
export const POLL_LIMIT = 50;
/** Events shown when a user tests the trigger: the Zap editor uses three samples. */
export const LIST_LIMIT = 3;

interface PollMeta {
  readonly isLoadingSample?: boolean;
  readonly isPopulatingDedupe?: boolean;
  readonly limit?: number;
}

/**
 * How many of the newest events a poll asks for, as Zapier's `bundle.meta` says what the poll is for:
 * - the editor loading samples: three (all it shows);
 * - turning a Zap on (filling the dedupe list): a full page, more than any later poll returns. The
 *   feed is newest first, so an event older than that page never comes back into a later poll's
 *   first page; and one request keeps the call well inside Zapier's 30 s;
 * - a running Zap: `meta.limit` when Zapier gives one, else 50.
 */
export function pollLimit(meta: PollMeta | undefined): number {
  if (meta?.isLoadingSample) return LIST_LIMIT;
  if (meta?.isPopulatingDedupe) return PAGE_LIMIT_MAX;
  const limit = Number(meta?.limit);
  return limit > 0 ? Math.min(limit, PAGE_LIMIT_MAX) : POLL_LIMIT;
}

export const typesInputField = {
  key: 'event_types',
  label: 'Event Types',
  helpText: 'Only these event types start the Zap. Leave empty for every type.',
  dynamic: 'event_type_list.id.name',
  list: true,
  required: false,
  altersDynamicFields: false,
};

/** The chosen types: fixed ones, else the input (a list, or comma-separated text), else none = all. */
export function typesFor(spec: Pick<EventTriggerSpec, 'types'>, bundle: Bundle): string[] {
  if (spec.types) return [...spec.types];
  const raw = (bundle.inputData as { event_types?: unknown } | undefined)?.event_types;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  return [...new Set(list.map((item) => String(item).trim()).filter((item) => item !== ''))];
}

/**
 * Zapier hands a hook's headers over renamed: `X-Webhook-Signature` arrives as
 * `Http-X-Webhook-Signature`. Undo that so the core's verifier finds its header names.
 */
export function unprefixHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(' ') : String(value);
    out[name.replace(/^http[-_]/i, '').replace(/_/g, '-').toLowerCase()] = text;
  }
  return out;
}

/**
 * The hook's `perform`: verify the signature over the raw body, then return the envelope.
 * A delivery that fails verification returns [] (nothing runs) and logs why: throwing would
 * mark the Zap run as errored, and Zapier turns off Zaps that error often, so anyone who
 * learned the hook URL could switch the user's Zap off with forged posts.
 */
export async function performHook(z: ZObject, bundle: Bundle, spec: Pick<EventTriggerSpec, 'types'>): Promise<EventEnvelope[]> {
  const raw = (bundle as { rawRequest?: { content?: string; headers?: unknown } }).rawRequest;
  const subscribeData = (bundle as { subscribeData?: Partial<SubscribeData> }).subscribeData;
  // The preset's signature settings: no key or URL needed to verify, so none is checked here.
  const settings = getPreset(presetNameOrDefault(((bundle.authData ?? {}) as AuthData).preset)).signature;
  if (!raw || typeof raw.content !== 'string') {
    z.console.log('Eventsync hook: no raw request body; ignoring the call.');
    return [];
  }
  try {
    verifyWebhook({
      settings,
      rawBody: raw.content,
      headers: unprefixHeaders(raw.headers),
      secrets: subscribeData?.secret ?? '',
      now: Date.now(),
    });
  } catch (error) {
    if (error instanceof SignatureError) {
      z.console.log(`Eventsync hook refused: ${error.message}`);
      return [];
    }
    throw error;
  }
  const envelope = parseEnvelope(raw.content);
  if (!envelope) {
    z.console.log('Eventsync hook refused: the signed body is not an event envelope ({ id, type, created_at, data }).');
    return [];
  }
  if (envelope.type === TEST_EVENT_TYPE) return [];
  const types = typesFor(spec, bundle);
  if (types.length > 0 && !types.includes('*') && !types.includes(envelope.type)) return [];
  return [envelope];
}

export function makeEventTrigger(spec: EventTriggerSpec) {
  const inputFields = spec.types ? [] : [typesInputField];
  const display = { label: spec.label, description: spec.description };
  // The envelope, then the payload's fields: a ready-made trigger's type is fixed; for the others
  // Zapier asks this function with the chosen types (none chosen: every type's fields).
  const outputFields = spec.types
    ? [...eventOutputFields, ...dataOutputFields(spec.types)]
    : [...eventOutputFields, async (_z: ZObject, bundle: Bundle) => dataOutputFields(typesFor(spec, bundle))];

  /** Newest first (order=desc): Zapier dedupes by `id` and expects the newest at the top. */
  const poll = (z: ZObject, bundle: Bundle) =>
    withClient(z, bundle, async (client) => {
      const types = typesFor(spec, bundle).filter((type) => type !== '*');
      const limit = pollLimit(bundle.meta as PollMeta | undefined);
      const page = await client.events.page({ order: 'desc', limit, ...(types.length > 0 ? { types } : {}) });
      return page.events;
    });

  if (spec.mode === 'polling') {
    return {
      key: spec.key,
      noun: spec.noun,
      display,
      operation: {
        type: 'polling' as const,
        inputFields,
        perform: poll,
        sample: { ...spec.sample } as Record<string, unknown>,
        outputFields,
      },
    };
  }

  return {
    key: spec.key,
    noun: spec.noun,
    display,
    operation: {
      type: 'hook' as const,
      inputFields,
      performSubscribe: (z: ZObject, bundle: Bundle) =>
        withClient(z, bundle, async (client): Promise<SubscribeData> => {
          const types = typesFor(spec, bundle);
          const events = types.length > 0 ? types : ['*'];
          const created = await client.subscriptions.create({
            url: String((bundle as { targetUrl?: string }).targetUrl ?? ''),
            events,
            managedBy: 'zapier',
            description: `Zapier: ${spec.label}`,
          });
          return { id: created.id, secret: created.secret, events: created.events };
        }),
      performUnsubscribe: (z: ZObject, bundle: Bundle) =>
        withClient(z, bundle, async (client) => {
          const id = (bundle as { subscribeData?: Partial<SubscribeData> }).subscribeData?.id ?? '';
          // A 404 is success here: the subscription is gone either way.
          return client.subscriptions.delete(id);
        }),
      perform: (z: ZObject, bundle: Bundle) => performHook(z, bundle, spec),
      /** Recent events from the feed, in exactly the shape a delivery has: the envelope. */
      performList: (z: ZObject, bundle: Bundle) =>
        withClient(z, bundle, async (client) => {
          const types = typesFor(spec, bundle).filter((type) => type !== '*');
          return client.events.latest(LIST_LIMIT, types.length > 0 ? types : undefined);
        }),
      sample: { ...spec.sample } as Record<string, unknown>,
      outputFields,
    },
  };
}
