/**
 * A model of the feed's hard part, for unit tests: events that commit up to `lagMs` after
 * their `created_at`, out of order, served page by page with a cursor that moves strictly
 * forward, on a clock the test controls. Served through a Transport, so the real client,
 * feed and poller code run on top of it.
 */
import type { EventEnvelope, HttpRequest, HttpResponse, Transport } from '@eventsync/core';

interface StoredEvent {
  readonly event: EventEnvelope;
  readonly createdMs: number;
  readonly visibleMs: number;
}

export class LaggingFeed {
  readonly events: StoredEvent[] = [];
  clock: number;
  /** Milliseconds the clock advances per request, so later pages of a pass see more commits. */
  requestCostMs = 5;
  /** Answers carry the feed's clock in a `Date` header, as HTTP servers do; off to model an API that sends none. */
  sendsDate = true;
  /** Requests served, for tests of how many a sync spends. */
  requests = 0;
  private counter = 0;
  private seed: number;

  constructor(start: number, private readonly lagMs: number, seed = 7) {
    this.clock = start;
    this.seed = seed;
  }

  random(): number {
    // mulberry32: deterministic per seed.
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = this.seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Creates an event at `createdMs` (default now) that becomes visible after a random commit delay. */
  create(createdMs = this.clock, delayMs = Math.floor(this.random() * this.lagMs)): EventEnvelope {
    const id = `evt_${String(this.counter++).padStart(8, '0')}`;
    const event: EventEnvelope = { id, type: 'customer.created', created_at: new Date(createdMs).toISOString(), data: { n: this.counter } };
    this.events.push({ event, createdMs, visibleMs: createdMs + delayMs });
    return event;
  }

  readonly transport: Transport = async (request: HttpRequest): Promise<HttpResponse> => {
    this.clock += this.requestCostMs;
    this.requests++;
    const url = new URL(request.url);
    const params = url.searchParams;
    const order = params.get('order') ?? 'asc';
    const cursor = params.get('cursor');
    const state = cursor
      ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { since: number; until: number; limit: number; after: [number, string] })
      : {
          since: params.has('since') ? Date.parse(params.get('since')!) : -8.64e15,
          until: params.has('until') ? Date.parse(params.get('until')!) : 8.64e15,
          limit: Number(params.get('limit') ?? 50),
          after: [-8.64e15, ''] as [number, string],
        };
    const matching = this.events
      .filter((stored) => stored.visibleMs <= this.clock && stored.createdMs >= state.since && stored.createdMs < state.until)
      .filter((stored) => compare(stored, state.after) > 0)
      .sort((a, b) => a.createdMs - b.createdMs || a.event.id.localeCompare(b.event.id));
    // Newest first serves "the latest few" only: no cursor follows such a page here.
    if (order === 'desc') matching.reverse();
    const page = matching.slice(0, state.limit);
    const last = page.at(-1);
    const hasMore = matching.length > page.length;
    const next = hasMore && last ? Buffer.from(JSON.stringify({ ...state, after: [last.createdMs, last.event.id] })).toString('base64url') : null;
    const body = { data: page.map((stored) => stored.event), has_more: hasMore, next_cursor: next };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.sendsDate) headers.date = new Date(this.clock).toUTCString();
    return { status: 200, headers, body: JSON.stringify(body) };
  };
}

function compare(stored: StoredEvent, [createdMs, id]: [number, string]): number {
  return stored.createdMs - createdMs || stored.event.id.localeCompare(id);
}
