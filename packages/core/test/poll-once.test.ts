/** pollOnce: the host keeps the checkpoint (n8n's static data); late events still arrive exactly once. */
import { describe, expect, it } from 'vitest';
import { EventsyncClient, pollOnce, type Checkpoint } from '@eventsync/core';
import { LaggingFeed } from './lagging-feed.js';

const START = Date.parse('2026-04-03T09:00:00.000Z');

describe('pollOnce', () => {
  it('emits every event once across polls a minute apart, late commits included', async () => {
    const feed = new LaggingFeed(START, 10_000, 13);
    const client = new EventsyncClient(
      { baseUrl: 'http://feed.test', apiKey: 'wlcro_test_unit' },
      { transport: feed.transport, now: () => feed.clock, sleep: async () => undefined },
    );
    let checkpoint: Checkpoint | null = { watermark: new Date(START).toISOString(), seen: [] };
    const emitted: string[] = [];
    for (let minute = 0; minute < 10; minute++) {
      for (let second = 0; second < 60; second++) {
        feed.create();
        feed.clock += 1_000;
      }
      const result = await pollOnce(client.events, checkpoint, { pageSize: 25 });
      emitted.push(...result.events.map((event) => event.id));
      checkpoint = result.checkpoint;
    }
    feed.clock += 60_000;
    emitted.push(...(await pollOnce(client.events, checkpoint)).events.map((event) => event.id));
    expect(emitted).toHaveLength(new Set(emitted).size);
    expect(new Set(emitted)).toEqual(new Set(feed.events.map((stored) => stored.event.id)));
  });
});
