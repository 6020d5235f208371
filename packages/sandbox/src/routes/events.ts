/**
 * GET /events (docs/api-contract.md, Events feed). The cursor carries the filters and the last key served;
 * the next page starts strictly after that key, so an event that commits late behind a
 * cursor is not on any later page: exactly what a client's look-back exists for.
 */
import { EVENT_TYPES, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, RETENTION_MS, isEventType, type EventType } from '@eventsync/core';
import { decodeCursor, encodeCursor, parseLimit } from '../cursor.js';
import { invalidParameter } from '../errors.js';
import type { FeedKey, StoredEvent } from '../event-store.js';
import type { RequestContext, Route } from '../router.js';
import type { SandboxState } from '../state.js';
import { isoTime, parseIsoTime } from '../time.js';

const CURSOR_LIST = 'events';

interface FeedFilters {
  readonly since: number | null;
  readonly until: number | null;
  /** Sorted and de-duplicated; null: every type. */
  readonly types: EventType[] | null;
  readonly order: 'asc' | 'desc';
}

export function eventRoutes(): Route[] {
  return [{ method: 'GET', path: '/events', scope: 'events:read', handle: (context) => listEvents(context.tenant.state, context) }];
}

function listEvents(state: SandboxState, context: RequestContext) {
  const { query, now } = context;
  const given = readFilters(query);
  let limit = parseLimit(query.get('limit'));
  let filters: FeedFilters;
  let after: FeedKey | undefined;
  const cursorText = query.get('cursor');
  if (cursorText !== null && cursorText !== '') {
    const cursor = readCursor(cursorText);
    filters = cursor.filters;
    after = cursor.after;
    limit ??= cursor.limit;
    checkAgainstCursor(given, filters);
  } else {
    filters = {
      since: given.since ?? null,
      until: given.until ?? null,
      types: given.types ?? null,
      order: given.order ?? 'asc',
    };
    const oldest = now - RETENTION_MS;
    if (filters.since !== null && filters.since < oldest) {
      throw invalidParameter(
        'since',
        `since is older than the 30-day retention; the oldest allowed value is ${isoTime(oldest)} (events before it are gone)`,
      );
    }
  }
  limit ??= PAGE_LIMIT_DEFAULT;
  const fromMs = Math.max(filters.since ?? -Infinity, now - RETENTION_MS);
  const toMs = filters.until ?? Infinity;
  const { items, hasMore } = state.events.page({ fromMs, toMs, after, types: filters.types, order: filters.order, limit, now });
  const last = items[items.length - 1];
  const nextCursor =
    hasMore && last
      ? encodeCursor(CURSOR_LIST, {
          o: filters.order,
          s: filters.since,
          u: filters.until,
          t: filters.types,
          l: limit,
          k: [last.ms, last.id],
        })
      : null;
  return { status: 200, text: pageText(items, hasMore, nextCursor) };
}

/** Builds the page from each event's cached JSON instead of re-serialising envelopes. */
function pageText(items: StoredEvent[], hasMore: boolean, nextCursor: string | null): string {
  let data = '';
  for (let i = 0; i < items.length; i++) {
    const json = items[i]!.toJSONText();
    data += i === 0 ? json : `,${json}`;
  }
  return `{"data":[${data}],"has_more":${hasMore},"next_cursor":${nextCursor === null ? 'null' : `"${nextCursor}"`}}`;
}

interface GivenFilters {
  readonly since?: number;
  readonly until?: number;
  readonly types?: EventType[];
  readonly order?: 'asc' | 'desc';
}

function readFilters(query: URLSearchParams): GivenFilters {
  const filters: { -readonly [K in keyof GivenFilters]: GivenFilters[K] } = {};
  for (const name of ['since', 'until'] as const) {
    const text = query.get(name);
    if (text === null || text === '') continue;
    const ms = parseIsoTime(text);
    if (ms === undefined) {
      throw invalidParameter(name, `${name} must be an ISO 8601 timestamp such as 2026-04-03T09:15:00.000Z; got "${text}"`);
    }
    filters[name] = ms;
  }
  // `type=a,b` and `type=a&type=b` both work; an empty value means "every type".
  const names = query
    .getAll('type')
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length > 0) {
    for (const name of names) {
      if (!isEventType(name)) {
        throw invalidParameter('type', `"${name}" is not an event type (types are lower-case and case-sensitive); use one of ${EVENT_TYPES.join(', ')}`);
      }
    }
    filters.types = [...new Set(names as EventType[])].sort();
  }
  const order = query.get('order');
  if (order !== null && order !== '') {
    if (order !== 'asc' && order !== 'desc') throw invalidParameter('order', `order must be asc or desc; got "${order}"`);
    filters.order = order;
  }
  return filters;
}

function readCursor(text: string): { filters: FeedFilters; after: FeedKey; limit: number } {
  const payload = decodeCursor(CURSOR_LIST, text);
  const { o, s, u, t, l, k } = payload;
  const isTime = (value: unknown): value is number | null => value === null || Number.isFinite(value);
  const valid =
    (o === 'asc' || o === 'desc') &&
    isTime(s) &&
    isTime(u) &&
    (t === null || (Array.isArray(t) && t.every((type) => typeof type === 'string' && isEventType(type)))) &&
    Number.isInteger(l) &&
    (l as number) >= 1 &&
    (l as number) <= PAGE_LIMIT_MAX &&
    Array.isArray(k) &&
    k.length === 2 &&
    Number.isFinite(k[0]) &&
    typeof k[1] === 'string';
  if (!valid) throw invalidParameter('cursor', 'cursor is damaged: pass next_cursor from the previous page unchanged');
  return {
    filters: { since: s, until: u, types: t as EventType[] | null, order: o },
    after: { ms: k[0] as number, id: k[1] as string },
    limit: l as number,
  };
}

/** A cursor fixes the filters: a parameter sent with it must say the same thing (or be left out). */
function checkAgainstCursor(given: GivenFilters, fixed: FeedFilters): void {
  const clash = (name: string, was: string) =>
    invalidParameter('cursor', `this cursor was issued for ${name}=${was}; send the same ${name} with it or leave ${name} out`);
  if (given.since !== undefined && given.since !== fixed.since) throw clash('since', fixed.since === null ? '(none)' : isoTime(fixed.since));
  if (given.until !== undefined && given.until !== fixed.until) throw clash('until', fixed.until === null ? '(none)' : isoTime(fixed.until));
  if (given.types !== undefined && given.types.join(',') !== (fixed.types ?? []).join(',')) {
    throw clash('type', fixed.types === null ? '(every type)' : fixed.types.join(','));
  }
  if (given.order !== undefined && given.order !== fixed.order) throw clash('order', fixed.order);
}
