import { describe, expect, it } from 'vitest';
import { EventsyncClient, SyncEngine } from '@eventsync/core';
import { LaggingFeed } from './lagging-feed.js';
import { Crash, MemoryStorage, simulatedEngine } from './memory-sync.js';

const START = Date.parse('2026-04-03T09:00:00.000Z');
const LAG = 10_000;

function poller(feed: LaggingFeed, storage: MemoryStorage, lookbackMs?: number): Promise<SyncEngine> {
  return simulatedEngine(feed, storage, { checkpoint: { lookbackMs: lookbackMs ?? 15_000, settleMs: 1_000 } });
}

/** Live traffic with late commits, polled as it happens; returns every id the feed holds. */
async function runScenario(options: { crashRate: number; lookbackMs?: number; seed: number }) {
  const feed = new LaggingFeed(START, LAG, options.seed);
  for (let i = 0; i < 400; i++) feed.create(START - 3_600_000 + i * 9_000, 0); // an old, settled backlog
  const storage = new MemoryStorage(() => feed.random());
  storage.crashRate = options.crashRate;
  let current = await poller(feed, storage, options.lookbackMs);
  let crashes = 0;
  const passSafely = async () => {
    try {
      await current.pass();
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      crashes++;
      current = await poller(feed, storage, options.lookbackMs); // a restarted process: only the storage survives
    }
  };
  for (let step = 0; step < 300; step++) {
    const burst = Math.floor(feed.random() * 12);
    for (let i = 0; i < burst; i++) feed.create();
    feed.clock += 200;
    if (step % 3 === 0) await passSafely();
  }
  const end = feed.clock;
  storage.crashRate = 0;
  while ((current.watermark ?? 0) < end) {
    feed.clock += 1_000;
    await passSafely();
  }
  return { all: feed.events.map((stored) => stored.event.id), delivered: storage.lines.map((event) => event.id), crashes, storage };
}

describe('SyncEngine over a feed with a 10 s visibility lag', () => {
  it('delivers every event exactly once while events commit late and out of order', async () => {
    const { all, delivered } = await runScenario({ crashRate: 0, seed: 11 });
    expect(all.length).toBeGreaterThan(1_500);
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(new Set(delivered)).toEqual(new Set(all));
  });

  it('loses events when the look-back is shorter than the lag (the scenario is a real test)', async () => {
    const { all, delivered } = await runScenario({ crashRate: 0, lookbackMs: 0, seed: 11 });
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(new Set(delivered).size).toBeLessThan(all.length);
  });

  it('still delivers exactly once when the process dies mid-write, again and again', async () => {
    const { all, delivered, crashes } = await runScenario({ crashRate: 0.15, seed: 23 });
    expect(crashes).toBeGreaterThan(10);
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(new Set(delivered)).toEqual(new Set(all));
  });

  it('keeps only ids at or after the watermark, so the checkpoint stays small', async () => {
    const { storage } = await runScenario({ crashRate: 0, seed: 5 });
    const { watermark, seen } = await storage.recover();
    expect(watermark).not.toBeNull();
    expect(seen.every(([, createdAt]) => createdAt >= watermark!)).toBe(true);
    // Tailing at ~30 events/s with a 15 s look-back keeps a few hundred ids, not the thousands delivered.
    expect(seen.length).toBeLessThan(800);
  });
});

describe('SyncEngine.drainUntil', () => {
  it('returns only once every event created before the target is delivered', async () => {
    const feed = new LaggingFeed(START, LAG, 3);
    const late = feed.create(START - 2_000, 9_000); // created before the target, visible 7 s after it
    for (let i = 0; i < 50; i++) feed.create(START - 60_000 + i * 1000, 0);
    const sink = new MemoryStorage();
    const instance = await poller(feed, sink);
    await instance.drainUntil(START);
    expect(sink.lines.map((event) => event.id)).toContain(late.id);
    expect(sink.lines).toHaveLength(51);
    expect(feed.clock).toBeGreaterThanOrEqual(START + 15_000);
  });

  it('runs its last pass as soon as it can reach the target, not a whole poll interval later', async () => {
    const feed = new LaggingFeed(START, LAG, 3);
    for (let i = 0; i < 50; i++) feed.create(START - 60_000 + i * 1000, 0);
    const sink = new MemoryStorage();
    const instance = await simulatedEngine(feed, sink, { pollIntervalMs: 30_000, checkpoint: { lookbackMs: 2_000, settleMs: 1_000 } });
    await instance.drainUntil(START + 300);
    expect(sink.lines).toHaveLength(50);
    // The watermark can pass START + 300 once a page's Date reads a look-back after it (second
    // granularity): START + 3 s, plus the few ms each request costs.
    expect(feed.clock).toBeGreaterThanOrEqual(START + 3_000);
    expect(feed.clock).toBeLessThan(START + 3_100);
  });

  it('starts at startAt when there is no saved state', async () => {
    const feed = new LaggingFeed(START, LAG, 3);
    for (let i = 0; i < 20; i++) feed.create(START - 20_000 + i * 1000, 0);
    const sink = new MemoryStorage();
    const client = new EventsyncClient(
      { baseUrl: 'http://feed.test', apiKey: 'wlcro_test_unit' },
      { transport: feed.transport, now: () => feed.clock, sleep: async (ms) => void (feed.clock += ms) },
    );
    const instance = await SyncEngine.open({
      feed: client.events,
      storage: sink,
      now: () => feed.clock,
      sleep: async (ms) => void (feed.clock += ms),
      startAt: new Date(START - 10_000).toISOString(),
    });
    await instance.drainUntil(START);
    expect(sink.lines).toHaveLength(10);
  });
});

describe('SyncEngine failures', () => {
  it('drainUntil gives up after repeated transient failures instead of hanging', async () => {
    const feed = new LaggingFeed(START, LAG, 3);
    let requests = 0;
    const client = new EventsyncClient(
      { baseUrl: 'http://feed.test', apiKey: 'wlcro_test_unit', retry: { maxAttempts: 2 } },
      {
        transport: async () => {
          requests++;
          return { status: 503, headers: {}, body: '{"error":{"code":"unavailable","message":"busy"}}' };
        },
        now: () => feed.clock,
        sleep: async (ms) => void (feed.clock += ms),
        random: () => 0.5,
      },
    );
    const instance = await SyncEngine.open({
      feed: client.events,
      storage: new MemoryStorage(),
      now: () => feed.clock,
      sleep: async (ms) => void (feed.clock += ms),
      drainFailureLimit: 3,
    });
    await expect(instance.drainUntil(START)).rejects.toMatchObject({ status: 503 });
    expect(requests).toBe(6); // three passes of two attempts each
  });

  it('run() waits out transient failures and resumes from the saved checkpoint', async () => {
    const feed = new LaggingFeed(START, LAG, 3);
    for (let i = 0; i < 60; i++) feed.create(START - 120_000 + i * 1000, 0);
    let failing = 4;
    const transport = feed.transport;
    const client = new EventsyncClient(
      { baseUrl: 'http://feed.test', apiKey: 'wlcro_test_unit', retry: { maxAttempts: 1 } },
      {
        transport: async (request) =>
          failing-- > 0 && failing % 2 === 1 ? { status: 503, headers: {}, body: '' } : transport(request),
        now: () => feed.clock,
        sleep: async (ms) => void (feed.clock += ms),
      },
    );
    const sink = new MemoryStorage();
    const instance: SyncEngine = await SyncEngine.open({
      feed: client.events,
      storage: sink,
      now: () => feed.clock,
      sleep: async (ms) => void (feed.clock += ms),
      pageSize: 10,
      onProgress: (progress) => {
        if (progress.delivered >= 60) instance.stop();
      },
    });
    await instance.run();
    expect(sink.lines.map((event) => event.id)).toEqual(feed.events.map((stored) => stored.event.id));
  });
});

describe('SyncEngine.accept (webhook intake)', () => {
  async function openPoller() {
    const feed = new LaggingFeed(START, LAG, 3);
    for (let i = 0; i < 30; i++) feed.create(START - 60_000 + i * 1000, 0);
    const sink = new MemoryStorage();
    let writes = 0;
    const write = sink.commit.bind(sink);
    sink.commit = async (...args) => {
      writes++;
      return write(...args);
    };
    const instance = await poller(feed, sink);
    return { feed, sink, instance, writes: () => writes };
  }

  it('writes concurrent deliveries once each, grouped into few writes, and the feed does not repeat them', async () => {
    const { feed, sink, instance, writes } = await openPoller();
    const live = Array.from({ length: 40 }, () => feed.create(feed.clock, 0));
    const deliveries = [...live, ...live.slice(0, 10)].map((event) => instance.accept([event])); // ten delivered twice
    const counts = await Promise.all(deliveries);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(40);
    expect(writes()).toBeLessThan(10);
    expect((await sink.recover()).seen.length).toBeGreaterThanOrEqual(40);

    feed.clock += 20_000;
    await instance.drainUntil(feed.clock - 16_000);
    const ids = sink.lines.map((event) => event.id);
    expect(ids).toHaveLength(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(feed.events.map((stored) => stored.event.id)));
    expect(instance.progress.byChannel).toEqual({ webhook: 40, poll: 30 });
  });

  it('drops a late webhook retry of an event the feed already delivered', async () => {
    const { feed, sink, instance } = await openPoller();
    feed.clock += 20_000;
    await instance.drainUntil(feed.clock - 16_000);
    const old = feed.events[0]!.event;
    expect(await instance.accept([old])).toBe(0);
    expect(sink.lines.filter((event) => event.id === old.id)).toHaveLength(1);
  });
});
