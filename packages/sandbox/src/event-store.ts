/**
 * The feed's storage: events sorted by (created_at, id), plus one sorted index per type so
 * a `type=` filter reads only matching events. A page is two binary searches and a walk of
 * about `limit` entries, whatever the store's size; the only entries skipped are ones not
 * yet committed, which exist only near the head of the feed.
 */
import type { EventEnvelope, EventType } from '@eventsync/core';

/** Makes an event's data when it was not given; shared by all events, so an event holds no closure. */
export type SampleData = (type: EventType, ms: number, id: string) => Record<string, unknown>;

/**
 * One event. The envelope is built on demand and its JSON cached on first serve: a backlog
 * event that is never read costs a few fields, one that is read often is serialised once.
 */
export class StoredEvent {
  private json: string | undefined;

  constructor(
    readonly ms: number,
    readonly id: string,
    readonly type: EventType,
    /** When the write commits: before this the event exists but the feed does not show it. */
    readonly visibleAt: number,
    private readonly data: Record<string, unknown> | null,
    private readonly sample: SampleData,
  ) {}

  get envelope(): EventEnvelope {
    return {
      id: this.id,
      type: this.type,
      created_at: new Date(this.ms).toISOString(),
      data: this.data ?? this.sample(this.type, this.ms, this.id),
    };
  }

  toJSONText(): string {
    this.json ??= JSON.stringify(this.envelope);
    return this.json;
  }
}

/** A position in feed order; paging continues strictly after (asc) or before (desc) it. */
export interface FeedKey {
  readonly ms: number;
  readonly id: string;
}

export interface PageRequest {
  /** Inclusive lower bound on created_at (since, or the retention edge). */
  readonly fromMs: number;
  /** Exclusive upper bound on created_at (until), or Infinity. */
  readonly toMs: number;
  readonly after?: FeedKey;
  /** null: every type. */
  readonly types: readonly EventType[] | null;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly now: number;
}

export interface PageResult {
  readonly items: StoredEvent[];
  readonly hasMore: boolean;
}

function compare(a: FeedKey, b: FeedKey): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** First index whose key is >= key (or > key when `strict`). */
function search(events: readonly StoredEvent[], key: FeedKey, strict: boolean): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const c = compare(events[mid]!, key);
    if (c < 0 || (strict && c === 0)) low = mid + 1;
    else high = mid;
  }
  return low;
}

function insertSorted(events: StoredEvent[], event: StoredEvent): void {
  const last = events[events.length - 1];
  if (!last || compare(last, event) <= 0) events.push(event);
  else events.splice(search(events, event, true), 0, event);
}

interface Run {
  readonly events: readonly StoredEvent[];
  /** Next index to read; walks up for asc, down for desc. */
  pos: number;
  /** asc: exclusive end; desc: inclusive start. */
  readonly stop: number;
}

export class EventStore {
  private all: StoredEvent[] = [];
  private readonly byType = new Map<EventType, StoredEvent[]>();

  get size(): number {
    return this.all.length;
  }

  add(event: StoredEvent): void {
    insertSorted(this.all, event);
    let typed = this.byType.get(event.type);
    if (!typed) {
      typed = [];
      this.byType.set(event.type, typed);
    }
    insertSorted(typed, event);
  }

  page(request: PageRequest): PageResult {
    const next = this.walker(request);
    const items: StoredEvent[] = [];
    const { now, limit } = request;
    for (let event = next(); event; event = next()) {
      if (event.visibleAt > now) continue;
      if (items.length === limit) return { items, hasMore: true };
      items.push(event);
    }
    return { items, hasMore: false };
  }

  /** Every event in feed order; only those committed by `visibleAt` when given. */
  list(visibleAt?: number): StoredEvent[] {
    return visibleAt === undefined ? [...this.all] : this.all.filter((event) => event.visibleAt <= visibleAt);
  }

  ids(visibleAt?: number): string[] {
    return this.list(visibleAt).map((event) => event.id);
  }

  countVisible(now: number): number {
    let count = 0;
    for (const event of this.all) if (event.visibleAt <= now) count++;
    return count;
  }

  /** Drops events created before `cutoffMs` (out of retention: no query can reach them). */
  prune(cutoffMs: number): void {
    const cut = (events: StoredEvent[]): StoredEvent[] => {
      const n = search(events, { ms: cutoffMs, id: '' }, false);
      return n === 0 ? events : events.slice(n);
    };
    this.all = cut(this.all);
    for (const [type, events] of this.byType) this.byType.set(type, cut(events));
  }

  /** Yields candidates in feed order within the bounds; visibility is the caller's filter. */
  private walker(request: PageRequest): () => StoredEvent | undefined {
    const sources: readonly (readonly StoredEvent[])[] = request.types
      ? request.types.map((type) => this.byType.get(type) ?? [])
      : [this.all];
    const asc = request.order === 'asc';
    const runs: Run[] = [];
    for (const events of sources) {
      const low = search(events, { ms: request.fromMs, id: '' }, false);
      const high = request.toMs === Infinity ? events.length : search(events, { ms: request.toMs, id: '' }, false);
      let run: Run;
      if (asc) {
        const start = request.after ? Math.max(low, search(events, request.after, true)) : low;
        run = { events, pos: start, stop: high };
        if (run.pos < run.stop) runs.push(run);
      } else {
        const end = request.after ? Math.min(high, search(events, request.after, false)) : high;
        run = { events, pos: end - 1, stop: low };
        if (run.pos >= run.stop) runs.push(run);
      }
    }
    if (runs.length === 1) {
      const run = runs[0]!;
      return asc
        ? () => (run.pos < run.stop ? run.events[run.pos++] : undefined)
        : () => (run.pos >= run.stop ? run.events[run.pos--] : undefined);
    }
    // Several types: merge their runs, picking the next head in feed order each step.
    return () => {
      let best: Run | undefined;
      for (const run of runs) {
        const live = asc ? run.pos < run.stop : run.pos >= run.stop;
        if (!live) continue;
        if (!best) {
          best = run;
          continue;
        }
        const c = compare(run.events[run.pos]!, best.events[best.pos]!);
        if (asc ? c < 0 : c > 0) best = run;
      }
      if (!best) return undefined;
      const event = best.events[best.pos]!;
      best.pos += asc ? 1 : -1;
      return event;
    };
  }
}
