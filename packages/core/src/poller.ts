/**
 * The polling half of sync, and the one door into the sink: read the feed from the
 * checkpoint, hand fresh events to the sink, and persist the checkpoint only after the sink
 * has them. A crash between the two leaves the sink ahead of the checkpoint; the sink's
 * `recover` cuts it back on the next start, so those events are fetched and written again
 * exactly once.
 *
 * Events that arrive by webhook come in through `accept`, under the same lock: they are
 * written once, recorded in the checkpoint, and skipped when the feed brings them again.
 * Anything acknowledged to a webhook but lost in a crash is still ahead of the watermark,
 * so a later pass fetches it: polling is the safety net.
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

/** What the poller persists after every write. */
export interface SyncState<Position = unknown> {
  readonly version: 1;
  readonly checkpoint: Checkpoint;
  readonly sinkPosition?: Position;
  /** Whatever identifies the source (URL, types); checked by the caller on load. */
  readonly source?: Readonly<Record<string, unknown>>;
}

export type Channel = 'poll' | 'webhook';

export interface SyncProgress {
  /** Events written, all channels. */
  readonly delivered: number;
  readonly byChannel: Readonly<Record<Channel, number>>;
  /** Events that arrived again (feed look-back, webhook retries, both channels) and were dropped. */
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
  private wakeUp: (() => void) | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly waiting: Array<{ events: readonly EventEnvelope[]; resolve: (written: number) => void; reject: (error: unknown) => void }> = [];
  private readonly counters = { duplicatesSkipped: 0, pages: 0, byChannel: { poll: 0, webhook: 0 } };
  private newestEventAt: number | null = null;
  private waitingOn: Error | null = null;

  constructor(private readonly options: PollerOptions<Position>) {}

  /** Loads the saved state and cuts the sink back to it. Call once before anything else. */
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
    const { byChannel } = this.counters;
    return {
      delivered: byChannel.poll + byChannel.webhook,
      byChannel: { ...byChannel },
      duplicatesSkipped: this.counters.duplicatesSkipped,
      pages: this.counters.pages,
      watermark: this.tracker.watermark,
      newestEventAt: this.newestEventAt,
      waitingOn: this.waitingOn,
    };
  }

  /** One pass: every page from the checkpoint up to now - settle. Returns how many events it delivered. */
  async pass(): Promise<number> {
    const { feed, types, pageSize = 100 } = this.options;
    const window = this.tracker.beginPass(this.options.now());
    let delivered = 0;
    for await (const page of feed.pages({ ...window, limit: pageSize, order: 'asc', ...(types?.length ? { types } : {}) })) {
      delivered += await this.exclusive(async () => {
        const fresh = this.tracker.fresh(page.events);
        const position = await this.write(fresh, 'poll', page.events.length);
        this.tracker.commitPage(page, fresh);
        await this.save(position);
        this.counters.pages++;
        return fresh.length;
      });
      this.options.onProgress?.(this.progress);
      if (this.stopRequested) break;
    }
    return delivered;
  }

  /**
   * Writes events that arrived another way (webhooks) unless already in the sink, and
   * records them in the checkpoint. Resolves with how many were new. Deliveries that arrive
   * while a write is under way are grouped into the next one: one fsync for many events.
   */
  accept(events: readonly EventEnvelope[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      // The batch's own promises carry any failure; this one only keeps the chain going.
      if (this.waiting.length === 1) this.exclusive(() => this.writeWaiting()).catch(() => undefined);
    });
  }

  private async writeWaiting(): Promise<void> {
    const batch = this.waiting.splice(0);
    try {
      const ids = new Set<string>();
      const counts = batch.map(({ events }) => {
        let fresh = 0;
        for (const event of events) {
          if (this.tracker.isDelivered(event) || ids.has(event.id)) continue;
          ids.add(event.id);
          fresh++;
        }
        return fresh;
      });
      const all = batch.flatMap(({ events }) => events);
      const fresh = all.filter((event) => ids.delete(event.id));
      const position = await this.write(fresh, 'webhook', all.length);
      if (fresh.length > 0) {
        this.tracker.markDelivered(fresh);
        await this.save(position);
      }
      batch.forEach(({ resolve }, index) => resolve(counts[index]!));
      this.options.onProgress?.(this.progress);
    } catch (error) {
      for (const { reject } of batch) reject(error);
      throw error;
    }
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

  /** Starts the next pass now instead of after the poll interval (a webhook gap was detected). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Ends `run`/`drainUntil` after the page in hand is saved. */
  stop(): void {
    this.stopRequested = true;
    this.wakeUp?.();
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
        // The pass may have stopped between pages: start the next one from the saved state.
        await this.exclusive(() => this.resetToSaved());
        await this.pause(this.options.errorPauseMs ?? 5_000);
        continue;
      }
      // A pass that delivered a full backlog goes straight on; an idle one waits.
      if (delivered === 0 && !done()) await this.pause(interval);
    }
  }

  private async write(fresh: readonly EventEnvelope[], channel: Channel, received: number): Promise<Position | undefined> {
    this.counters.duplicatesSkipped += received - fresh.length;
    if (fresh.length === 0) return this.lastSaved?.sinkPosition;
    const position = await this.options.sink.write(fresh);
    this.counters.byChannel[channel] += fresh.length;
    for (const event of fresh) this.newestEventAt = Math.max(this.newestEventAt ?? 0, Date.parse(event.created_at));
    return position;
  }

  /**
   * Poll pages and webhook batches take turns: each is written and saved whole before the
   * next. One that fails part-way leaves the sink ahead of the saved state, so it is cut
   * back before the next one starts.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const guarded = async (): Promise<T> => {
      try {
        return await task();
      } catch (error) {
        await this.resetToSaved().catch(() => undefined);
        throw error;
      }
    };
    const run = this.lock.then(guarded, guarded);
    this.lock = run.catch(() => undefined);
    return run;
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
      this.wakeUp = resolve;
      void this.options.sleep(ms).then(resolve);
    }).finally(() => {
      this.wakeUp = undefined;
    });
  }
}
