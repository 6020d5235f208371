/**
 * What tailing costs: every system on a key shares its rate budget, so a sync must spend
 * what its guarantee needs and no more. A live feed of 5 events/s with the 10 s lag, run
 * by `SyncEngine.run` on a simulated clock; the feed counts the requests.
 */
import { describe, expect, it } from 'vitest';
import { EventsyncClient, SyncEngine } from '@eventsync/core';
import { LaggingFeed } from './lagging-feed.js';
import { MemoryStorage } from './memory-sync.js';

const START = Date.parse('2026-04-03T09:00:00.000Z');

async function tail(pollIntervalMs: number, minutes: number, ratePerSecond = 5) {
  const feed = new LaggingFeed(START, 10_000, 41);
  feed.requestCostMs = 20;
  let nextEventAt = START;
  // Sleeping moves the feed's clock and creates the events of that stretch.
  const sleep = async (ms: number) => {
    const until = feed.clock + ms;
    for (; nextEventAt < until; nextEventAt += 1_000 / ratePerSecond) feed.create(nextEventAt);
    feed.clock = until;
  };
  const client = new EventsyncClient(
    { baseUrl: 'http://feed.test', apiKey: 'wlcro_test_unit', retry: { maxAttempts: 1 } },
    { transport: feed.transport, now: () => feed.clock, sleep, random: () => 0.5 },
  );
  const sink = new MemoryStorage();
  let steadyFrom: number | undefined;
  const poller: SyncEngine = await SyncEngine.open({
    feed: client.events,
    storage: sink,
    now: () => feed.clock,
    sleep,
    pageSize: 100,
    pollIntervalMs,
    onProgress: () => {
      // After a warm-up minute, count a steady stretch.
      if (steadyFrom === undefined && feed.clock >= START + 60_000) steadyFrom = feed.requests;
      if (feed.clock >= START + (minutes + 1) * 60_000) poller.stop();
    },
  });
  await poller.run();
  const perMinute = (feed.requests - (steadyFrom ?? 0)) / minutes;
  // Everything created a look-back before the end must be in the sink by then.
  const settled = feed.events.filter((stored) => stored.createdMs < feed.clock - 40_000).map((stored) => stored.event.id);
  const delivered = sink.lines.map((event) => event.id);
  return { perMinute, settled, delivered };
}

describe('polling a live feed', () => {
  it('spends about one request per poll plus a look-back sweep, and loses nothing', async () => {
    const { perMinute, settled, delivered } = await tail(2_000, 3);
    // 30 polls a minute, plus four sweeps of ~2 pages each: the old loop spent 60+.
    expect(perMinute).toBeLessThanOrEqual(36);
    expect(perMinute).toBeGreaterThanOrEqual(25);
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(delivered.filter((id) => settled.includes(id))).toHaveLength(settled.length);
  });

  it('reads only what is new between sweeps, so a busy feed costs little more than a quiet one', async () => {
    // At 20 events/s the look-back holds ~4 pages: re-reading it on every poll would cost 120+ a minute.
    const { perMinute, settled, delivered } = await tail(2_000, 3, 20);
    expect(perMinute).toBeLessThanOrEqual(50);
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(delivered.filter((id) => settled.includes(id))).toHaveLength(settled.length);
  });

  it('spends a few requests a minute with a long interval', async () => {
    const { perMinute, settled, delivered } = await tail(30_000, 4);
    expect(perMinute).toBeLessThanOrEqual(6);
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(delivered.filter((id) => settled.includes(id))).toHaveLength(settled.length);
  });
});
