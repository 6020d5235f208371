/**
 * A run that ends between creating its subscription and saving the answer leaves a
 * subscription whose secret nobody kept: every delivery it makes is refused, and it counts
 * towards the API's circuit breaker. The next start on the same state directory and URL
 * deletes it, whether it creates a subscription or reuses the saved one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncEngine, type EventsyncClient, type Transport } from '@eventsync/core';
import { createAxiosTransport, createNodeClient, NdjsonFileStorage, startWebhookReceiver } from '@eventsync/core/node';
import { startSandbox } from '@eventsync/sandbox';
import { WebhookChannel } from '../src/webhook-channel.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const PUBLIC_URL = 'http://127.0.0.1:9/webhooks';

/** The process "dies" right after the API answered its create request: the answer is never seen. */
class Crash extends Error {}

async function setup(ownsUrl = true) {
  const sandbox = await startSandbox({ seed: 63, policies: false });
  cleanups.push(() => sandbox.stop());
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-channel-leftovers-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const http = createAxiosTransport();
  cleanups.push(() => http.close());
  let crashAfterCreate = false;
  const transport: Transport = async (request) => {
    const response = await http(request);
    if (crashAfterCreate && request.method === 'POST' && request.url.endsWith('/webhooks/subscriptions')) throw new Crash('ended before saving');
    return response;
  };
  const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:100000/1m', write: 'write:100000/1m' }, retry: { maxAttempts: 1 } }, { transport });
  cleanups.push(() => client.close());
  const storage = new NdjsonFileStorage({ path: join(dir, 'events.ndjson'), stateDir: join(dir, 'state') });
  const engine = await SyncEngine.open({ feed: client.events, storage, now: Date.now, sleep: (ms) => sleep(ms) });
  cleanups.push(() => storage.close());
  const lines: string[] = [];
  const start = () =>
    WebhookChannel.start({
      client,
      poller: engine,
      openEndpoint: (intake) => startWebhookReceiver({ intake, port: 0 }),
      // A fixed address, as a daemon's is: the runs below are on the same one.
      publicUrl: PUBLIC_URL,
      description: 'leftovers test',
      // As `sync` says: nothing else delivers to this address.
      ownsUrl,
      stateDir: join(dir, 'state'),
      types: [],
      healthIntervalMs: 60_000,
      log: (line) => lines.push(line),
    });
  return { client, start, lines, crash: (on: boolean) => (crashAfterCreate = on) };
}

async function subscriptionIds(client: EventsyncClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const subscription of client.subscriptions.iterate()) ids.push(subscription.id);
  return ids;
}

describe('WebhookChannel.start after a run that did not save its subscription', () => {
  it('deletes the unsaved subscription before creating its own', async () => {
    const { client, start, lines, crash } = await setup();
    crash(true);
    await expect(start()).rejects.toThrow('ended before saving');
    const [orphan] = await subscriptionIds(client);
    expect(orphan).toBeDefined();

    crash(false);
    const channel = await start();
    cleanups.push(() => channel.close({ deleteSubscription: true }));
    expect(await subscriptionIds(client)).toEqual([channel.subscriptionId]);
    expect(lines).toContain(`deleted webhook subscription ${orphan}: an earlier run created it for ${PUBLIC_URL} and stopped before saving it`);
  });

  it('deletes it when reusing the saved subscription too, and leaves subscriptions to other addresses alone', async () => {
    const { client, start, crash } = await setup();
    const first = await start();
    const saved = first.subscriptionId!;
    // A crash, not a clean stop: the subscription and its file stay for the next run.
    await first.close({ deleteSubscription: false });
    const someoneElses = await client.subscriptions.create({ url: 'http://127.0.0.1:9/elsewhere', events: ['*'], managedBy: 'eventsync' });
    // A second subscription to our address whose answer was lost, as a rotation's create would leave.
    crash(true);
    await expect(client.subscriptions.create({ url: PUBLIC_URL, events: ['*'], managedBy: 'eventsync' })).rejects.toThrow('ended before saving');
    crash(false);
    expect(await subscriptionIds(client)).toHaveLength(3);

    const second = await start();
    cleanups.push(() => second.close({ deleteSubscription: true }));
    expect(second.subscriptionId).toBe(saved);
    expect((await subscriptionIds(client)).sort()).toEqual([saved, someoneElses.id].sort());
  });

  it('leaves them alone when the channel does not own its URL, as under `run`', async () => {
    const { client, start, crash } = await setup(false);
    crash(true);
    await expect(start()).rejects.toThrow('ended before saving');
    crash(false);
    const channel = await start();
    cleanups.push(() => channel.close({ deleteSubscription: true }));
    expect(await subscriptionIds(client)).toHaveLength(2);
  });
});
