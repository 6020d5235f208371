/**
 * The sync engine, and the one door into the storage: read the feed from the checkpoint and
 * commit each page's fresh events together with the moved watermark (storage.ts: both durable
 * or neither). A commit that fails leaves nothing: the engine takes the committed state back
 * from the storage and goes on from there, so those events are fetched and written again
 * exactly once.
 *
 * Events that arrive by webhook come in through `accept`, under the same lock: they are
 * committed once and skipped when the feed brings them again. Anything acknowledged to a
 * webhook but lost in a crash is still ahead of the watermark, so a later pass fetches it:
 * polling is the safety net.
 *
 * Taking the committed state back replaces the tracker, and two rules keep that safe while
 * the sync goes on in the same process: nothing runs on a tracker the storage could not
 * answer for (when reading the state back fails too, the next task tries again first and
 * fails if it cannot), and a pass stops at its next page when the tracker it began on was
 * replaced (a webhook batch failed between its pages): its window and its floor for the
 * watermark belonged to the old one, and the next pass sweeps from the committed watermark.
 */
import { CheckpointTracker, type CheckpointOptions, type PassKind } from './checkpoint.js';
import { isTransient } from './errors.js';
import type { Channel, CommittedState, EventStorage } from './storage.js';
import { passQuery } from './poll-once.js';
import type { EventsFeed } from './events.js';
import type { EventEnvelope } from './types.js';

export interface SyncProgress {
  /** Events written, all channels. */
  readonly delivered: number;
  readonly byChannel: Readonly<Record<Channel, number>>;
  /** Events that arrived again (feed look-back, webhook retries, both channels) and were dropped. */
  readonly duplicatesSkipped: number;
  /** The same, by the channel the repeat came in on. */
  readonly duplicatesByChannel: Readonly<Record<Channel, number>>;
  readonly pages: number;
  /** Everything created before this instant is in the sink; null before the first page. */
  readonly watermark: number | null;
  /** `created_at` of the newest event delivered, epoch ms. */
  readonly newestEventAt: number | null;
  /** The last transient error being waited out, if the poller is in one. */
  readonly waitingOn: Error | null;
}

export interface SyncEngineOptions {
  readonly feed: EventsFeed;
  /** Where events and their checkpoint are committed together. */
  readonly storage: EventStorage;
  /** The local clock, for pacing passes; what the feed shows is judged by the server's (`feed.clock`). */
  readonly now: () => number;
  /** Waits `ms`, or less once `signal` aborts (a stop); the pause treats either end alike. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly types?: readonly string[];
  /** 1..100; default 100, the fewest requests for a backlog. */
  readonly pageSize?: number;
  /** Time from the start of one pass to the next once caught up. Default 2 s. */
  readonly pollIntervalMs?: number;
  /**
   * How often a pass re-reads the look-back window (a sweep); passes in between read only
   * what is new (a tail). Default: the look-back, so a late event waits at most about one
   * look-back plus one interval. `drainUntil` sweeps on every pass.
   */
  readonly sweepEveryMs?: number;
  /** Pause after a transient error (network, 503, exhausted retries) before resuming. Default 5 s. */
  readonly errorPauseMs?: number;
  /** `drainUntil` gives up after this many failed passes in a row (a cron job must not hang). Default 5; `run` never gives up. */
  readonly drainFailureLimit?: number;
  readonly checkpoint?: CheckpointOptions;
  /** Committed with the checkpoint so the caller can refuse one that belongs to another source (`resumedFrom.fingerprint`). */
  readonly fingerprint?: Readonly<Record<string, unknown>>;
  /** Used when there is no saved state: where to start. Default: the oldest retained event. */
  readonly startAt?: string;
  readonly onProgress?: (progress: SyncProgress) => void;
  /** Told after each commit the storage answered (metrics): an observer, what it throws is ignored. */
  readonly onCommit?: (commit: CommitObservation) => void;
  /** Told after each pass that completed (metrics): an observer, what it throws is ignored. */
  readonly onPass?: (pass: PassObservation) => void;
  /**
   * Errors that are not transient but that the host expects to clear without a restart (a
   * 401 while a key file is about to be replaced): `run` waits them out as it does transient
   * ones, showing them in `progress.waitingOn`. `drainUntil` still gives up after its limit.
   */
  readonly waitOut?: (error: unknown) => boolean;
  /** Told once of a condition the user should know about (the API sends no `Date`, so the local clock is trusted). */
  readonly onNotice?: (message: string) => void;
}

export interface CommitObservation {
  readonly channel: Channel;
  /** Events stored by it (0 when only the watermark moved). */
  readonly events: number;
  readonly durationMs: number;
  /** Set when the storage refused the commit. */
  readonly error?: unknown;
}

export interface PassObservation {
  readonly kind: PassKind;
  /** Events it stored. */
  readonly events: number;
  readonly durationMs: number;
}

export class SyncEngine {
  private tracker: CheckpointTracker;
  /** The watermark the storage holds, so a commit is skipped when neither events nor watermark changed. */
  private committedWatermark: number | null;
  private stopRequested = false;
  /** Aborted by stop(): cuts short the feed's requests and every wait inside them. */
  private readonly stopping = new AbortController();
  private wakeUp: (() => void) | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  /** Set from a failed commit until the committed state is read back: until then no task may use the tracker (currentTracker). */
  private trackerStale = false;
  private readonly waiting: Array<{ events: readonly EventEnvelope[]; resolve: (written: number) => void; reject: (error: unknown) => void }> = [];
  private readonly counters = { duplicatesSkipped: 0, pages: 0, byChannel: { poll: 0, webhook: 0 }, duplicatesByChannel: { poll: 0, webhook: 0 } };
  private newestEventAt: number | null = null;
  private waitingOn: Error | null = null;
  /** Server time of the last sweep's start: when the next one is due. */
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private sweepEveryPass = false;
  private noticedNoDate = false;
  /** Without a `Date` header: the newest event the feed showed at the first pass (see serverTimeWitness). */
  private witness: number | undefined;

  /** Opens the storage (its lock, its committed state) and returns the engine ready to run. */
  static async open(options: SyncEngineOptions): Promise<SyncEngine> {
    return new SyncEngine(options, await options.storage.open());
  }

  private constructor(
    private readonly options: SyncEngineOptions,
    /** What the storage had committed when the engine opened it. */
    readonly resumedFrom: CommittedState,
  ) {
    this.tracker = this.trackerFrom(resumedFrom);
    this.committedWatermark = this.tracker.watermark;
  }

  /** Everything created before this instant is delivered; null before the first page. */
  get watermark(): number | null {
    return this.committedWatermark;
  }

  get progress(): SyncProgress {
    const { byChannel } = this.counters;
    return {
      delivered: byChannel.poll + byChannel.webhook,
      byChannel: { ...byChannel },
      duplicatesSkipped: this.counters.duplicatesSkipped,
      duplicatesByChannel: { ...this.counters.duplicatesByChannel },
      pages: this.counters.pages,
      watermark: this.committedWatermark,
      newestEventAt: this.newestEventAt,
      waitingOn: this.waitingOn,
    };
  }

  /**
   * One pass up to now - settle: a sweep from the checkpoint's watermark when one is due,
   * else a tail from where the last pass ended. Returns how many events it delivered.
   */
  async pass(): Promise<number> {
    const { feed, types, pageSize } = this.options;
    const startedAt = performance.now();
    const witness = await this.serverTimeWitness();
    const now = feed.clock.now();
    const kind: PassKind = this.sweepEveryPass || this.sweepDue(now) ? 'sweep' : 'tail';
    const passTracker = this.tracker;
    const window = passTracker.beginPass(now, kind);
    if (kind === 'sweep') this.lastSweepAt = now;
    let delivered = 0;
    for await (const page of feed.pages(passQuery(window, { types, pageSize }), { signal: this.stopping.signal })) {
      const stored = await this.exclusive(async () => {
        if ((await this.currentTracker()) !== passTracker) return undefined;
        const fresh = passTracker.fresh(page.events);
        passTracker.commitPage(page, fresh, page.serverTime ?? Math.min(page.requestedAt, witness ?? Number.POSITIVE_INFINITY));
        await this.commit(fresh, 'poll', page.events.length);
        this.counters.pages++;
        return fresh.length;
      });
      // The tracker this pass began on was taken back from the storage (see the top of the file).
      if (stored === undefined) break;
      delivered += stored;
      this.options.onProgress?.(this.progress);
      if (this.stopRequested) break;
    }
    observe(this.options.onPass, { kind, events: delivered, durationMs: performance.now() - startedAt });
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
      const tracker = await this.currentTracker();
      const ids = new Set<string>();
      const counts = batch.map(({ events }) => {
        let fresh = 0;
        for (const event of events) {
          if (tracker.isDelivered(event) || ids.has(event.id)) continue;
          ids.add(event.id);
          fresh++;
        }
        return fresh;
      });
      const all = batch.flatMap(({ events }) => events);
      const fresh = all.filter((event) => ids.delete(event.id));
      tracker.markDelivered(fresh);
      await this.commit(fresh, 'webhook', all.length);
      batch.forEach(({ resolve }, index) => resolve(counts[index]!));
      this.options.onProgress?.(this.progress);
    } catch (error) {
      for (const { reject } of batch) reject(error);
      throw error;
    }
  }

  /**
   * Passes until the watermark reaches `targetMs` on the server's clock (every event created
   * before it is in the sink). With the visibility lag, that is about one look-back after
   * `targetMs`. Every pass sweeps: only a sweep moves the watermark.
   */
  async drainUntil(targetMs: number): Promise<void> {
    this.sweepEveryPass = true;
    // Without the server's clock a target on ours may lie in the server's future, which a quiet
    // feed would never reach. The newest event the feed showed bounds the server's clock, and the
    // watermark can pass that bound less the look-back (see serverTimeWitness): settle for that.
    const reached = (): boolean => {
      const known = this.options.feed.clock.known || this.witness === undefined;
      const target = known ? targetMs : Math.min(targetMs, this.witness! - this.tracker.lookbackMs);
      return (this.watermark ?? Number.NEGATIVE_INFINITY) >= target;
    };
    await this.loop(reached, this.options.drainFailureLimit ?? 5, () => this.msUntilWatermarkCanReach(targetMs));
  }

  /** Passes until `stop()`; transient errors are reported through progress and waited out. */
  async run(): Promise<void> {
    await this.loop(() => false, Number.POSITIVE_INFINITY);
  }

  /** Starts the next pass now instead of after the poll interval (a webhook gap was detected). */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Ends `run`/`drainUntil` after the page in hand is saved: waits (poll interval, rate-limit
   * slot, Retry-After, back-off) end at once and requests under way are abandoned.
   */
  stop(): void {
    this.stopRequested = true;
    this.stopping.abort();
    this.wakeUp?.();
  }

  /**
   * `nextPassIn` may start the next pass before the poll interval is up: a drain whose target
   * is a second away need not wait a whole interval for the pass that reaches it.
   */
  private async loop(done: () => boolean, failureLimit: number, nextPassIn: () => number = () => Number.POSITIVE_INFINITY): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 2_000;
    let failures = 0;
    while (!this.stopRequested && !done()) {
      const startedAt = this.options.now();
      try {
        await this.pass();
        this.waitingOn = null;
        failures = 0;
      } catch (error) {
        // Stopping cuts waits and requests short; what was saved stays saved.
        if (this.stopRequested) return;
        const waitable = isTransient(error) || this.options.waitOut?.(error) === true;
        if (!waitable || ++failures >= failureLimit) throw error;
        this.waitingOn = error as Error;
        this.options.onProgress?.(this.progress);
        // The pass may have stopped between pages: start the next one from the saved state.
        await this.exclusive(() => this.resetToSaved());
        await this.pause(this.options.errorPauseMs ?? 5_000);
        continue;
      }
      // One pass per interval: a pass that took longer (a backlog) goes straight on.
      const elapsed = this.options.now() - startedAt;
      if (elapsed < interval && !done()) await this.pause(Math.min(interval - elapsed, nextPassIn()));
    }
  }

  /**
   * How long until a sweep can take the watermark to `targetMs`: its window must end past the
   * target (the window ends a settle before the server's now) and one of its pages must carry a
   * `Date` a look-back past it (the horizon in commitPage). Infinity without the server's clock.
   */
  private msUntilWatermarkCanReach(targetMs: number): number {
    const { clock } = this.options.feed;
    return Math.max(clock.msUntilDateReads(targetMs + this.tracker.lookbackMs), targetMs + this.tracker.settleMs - clock.now());
  }

  private get sweepEveryMs(): number {
    return this.options.sweepEveryMs ?? this.tracker.lookbackMs;
  }

  /**
   * Passes start one poll interval apart, give or take some milliseconds, so a sweep is due
   * from half an interval before `sweepEveryMs`: else a pass that starts a millisecond early
   * tails, and the watermark waits a whole interval more (with the daemon's 15 s interval and
   * look-back, a quarter of passes did, and the lag a monitor reads swung by 15 s).
   */
  private sweepDue(now: number): boolean {
    return now - this.lastSweepAt >= this.sweepEveryMs - (this.options.pollIntervalMs ?? 2_000) / 2;
  }

  /**
   * Without a `Date` header the server's clock is unknown; the newest event the feed shows
   * was created before the server's now, so it bounds that clock from below, whatever ours
   * says. Asked once per pass, only while no `Date` has been seen.
   */
  private async serverTimeWitness(): Promise<number | undefined> {
    const { feed, types } = this.options;
    if (feed.clock.known) return undefined;
    const [newest] = await feed.latest(1, types?.length ? types : undefined, this.stopping.signal);
    if (feed.clock.known) return undefined;
    if (!this.noticedNoDate) {
      this.noticedNoDate = true;
      this.options.onNotice?.(
        newest
          ? "the API's answers carry no Date header, so the sync bounds the API's clock by the newest event it shows (one extra request per pass); --once completes up to a look-back before that event"
          : "the API's answers carry no Date header and the feed is empty, so the sync trusts this machine's clock: keep it in step with the API's (NTP)",
      );
    }
    const witness = newest ? Date.parse(newest.created_at) : undefined;
    this.witness ??= witness;
    return witness;
  }

  /** Commits the fresh events with the tracker's watermark; nothing to commit when neither changed. */
  private async commit(fresh: readonly EventEnvelope[], channel: Channel, received: number): Promise<void> {
    this.counters.duplicatesSkipped += received - fresh.length;
    this.counters.duplicatesByChannel[channel] += received - fresh.length;
    const watermark = this.tracker.watermark;
    if (fresh.length === 0 && watermark === this.committedWatermark) return;
    const startedAt = performance.now();
    try {
      await this.options.storage.commit(
        fresh.map((event) => ({ event, channel })),
        watermark === null ? null : new Date(watermark).toISOString(),
        this.options.fingerprint,
      );
    } catch (error) {
      observe(this.options.onCommit, { channel, events: fresh.length, durationMs: performance.now() - startedAt, error });
      throw error;
    }
    observe(this.options.onCommit, { channel, events: fresh.length, durationMs: performance.now() - startedAt });
    this.committedWatermark = watermark;
    this.counters.byChannel[channel] += fresh.length;
    for (const event of fresh) this.newestEventAt = Math.max(this.newestEventAt ?? 0, Date.parse(event.created_at));
  }

  /**
   * Poll pages and webhook batches take turns: each is committed whole before the next. One
   * that fails leaves the tracker ahead of the storage, so both go back to what is committed
   * (when that cannot be read, see currentTracker).
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

  /** After a failure mid-pass the tracker may be ahead of the storage: go back to what it committed. */
  private async resetToSaved(): Promise<void> {
    this.trackerStale = true;
    const committed = await this.options.storage.recover();
    this.tracker = this.trackerFrom(committed);
    this.committedWatermark = this.tracker.watermark;
    this.trackerStale = false;
  }

  /**
   * The tracker, for a task under the lock that acts on it. After a failed commit whose state
   * could not be read back, it may hold ids that never reached the storage: it is read back
   * now, and the task fails if it still cannot be (a webhook batch then gets its 503 and is
   * delivered again, rather than skipped as already stored).
   */
  private async currentTracker(): Promise<CheckpointTracker> {
    if (this.trackerStale) await this.resetToSaved();
    return this.tracker;
  }

  private trackerFrom(committed: CommittedState): CheckpointTracker {
    const { startAt, checkpoint } = this.options;
    const fresh = committed.watermark === null && committed.seen.length === 0;
    return new CheckpointTracker(fresh && startAt ? { watermark: startAt, seen: [] } : committed, checkpoint);
  }

  private pause(ms: number): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      // Given the stop signal, so that a stop also clears the timer and nothing keeps the process alive.
      this.options.sleep(ms, this.stopping.signal).then(resolve, resolve);
    }).finally(() => {
      this.wakeUp = undefined;
    });
  }
}

/** Tells an observer; its failure is its own and never reaches a commit or a pass. */
function observe<T>(observer: ((value: T) => void) | undefined, value: T): void {
  try {
    observer?.(value);
  } catch {
    // Observers (metrics) must not change what the engine does.
  }
}
