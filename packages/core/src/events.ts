/**
 * The events feed (docs/api-contract.md, Events feed): pages over since/until/type/limit/order, following the
 * server's opaque cursor. `pages()` asks for page n+1 as soon as page n arrives, so the
 * caller's work on a page (writing it to a sink) overlaps the next round trip.
 */
import type { ApiClient } from './client.js';
import type { ServerClock } from './server-clock.js';
import { PAGE_LIMIT_MAX } from './config.js';
import { InvalidInputError } from './errors.js';
import type { EventEnvelope, EventQuery, Page } from './types.js';

export interface FeedPage {
  readonly events: EventEnvelope[];
  readonly hasMore: boolean;
  readonly nextCursor: string | null;
  /** Local clock when the request for this page was made. */
  readonly requestedAt: number;
  /**
   * The server's clock had reached this (epoch ms) when it served the page: its `Date`
   * header. What "visible by then" is judged against; undefined when the API sends no `Date`.
   */
  readonly serverTime: number | undefined;
}

export interface PagesOptions {
  /** Fetch the next page while the caller handles this one. Default true. */
  readonly prefetch?: boolean;
  /** Stops the walk: pending requests and their waits end with StoppedError. */
  readonly signal?: AbortSignal;
}

export class EventsFeed {
  constructor(private readonly api: ApiClient) {}

  /** The API's clock, which decides what the feed shows. */
  get clock(): ServerClock {
    return this.api.clock;
  }

  /** One page; pass the previous page's `nextCursor` to continue. */
  async page(query: EventQuery, cursor?: string | null, signal?: AbortSignal): Promise<FeedPage> {
    const requestedAt = this.api.runtime.now();
    const { body: page, serverTime } = await this.api.send<Page<EventEnvelope>>({
      method: 'GET',
      path: '/events',
      ...(signal ? { signal } : {}),
      // A cursor carries the filters; sent alone, it cannot disagree with them.
      query: cursor ? { cursor } : toQuery(query),
    });
    return { events: page.data, hasMore: page.has_more, nextCursor: page.next_cursor, requestedAt, serverTime };
  }

  /** Every page of the query, in order, until the feed says there are no more. */
  async *pages(query: EventQuery, options: PagesOptions = {}): AsyncGenerator<FeedPage> {
    validateQuery(query);
    const { prefetch = true, signal } = options;
    let pending: Promise<FeedPage> | undefined = this.page(query, undefined, signal);
    while (pending) {
      const current: FeedPage = await pending;
      pending = undefined;
      const nextCursor = current.hasMore ? current.nextCursor : null;
      if (nextCursor && prefetch) {
        pending = this.page(query, nextCursor, signal);
        // If the caller stops early, this request's failure must not surface as an unhandled rejection.
        pending.catch(() => undefined);
      }
      yield current;
      if (nextCursor && !prefetch) pending = this.page(query, nextCursor, signal);
    }
  }

  /** Every event of the query, in feed order. */
  async *iterate(query: EventQuery, options?: PagesOptions): AsyncGenerator<EventEnvelope> {
    for await (const page of this.pages(query, options)) yield* page.events;
  }

  /** The newest `count` events (at most 100), newest first: samples and "the latest few". */
  async latest(count = 1, types?: readonly string[], signal?: AbortSignal): Promise<EventEnvelope[]> {
    const page = await this.page({ order: 'desc', limit: Math.min(Math.max(count, 1), PAGE_LIMIT_MAX), ...(types ? { types } : {}) }, undefined, signal);
    return page.events;
  }
}

function toQuery(query: EventQuery): Record<string, string | number | undefined> {
  return {
    since: query.since,
    until: query.until,
    type: query.types && query.types.length > 0 ? query.types.join(',') : undefined,
    limit: query.limit,
    order: query.order,
  };
}

function validateQuery(query: EventQuery): void {
  const { limit } = query;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT_MAX)) {
    throw new InvalidInputError(`limit must be a whole number from 1 to ${PAGE_LIMIT_MAX}, got ${limit}`, 'limit');
  }
  for (const name of ['since', 'until'] as const) {
    const value = query[name];
    if (value !== undefined && Number.isNaN(Date.parse(value))) {
      throw new InvalidInputError(`${name} must be an ISO 8601 timestamp such as 2026-04-03T09:15:00.000Z, got "${value}"`, name);
    }
  }
}
