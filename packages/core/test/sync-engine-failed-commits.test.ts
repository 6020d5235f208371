/**
 * Commits that fail while the sync goes on in the same process (a full disk, a database that
 * went away and came back), with webhook batches landing between the pages of a pass: the
 * engine takes the committed state back and carries on, and in the end every event is in the
 * storage once. sync-engine.test.ts covers the other kind of failure, a process that dies and
 * starts again.
 */
import { describe, expect, it } from 'vitest';
import type { EventEnvelope, HttpRequest, SyncEngine } from '@eventsync/core';
import { LaggingFeed } from './lagging-feed.js';
import { Crash, MemoryStorage, simulatedEngine } from './memory-sync.js';

const START = Date.parse('2026-04-03T09:00:00.000Z');
const LAG = 10_000;

/** Tolerates what the storage throws, as `run()` does; anything else fails the test. */
async function survive<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof Crash) return undefined;
    throw error;
  }
}

/**
 * Live traffic polled as it happens, every event also delivered by webhook. While a pass waits
 * for a page, the webhooks so far arrive as one batch, and a third of those batches fail to
 * commit; for half of the failures, reading the committed state back fails too, once or twice.
 * A batch that failed is delivered again later, as the API retries it.
 */
async function failingWebhooksScenario(seed: number) {
  const feed = new LaggingFeed(START, LAG, seed);
  for (let i = 0; i < 100; i++) feed.create(START - 3_600_000 + i * 30_000, 0);
  const storage = new MemoryStorage(() => feed.random());
  let undelivered: EventEnvelope[] = [];
  const failures = { on: true, batches: 0, recoveries: 0 };
  let engine: SyncEngine | undefined;
  const deliverWebhooks = async (): Promise<void> => {
    const batch = undelivered;
    undelivered = [];
    if (batch.length === 0 || !engine) return;
    if (failures.on && feed.random() < 1 / 3) {
      failures.batches++;
      storage.crashRate = 1;
      if (feed.random() < 0.5) storage.failingRecovers = 1 + Math.floor(feed.random() * 2);
      failures.recoveries += storage.failingRecovers;
    }
    const written = await survive(engine.accept(batch));
    storage.crashRate = 0;
    if (written === undefined) undelivered.push(...batch);
  };
  const transport = async (request: HttpRequest) => {
    if (feed.random() < 0.5) await deliverWebhooks();
    return feed.transport(request);
  };
  engine = await simulatedEngine(feed, storage, { pageSize: 5, checkpoint: { lookbackMs: 15_000, settleMs: 1_000 } }, transport);

  for (let step = 0; step < 300; step++) {
    const burst = Math.floor(feed.random() * 6);
    for (let i = 0; i < burst; i++) undelivered.push(feed.create());
    feed.clock += 200;
    if (step % 3 === 0) await survive(engine.pass());
  }
  const end = feed.clock;
  failures.on = false;
  storage.failingRecovers = 0;
  await deliverWebhooks();
  while ((engine.watermark ?? 0) < end) {
    feed.clock += 1_000;
    await engine.pass();
  }
  return { all: feed.events.map((stored) => stored.event.id), stored: storage.lines.map((event) => event.id), failures };
}

describe('SyncEngine after a failed commit, in the same process', () => {
  it('stores every event once when webhook batches fail between the pages of a pass, and reading the state back fails too', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { all, stored, failures } = await failingWebhooksScenario(seed);
      expect(failures.batches, `seed ${seed}: the scenario made batches fail`).toBeGreaterThan(5);
      expect(failures.recoveries, `seed ${seed}: and reading the state back`).toBeGreaterThan(2);
      expect(stored, `seed ${seed}: no event stored twice`).toHaveLength(new Set(stored).size);
      expect(new Set(stored), `seed ${seed}: every event stored`).toEqual(new Set(all));
    }
  });

  it('answers a webhook retry as not stored until the committed state can be read back', async () => {
    const feed = new LaggingFeed(START, LAG, 9);
    for (let i = 0; i < 10; i++) feed.create(START - 60_000 + i * 1_000, 0);
    const storage = new MemoryStorage();
    const engine = await simulatedEngine(feed, storage);
    await engine.pass();
    const event = feed.create(feed.clock, 0);

    storage.crashRate = 1;
    storage.failingRecovers = 1;
    await expect(engine.accept([event])).rejects.toBeInstanceOf(Crash);
    storage.crashRate = 0;
    storage.failingRecovers = 1;
    // The API retries: while the state cannot be read, the retry fails too, and is retried again.
    await expect(engine.accept([event])).rejects.toBeInstanceOf(Crash);
    expect(await engine.accept([event])).toBe(1);
    expect(storage.lines.filter((stored) => stored.id === event.id)).toHaveLength(1);
  });
});
