/** An in-memory storage for unit tests of the SyncEngine, with crashes on demand, and an engine over it on the feed's clock. */
import { EventsyncClient, SyncEngine, type CommittedState, type EventEnvelope, type EventStorage, type StoredEvent, type SyncEngineOptions, type Transport } from '@eventsync/core';
import type { LaggingFeed } from './lagging-feed.js';

export class Crash extends Error {}

/**
 * Behaves like the NDJSON file storage: committed events are lines, the watermark is kept
 * beside them, and the ids at or after it are read back from the lines. A "crash" mid-commit
 * leaves some of the batch's lines behind (written, never acknowledged) and the watermark
 * where it was.
 */
export class MemoryStorage implements EventStorage {
  readonly guarantee = 'exactly-once' as const;
  readonly description = 'memory';
  readonly lines: EventEnvelope[] = [];
  watermark: string | null = null;
  fingerprint: Readonly<Record<string, unknown>> | undefined;
  commits = 0;
  crashRate = 0;
  /** How many of the next reads of the committed state fail (a database that went away). */
  failingRecovers = 0;

  constructor(private readonly random: () => number = () => 0.5) {}

  async open(): Promise<CommittedState> {
    return this.recover();
  }

  async recover(): Promise<CommittedState> {
    if (this.failingRecovers > 0) {
      this.failingRecovers--;
      throw new Crash('cannot read the committed state');
    }
    const watermarkMs = this.watermark === null ? Number.NEGATIVE_INFINITY : Date.parse(this.watermark);
    const seen = this.lines.filter((event) => Date.parse(event.created_at) >= watermarkMs).map((event) => [event.id, event.created_at] as const);
    return { watermark: this.watermark, seen, fingerprint: this.fingerprint };
  }

  async commit(events: readonly StoredEvent[], watermark: string | null, fingerprint?: Readonly<Record<string, unknown>>): Promise<void> {
    if (this.random() < this.crashRate) {
      this.lines.push(...events.slice(0, Math.floor(this.random() * events.length)).map(({ event }) => event));
      throw new Crash('killed mid-commit');
    }
    this.commits++;
    this.lines.push(...events.map(({ event }) => event));
    this.watermark = watermark;
    this.fingerprint ??= fingerprint;
  }

  async close(): Promise<void> {}
}

/**
 * A SyncEngine over `storage` whose clock is the feed's: sleeping moves it. Pages of 25, polls
 * 1 s apart. `transport` stands between the engine and the feed, for a test that acts while a
 * request is under way.
 */
export function simulatedEngine(feed: LaggingFeed, storage: EventStorage, options: Partial<SyncEngineOptions> = {}, transport: Transport = feed.transport): Promise<SyncEngine> {
  const sleep = async (ms: number): Promise<void> => void (feed.clock += ms);
  const client = new EventsyncClient(
    { baseUrl: 'http://feed.test', apiKey: 'wlcro_test_unit', retry: { maxAttempts: 1 } },
    { transport, now: () => feed.clock, sleep, random: () => 0.5 },
  );
  return SyncEngine.open({ feed: client.events, storage, now: () => feed.clock, sleep, pageSize: 25, pollIntervalMs: 1_000, ...options });
}
