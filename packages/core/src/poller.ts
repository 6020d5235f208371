/**
 * The polling half of sync: read the feed from the checkpoint, hand fresh events to the
 * sink, and persist the checkpoint only after the sink has them. A crash between the two
 * leaves the sink ahead of the checkpoint; the sink's `recover` cuts it back on the next
 * start, so the events are fetched and written again exactly once.
 */
import { CheckpointTracker, type Checkpoint, type CheckpointOptions, type CursorStore } from './cursor.js';
import { isTransient } from './errors.js';
import type { EventsFeed } from './events.js';
import type { EventEnvelope } from './types.js';

/** Where synced events go. Positions let a sink undo writes the checkpoint never covered. */
export interface Sink<Position = unknown> {
  /** Cuts the sink back to `position` (from the last saved state), or starts it empty when undefined. */
  recover(position: Position | undefined): Promise<void>;
  /** Appends the events; resolves once they are safe, with the position after them. */
  write(events: readonly EventEnvelope[]): Promise<Position>;
  close(): Promise<void>;
}

/** What the poller persists after every page. */
export interface SyncState<Position = unknown> {
  readonly version: 1;
  readonly checkpoint: Checkpoint;
  readonly sinkPosition?: Position;
  /** Whatever identifies the source (URL, types); checked by the caller on load. */
  readonly source?: Readonly<Record<string, unknown>>;
}

export interface SyncProgress {
  readonly delivered: number;
  readonly duplicatesSkipped: number;
  readonly pages: number;
  /** Everything created before this instant is in the sink; null before the first page. */
  readonly watermark: number | null;
  /** `created_at` of the newest event delivered, epoch ms. */
  readonly newestEventAt: number | null;
  /** The last transient error being waited out, if the poller is in one. */
  readonly waitingOn: Error | null;
}

export interface PollerOptions<Position> {
  readonly feed: EventsFeed;
  readonly sink: Sink<Position>;
  readonly store: CursorStore<SyncState<Position>>;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly types?: readonly string[];
  /** 1..100; default 100, the fewest requests for a backlog. */
  readonly pageSize?: number;
  /** Pause between passes once caught up. Default 2 s. */
  readonly pollIntervalMs?: number;
  /** Pause after a transient error (network, 503, exhausted retries) before resuming. Default 5 s. */
  readonly errorPauseMs?: number;
  /** `drainUntil` gives up after this many failed passes in a row (a cron job must not hang). Default 5; `run` never gives up. */
  readonly drainFailureLimit?: number;
  readonly checkpoint?: CheckpointOptions;
  /** Saved with the state so the caller can refuse a checkpoint that belongs to another source. */
  readonly source?: Readonly<Record<string, unknown>>;
  /** Used when there is no saved state: where to start. Default: the oldest retained event. */
  readonly startAt?: string;
  readonly onProgress?: (progress: SyncProgress) => void;
}

export class Poller<Position = unknown> {
  private tracker!: CheckpointTracker;
  private lastSaved: SyncState<Position> | undefined;
  private stopRequested = false;
  private wake: (() => void) | undefined;
  private readonly counters = { delivered: 0, duplicatesSkipped: 0, pages: 0 };
  private newestEventAt: number | null = null;
  private waitingOn: Error | null = null;

  constructor(private readonly options: PollerOptions<Position>) {}

  /** Loads the saved state and cuts the sink back to it. Call once before passes. */
  async open(): Promise<SyncState<Position> | undefined> {
    this.lastSaved = await this.options.store.load();
    await this.resetToSaved();
    return this.lastSaved;
  }

  /** Everything created before this instant is delivered; null before the first page. */
  get watermark(): number | null {
    return this.tracker.watermark;
  }

  get progress(): SyncProgress {
    return { ...this.counters, watermark: this.tracker.watermark, newestEventAt: this.newestEventAt, waitingOn: this.waitingOn };
  }

  /** One pass: every page from the checkpoint up to now - settle. Returns how many events it delivered. */
  async pass(): Promise<number> {
    const { feed, sink, types, pageSize = 100 } = this.options;
    const window = this.tracker.beginPass(this.options.now());
    let delivered = 0;
    for await (const page of feed.pages({ ...window, limit: pageSize, order: 'asc', ...(types?.length ? { types } : {}) })) {
      const fresh = this.tracker.fresh(page.events);
      const sinkPosition = fresh.length > 0 ? await sink.write(fresh) : this.lastSaved?.sinkPosition;
      this.tracker.commitPage(page, fresh);
      await this.save(sinkPosition);
      delivered += fresh.length;
      this.counters.delivered += fresh.length;
      this.counters.duplicatesSkipped += page.events.length - fresh.length;
      this.counters.pages++;
      const newest = fresh.at(-1);
      if (newest) this.newestEventAt = Math.max(this.newestEventAt ?? 0, Date.parse(newest.created_at));
      this.options.onProgress?.(this.progress);
      if (this.stopRequested) break;
    }
    return delivered;
  }

  /**
   * Passes until the watermark reaches `targetMs` (every event created before it is in the
   * sink). With the visibility lag, that is about one look-back after `targetMs`.
   */
  async drainUntil(targetMs: number): Promise<void> {
    await this.loop(() => (this.tracker.watermark ?? Number.NEGATIVE_INFINITY) >= targetMs, this.options.drainFailureLimit ?? 5);
  }

  /** Passes until `stop()`; transient errors are reported through progress and waited out. */
  async run(): Promise<void> {
    await this.loop(() => false, Number.POSITIVE_INFINITY);
  }

  /** Ends `run`/`drainUntil` after the page in hand is saved. */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  private async loop(done: () => boolean, failureLimit: number): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 2_000;
    let failures = 0;
    while (!this.stopRequested && !done()) {
      let delivered: number;
      try {
        delivered = await this.pass();
        this.waitingOn = null;
        failures = 0;
      } catch (error) {
        if (!isTransient(error) || ++failures >= failureLimit) throw error;
        this.waitingOn = error as Error;
        this.options.onProgress?.(this.progress);
        await this.resetToSaved();
        await this.pause(this.options.errorPauseMs ?? 5_000);
        continue;
      }
      // A pass that delivered a full backlog goes straight on; an idle one waits.
      if (delivered === 0 && !done()) await this.pause(interval);
    }
  }

  /** After a failure mid-pass the tracker and sink may be ahead of the saved state: go back to it. */
  private async resetToSaved(): Promise<void> {
    const saved = this.lastSaved;
    this.tracker = new CheckpointTracker(
      saved?.checkpoint ?? (this.options.startAt ? { watermark: this.options.startAt, seen: [] } : null),
      this.options.checkpoint,
    );
    await this.options.sink.recover(saved?.sinkPosition);
  }

  private async save(sinkPosition: Position | undefined): Promise<void> {
    const state: SyncState<Position> = {
      version: 1,
      checkpoint: this.tracker.snapshot(),
      ...(sinkPosition === undefined ? {} : { sinkPosition }),
      ...(this.options.source ? { source: this.options.source } : {}),
    };
    await this.options.store.save(state);
    this.lastSaved = state;
  }

  private pause(ms: number): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      void this.options.sleep(ms).then(resolve);
    }).finally(() => {
      this.wake = undefined;
    });
  }
}
