/**
 * One sweep of the feed from a checkpoint, for hosts that keep the checkpoint themselves and
 * hand events on in one go: n8n's poll trigger keeps it in the workflow's static data. The
 * sync engine (sync-engine.ts) reads its passes with the same query.
 *
 * Nothing is durable here: the host stores the returned checkpoint together with emitting the
 * events, so that an emit that never happened is read again next time.
 */
import { PAGE_LIMIT_MAX } from './config.js';
import { CheckpointTracker, type Checkpoint, type CheckpointOptions, type PassWindow } from './checkpoint.js';
import type { EventsFeed } from './events.js';
import type { EventEnvelope, EventQuery } from './types.js';

export interface PassQueryOptions {
  /** Event types to read; all when empty or absent. */
  readonly types?: readonly string[] | undefined;
  /** 1..100; default 100, the fewest requests for a backlog. */
  readonly pageSize?: number | undefined;
}

/** The feed query for a pass's window: oldest first, as the checkpoint needs. */
export function passQuery(window: PassWindow, options: PassQueryOptions): EventQuery {
  const { types, pageSize = PAGE_LIMIT_MAX } = options;
  return { ...window, limit: pageSize, order: 'asc', ...(types?.length ? { types } : {}) };
}

export interface PollOnceOptions extends PassQueryOptions {
  readonly checkpoint?: CheckpointOptions;
  readonly signal?: AbortSignal;
}

export interface PollOnceResult {
  /** Events not delivered before, in feed order. */
  readonly events: EventEnvelope[];
  /** Store this with the events: the next poll goes on from it. */
  readonly checkpoint: Checkpoint;
}

/** Reads every event after `checkpoint` (null: from the oldest the feed keeps) up to the API's now. */
export async function pollOnce(feed: EventsFeed, checkpoint: Checkpoint | null, options: PollOnceOptions = {}): Promise<PollOnceResult> {
  const tracker = new CheckpointTracker(checkpoint, options.checkpoint);
  const window = tracker.beginPass(feed.clock.now());
  const events: EventEnvelope[] = [];
  for await (const page of feed.pages(passQuery(window, options), { prefetch: false, ...(options.signal ? { signal: options.signal } : {}) })) {
    const fresh = tracker.fresh(page.events);
    events.push(...fresh);
    tracker.commitPage(page, fresh);
  }
  return { events, checkpoint: tracker.snapshot() };
}
