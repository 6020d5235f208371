/**
 * A rotation's race with the API: the new subscription delivers from the moment it exists,
 * signed with a secret this process learns only from the answer to its create request. A
 * sandbox that delivers 50 events a second and an answer held back half a second make that
 * window wide enough to land in every run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncEngine, type Transport } from '@eventsync/core';
import { createAxiosTransport, createNodeClient, NdjsonFileStorage, startWebhookReceiver } from '@eventsync/core/node';
import { startSandbox } from '@eventsync/sandbox';
import { WebhookChannel } from '../src/webhook-channel.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('WebhookChannel.rotateSecret', () => {
  it("accepts deliveries signed with the new secret that arrive before the API's answer to the create", async () => {
    const sandbox = await startSandbox({ seed: 62, generator: { ratePerSecond: 50 }, policies: false, webhooks: { timeScale: 0.001 } });
    cleanups.push(() => sandbox.stop());
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    // Set for the rotation: its create request's answer is held back, and when it was let through is noted.
    let holdCreate = false;
    let createAnsweredAt = Number.NaN;
    const slowCreate: Transport = async (request) => {
      const response = await http(request);
      if (holdCreate && request.method === 'POST' && request.url.endsWith('/webhooks/subscriptions')) {
        await sleep(500);
        createAnsweredAt = Date.now();
      }
      return response;
    };
    const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:100000/1m', write: 'write:100000/1m' } }, { transport: slowCreate });
    cleanups.push(() => client.close());
    const dir = await mkdtemp(join(tmpdir(), 'eventsync-channel-rotation-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const storage = new NdjsonFileStorage({ path: join(dir, 'events.ndjson'), stateDir: join(dir, 'state') });
    const engine = await SyncEngine.open({ feed: client.events, storage, now: Date.now, sleep: (ms) => sleep(ms) });
    cleanups.push(() => storage.close());
    const channel = await WebhookChannel.start({
      client,
      poller: engine,
      openEndpoint: (intake) => startWebhookReceiver({ intake, port: 0 }),
      description: 'rotation race test',
      stateDir: join(dir, 'state'),
      types: [],
      healthIntervalMs: 60_000,
      log: () => undefined,
    });
    cleanups.push(() => channel.close({ deleteSubscription: true }));
    const before = channel.subscriptionId!;
    holdCreate = true;

    expect(await channel.rotateSecret()).toBe(true);

    const after = channel.subscriptionId!;
    expect(after).not.toBe(before);
    const early = sandbox.deliveries.filter((delivery) => delivery.subscription_id === after && delivery.at < createAnsweredAt);
    // The race happened: the new subscription delivered while its create was still unanswered here...
    expect(early.length).toBeGreaterThan(0);
    // ...and nothing was refused, those deliveries included.
    expect(sandbox.deliveries.filter((delivery) => delivery.status === 401)).toEqual([]);
    expect(early.every((delivery) => delivery.ok)).toBe(true);
  }, 30_000);
});
