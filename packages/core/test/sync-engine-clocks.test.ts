/**
 * The server's clock decides what the feed shows. These run a live feed with the 10 s
 * visibility lag while the sync's own clock is off by an injected offset, and check that
 * the sink ends with exactly the feed's events.
 */
import { describe, expect, it } from 'vitest';
import { EventsyncClient, SyncEngine } from '@eventsync/core';
import { LaggingFeed } from './lagging-feed.js';
import { MemoryStorage } from './memory-sync.js';

const START = Date.parse('2026-04-03T09:00:00.000Z');
const LAG = 10_000;

/** A sync whose clock reads the feed's plus `offsetMs`. */
async function skewedPoller(feed: LaggingFeed, sink: MemoryStorage, offsetMs: number, notices: string[] = []) {
  const localNow = () => feed.clock + offsetMs;
  const sleep = async (ms: number) => void (feed.clock += ms);
  const client = new EventsyncClient(
    { baseUrl: 'http://feed.test', apiKey: 'wlcro_test_unit', retry: { maxAttempts: 1 } },
    { transport: feed.transport, now: localNow, sleep, random: () => 0.5 },
  );
  const poller = await SyncEngine.open({ feed: client.events, storage: sink, now: localNow, sleep, pageSize: 25, onNotice: (line) => notices.push(line) });
  return { client, poller };
}

/** Live traffic polled as it happens, then a drain to "now" as `--once` does it. */
async function skewedRun(offsetMs: number, options: { sendsDate?: boolean } = {}) {
  const feed = new LaggingFeed(START, LAG, 31);
  feed.sendsDate = options.sendsDate ?? true;
  for (let i = 0; i < 100; i++) feed.create(START - 600_000 + i * 5_000, 0);
  const sink = new MemoryStorage();
  const notices: string[] = [];
  let { poller } = await skewedPoller(feed, sink, offsetMs, notices);
  for (let step = 0; step < 200; step++) {
    for (let i = 0; i < 3; i++) feed.create();
    feed.clock += 250;
    if (step % 4 === 0) await poller.pass();
  }
  // A new process (`sync --once`) picks up the checkpoint and drains to what it calls now.
  const next = await skewedPoller(feed, sink, offsetMs, notices);
  await next.client.me().catch(() => undefined);
  const drainedTo = next.client.api.clock.upperBound();
  const createdBefore = feed.clock;
  await next.poller.drainUntil(drainedTo);
  const watermark = next.poller.watermark!;
  // The checkpoint's promise: everything created before the watermark is in the sink.
  const expected = feed.events.filter((stored) => stored.createdMs < watermark).map((stored) => stored.event.id);
  const delivered = sink.lines.map((event) => event.id);
  return { expected, delivered, watermark, createdBefore, serverNow: feed.clock, notices };
}

describe('a sync whose clock disagrees with the API', () => {
  it.each([
    ['30 s ahead', 30_000],
    ['30 s behind', -30_000],
    ['10 minutes ahead', 600_000],
    ['10 minutes behind', -600_000],
  ])('delivers every event exactly once with its clock %s', async (_label, offsetMs) => {
    const { expected, delivered, watermark, createdBefore, serverNow } = await skewedRun(offsetMs);
    expect(expected.length).toBeGreaterThan(600);
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(delivered.filter((id) => expected.includes(id))).toHaveLength(expected.length);
    // The drain reached the API's "now" at its start, and "complete up to" is on the API's
    // clock: never a moment the API has not reached.
    expect(watermark).toBeGreaterThanOrEqual(createdBefore);
    expect(watermark).toBeLessThanOrEqual(serverNow);
  });

  it('without a Date header, bounds the API clock by the newest event and says so once', async () => {
    const { expected, delivered, notices, watermark, serverNow } = await skewedRun(30_000, { sendsDate: false });
    expect(expected.length).toBeGreaterThan(400);
    expect(watermark).toBeLessThanOrEqual(serverNow);
    expect(delivered).toHaveLength(new Set(delivered).size);
    expect(delivered.filter((id) => expected.includes(id))).toHaveLength(expected.length);
    expect(notices).toHaveLength(2); // once per process
    expect(notices[0]).toMatch(/no Date header/);
  });
});
