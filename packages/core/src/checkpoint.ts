/**
 * Checkpoints that lose nothing and repeat nothing, although the feed shows events up to
 * 10 s after their `created_at` and out of commit order.
 *
 * A checkpoint is a watermark W plus the ids already delivered whose `created_at >= W`.
 * Invariant: every event with `created_at < W` has been delivered. A sweep asks for
 * `since = W` (inclusive) up to `until = now - settle`, skips the ids it already holds, and
 * after each page moves W forward only as far as is provably complete:
 *
 * A page served when the server's clock read t covers the stretch of the feed after the
 * previous page. An event in that stretch that the page did not return was not yet visible
 * at t, so its `created_at` is later than `t - lag`. Hence W may not pass `t - lookback`
 * (lookback = lag + a margin) for the first page whose stretch reaches that recent, and
 * every later page of the pass inherits that floor. Old stretches (a backfill) are complete
 * as soon as they are read, so W follows the last event read.
 *
 * t is the server's clock, not ours: visibility is decided there. Each page's `Date` header
 * is a reading of it taken while the page was served (cut to the second, so it errs early,
 * which is the safe side); see server-clock.ts. A client whose clock runs ahead would
 * otherwise move W past events the server has not shown yet.
 *
 * Between sweeps a pass may tail: ask only for `since = H`, the end of the stretch the last
 * pass read, so new events cost one request however long the look-back. A tail never moves
 * W; events that show up late in a stretch already tailed are still after W, so the next
 * sweep finds them. Sweeping once per look-back instead of on every pass is what keeps a
 * sync from spending its key's whole rate budget re-reading the same window.
 *
 * Ids are kept only from W on, so the set holds the boundary ids during a backfill and
 * about `(lookback + sweep period) x event rate` ids when tailing.
 */
import { VISIBILITY_LAG_MS } from './config.js';
import type { FeedPage } from './events.js';
import type { EventEnvelope } from './types.js';

/** A checkpoint as it is stored: JSON-friendly. */
export interface Checkpoint {
  /** ISO 8601; null before the first page: read from the oldest retained event. */
  readonly watermark: string | null;
  /** `[id, created_at]` of delivered events with `created_at >= watermark`. */
  readonly seen: ReadonlyArray<readonly [string, string]>;
}

export interface CheckpointOptions {
  /** How far behind the server's clock events may still appear: the visibility lag plus a margin. Default 15 s. */
  readonly lookbackMs?: number;
  /** `until = now - settle`: the newest second is mostly invisible yet, so it is read next time. Default 1 s. */
  readonly settleMs?: number;
}

/** The feed's lag (10 s) plus 5 s of margin: the `Date` header is cut to the second, and a little to spare. */
export const DEFAULT_LOOKBACK_MS = VISIBILITY_LAG_MS + 5_000;
export const DEFAULT_SETTLE_MS = 1_000;

export interface PassWindow {
  /** Absent on the very first pass: from the oldest retained event. */
  readonly since?: string;
  readonly until: string;
}

/** A sweep re-reads from the watermark and may move it; a tail reads only what is new since the last pass. */
export type PassKind = 'sweep' | 'tail';

export class CheckpointTracker {
  readonly lookbackMs: number;
  readonly settleMs: number;
  private watermarkMs: number | null;
  private readonly seen = new Map<string, number>();
  /** H: where the last pass's stretch ended, so a tail can start there; null until a pass completes. */
  private headMs: number | null = null;
  // Per pass: its kind, the end of the stretch covered so far, and the floor W may not pass (see above).
  private sweeping = true;
  private passUntilMs = 0;
  private coveredToMs = Number.NEGATIVE_INFINITY;
  private floorMs = Number.POSITIVE_INFINITY;

  constructor(checkpoint?: Checkpoint | null, options: CheckpointOptions = {}) {
    this.lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.watermarkMs = checkpoint?.watermark ? Date.parse(checkpoint.watermark) : null;
    for (const [id, createdAt] of checkpoint?.seen ?? []) this.seen.set(id, Date.parse(createdAt));
  }

  /** Milliseconds since the epoch below which everything has been delivered; null before the first page. */
  get watermark(): number | null {
    return this.watermarkMs;
  }

  /**
   * Starts a pass at `now` on the server's clock and returns the window to query. A tail
   * is only possible once a pass has completed; until then the pass sweeps.
   */
  beginPass(now: number, kind: PassKind = 'sweep'): PassWindow {
    this.sweeping = kind === 'sweep' || this.headMs === null || this.watermarkMs === null;
    const since = this.sweeping ? this.watermarkMs : this.headMs;
    this.passUntilMs = Math.max(now - this.settleMs, since ?? Number.NEGATIVE_INFINITY);
    this.coveredToMs = since ?? Number.NEGATIVE_INFINITY;
    this.floorMs = Number.POSITIVE_INFINITY;
    const until = new Date(this.passUntilMs).toISOString();
    return since === null ? { until } : { since: new Date(since).toISOString(), until };
  }

  /** The page's events that were not delivered before, in feed order. Does not change the checkpoint. */
  fresh(events: readonly EventEnvelope[]): EventEnvelope[] {
    return events.filter((event) => !this.seen.has(event.id));
  }

  /**
   * Whether an event that arrived another way (a webhook) is already in the sink: everything
   * before the watermark is, and after it the ids tell.
   */
  isDelivered(event: EventEnvelope): boolean {
    if (this.seen.has(event.id)) return true;
    return this.watermarkMs !== null && Date.parse(event.created_at) < this.watermarkMs;
  }

  /** Records events delivered another way, so the feed's copies are skipped when a pass reaches them. */
  markDelivered(events: readonly EventEnvelope[]): void {
    for (const event of events) this.seen.set(event.id, Date.parse(event.created_at));
  }

  /**
   * Records a page once its fresh events are safely delivered, and (in a sweep) moves the
   * watermark as far as is provably complete. Call for every page of a pass, in order.
   * `serverTime` is a time the server's clock had reached when it served the page; the
   * page's own `Date` reading when it has one.
   */
  commitPage(page: FeedPage, delivered: readonly EventEnvelope[], serverTime = page.serverTime ?? page.requestedAt): void {
    const last = page.events.at(-1);
    const reachedMs = page.hasMore ? (last ? Date.parse(last.created_at) : this.coveredToMs) : this.passUntilMs;
    this.headMs = reachedMs;
    if (!this.sweeping) {
      this.coveredToMs = reachedMs;
      this.remember(delivered, Number.NEGATIVE_INFINITY);
      return;
    }
    const horizonMs = serverTime - this.lookbackMs;
    if (this.floorMs === Number.POSITIVE_INFINITY && reachedMs >= horizonMs) {
      // First stretch recent enough to have late events: they would lie after both its start and the horizon.
      this.floorMs = Math.max(this.coveredToMs, horizonMs);
    }
    this.coveredToMs = reachedMs;
    const candidate = Math.min(reachedMs, this.floorMs);
    if (Number.isFinite(candidate) && (this.watermarkMs === null || candidate > this.watermarkMs)) {
      this.watermarkMs = candidate;
      for (const [id, createdAt] of this.seen) if (createdAt < candidate) this.seen.delete(id);
      this.remember(delivered, candidate);
      return;
    }
    this.remember(delivered, Number.NEGATIVE_INFINITY);
  }

  /**
   * Adds the delivered ids created at or after `fromMs`; those before it the watermark has just
   * passed, and adding them only to delete them costs memory beyond the Map's size. In a backfill
   * that is nearly every id of every page, and each time the Map's table grows or shrinks V8
   * makes a new one; once the Map has reached the old generation (after any full GC) it makes
   * them there, and the tables left behind keep their ids alive through young-generation
   * collections until the next full GC (README, Benchmarks: "Memory").
   */
  private remember(delivered: readonly EventEnvelope[], fromMs: number): void {
    for (const event of delivered) {
      const createdMs = Date.parse(event.created_at);
      if (createdMs >= fromMs) this.seen.set(event.id, createdMs);
    }
  }

  snapshot(): Checkpoint {
    const seen: Array<readonly [string, string]> = [];
    for (const [id, createdAt] of this.seen) seen.push([id, new Date(createdAt).toISOString()]);
    return { watermark: this.watermarkMs === null ? null : new Date(this.watermarkMs).toISOString(), seen };
  }
}
