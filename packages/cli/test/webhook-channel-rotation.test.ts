/**
 * A rotation's race with the API: the new subscription delivers from the moment it exists,
 * signed with a secret this process learns only from the answer to its create request. The
 * answer is held back here for a second while the sandbox delivers 50 events a second, so the
 * race happens in every run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deliveryHeaders, PRESETS, ScopeError, StoppedError, SyncEngine, type EventsyncClient, type Transport } from '@eventsync/core';
import { createAxiosTransport, createNodeClient, NdjsonFileStorage, startWebhookReceiver } from '@eventsync/core/node';
import { startSandbox } from '@eventsync/sandbox';
import { SubscriptionFile } from '../src/subscription-file.js';
import { WebhookChannel } from '../src/webhook-channel.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A sandbox delivering 50 events a second, each within 0.2 s of its creation. */
async function busySandbox() {
  const sandbox = await startSandbox({ seed: 62, visibilityLagMs: 200, generator: { ratePerSecond: 50 }, policies: false, webhooks: { timeScale: 0.001 } });
  cleanups.push(() => sandbox.stop());
  return sandbox;
}

/** `sync --listen`'s webhook half on a temporary state directory, its client going through `transport`. */
async function startChannel(sandbox: Awaited<ReturnType<typeof busySandbox>>, transport: Transport, log: (line: string) => void = () => undefined) {
  const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:100000/1m', write: 'write:100000/1m' } }, { transport });
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
    description: 'rotation test',
    stateDir: join(dir, 'state'),
    types: [],
    healthIntervalMs: 60_000,
    log,
  });
  cleanups.push(() => channel.close({ deleteSubscription: true }));
  return { channel, client, stateDir: join(dir, 'state') };
}

/** The subscriptions the sandbox's tenant has now. */
async function subscriptionIds(client: EventsyncClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const subscription of client.subscriptions.iterate()) ids.push(subscription.id);
  return ids;
}

function isSubscriptionRequest(request: { method: string; url: string }, method: string, tail: RegExp): boolean {
  return request.method === method && tail.test(new URL(request.url).pathname);
}

describe('WebhookChannel.rotateSecret', () => {
  it("accepts deliveries signed with the new secret that arrive before the API's answer to the create", async () => {
    const sandbox = await busySandbox();
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    // Set for the rotation: its create request's answer is held back a second, and when it was let through is noted.
    let holdCreate = false;
    let createAnsweredAt = Number.NaN;
    const slowCreate: Transport = async (request) => {
      const response = await http(request);
      if (holdCreate && request.method === 'POST' && request.url.endsWith('/webhooks/subscriptions')) {
        await sleep(1_000);
        createAnsweredAt = Date.now();
      }
      return response;
    };
    const { channel } = await startChannel(sandbox, slowCreate);
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

  it('accepts the old secret at every step, while the state file is being saved too', async () => {
    const sandbox = await busySandbox();
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    const { channel, stateDir } = await startChannel(sandbox, http);
    const { secret: oldSecret } = JSON.parse(await readFile(join(stateDir, 'subscription.json'), 'utf8')) as { secret: string };
    const body = JSON.stringify({ id: 'evt_on_the_wire', type: 'customer.created', created_at: new Date().toISOString(), data: {} });
    const signedWithOld = (): boolean => {
      const headers = deliveryHeaders(PRESETS.integration.signature, { secrets: [oldSecret], body, timestamp: Math.floor(Date.now() / 1000), id: 'del_on_the_wire', eventType: 'customer.created' });
      return channel.intake.check(Buffer.from(body), Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))).ok;
    };
    // A delivery signed with the old secret, checked at each save of the state file: the
    // moments the secrets the receiver accepts change.
    const verdicts: boolean[] = [];
    const save = SubscriptionFile.prototype.save;
    const spy = vi.spyOn(SubscriptionFile.prototype, 'save').mockImplementation(function (this: SubscriptionFile, subscription) {
      verdicts.push(signedWithOld());
      return save.call(this, subscription);
    });
    cleanups.push(() => spy.mockRestore());

    expect(await channel.rotateSecret()).toBe(true);

    expect(verdicts.length).toBeGreaterThanOrEqual(2);
    expect(verdicts.every(Boolean)).toBe(true);
    expect(signedWithOld()).toBe(true);
  }, 30_000);

  it('a rotation that finds the subscription disabled re-enables it first, as a health check would: the new one is active at once, and the log says why', async () => {
    const sandbox = await busySandbox();
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    const lines: string[] = [];
    const { channel, client } = await startChannel(sandbox, http, (line) => lines.push(line));
    const oldId = channel.subscriptionId!;
    await client.subscriptions.disable(oldId);

    expect(await channel.rotateSecret()).toBe(true);

    const newId = channel.subscriptionId!;
    expect(newId).not.toBe(oldId);
    expect(await subscriptionIds(client)).toEqual([newId]);
    expect((await client.subscriptions.get(newId)).active).toBe(true);
    const reenabled = lines.findIndex((line) => line.includes(`${oldId} was inactive`));
    expect(reenabled).toBeGreaterThanOrEqual(0);
    expect(reenabled).toBeLessThan(lines.findIndex((line) => line.startsWith('rotating the signing secret')));
  }, 30_000);

  it('a rotation whose subscription cannot be re-enabled fails before creating anything, and says why', async () => {
    const sandbox = await busySandbox();
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    const refuseEnable: Transport = (request) =>
      isSubscriptionRequest(request, 'PATCH', /\/webhooks\/subscriptions\/[^/]+$/) && JSON.parse(String(request.body)).active === true
        ? Promise.resolve({ status: 422, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { type: 'invalid_request', message: 'cannot enable it now' } }) })
        : http(request);
    const { channel, client } = await startChannel(sandbox, refuseEnable);
    const oldId = channel.subscriptionId!;
    await client.subscriptions.disable(oldId);

    await expect(channel.rotateSecret()).rejects.toThrow(/cannot enable it now/);

    expect(channel.subscriptionId).toBe(oldId);
    expect(await subscriptionIds(client)).toEqual([oldId]);
  }, 30_000);

  it('a stop while the rotation checks the subscription ends it there: nothing is created', async () => {
    const sandbox = await busySandbox();
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    let stopNow: (() => void) | undefined;
    const creates: string[] = [];
    const stopDuringCheck: Transport = async (request) => {
      if (isSubscriptionRequest(request, 'POST', /\/webhooks\/subscriptions$/)) creates.push(request.url);
      const response = await http(request);
      if (stopNow && isSubscriptionRequest(request, 'GET', /\/webhooks\/subscriptions\/[^/]+$/)) stopNow();
      return response;
    };
    const { channel, client } = await startChannel(sandbox, stopDuringCheck);
    const oldId = channel.subscriptionId!;
    let closed!: Promise<void>;
    stopNow = () => {
      stopNow = undefined;
      closed = channel.close({ deleteSubscription: false });
    };
    creates.length = 0;

    await expect(channel.rotateSecret()).rejects.toBeInstanceOf(StoppedError);
    await closed;

    expect(creates).toEqual([]);
    expect(await subscriptionIds(client)).toEqual([oldId]);
    await client.subscriptions.delete(oldId);
  }, 30_000);

  it('a stop during a rotation undoes it first: no subscription and no state file outlive the channel', async () => {
    const sandbox = await busySandbox();
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    // The handler never accepts the test delivery: the rotation tries again every second, for up to 30 s.
    const refusedTests: Transport = async (request) =>
      isSubscriptionRequest(request, 'POST', /\/subscriptions\/[^/]+\/test$/)
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delivery_id: 'del_refused', http_status: 500, duration_ms: 1, ok: false }) }
        : http(request);
    const { channel, client, stateDir } = await startChannel(sandbox, refusedTests);
    const rotation = channel.rotateSecret().catch((error: unknown) => error);
    await vi.waitFor(async () => expect(await subscriptionIds(client)).toHaveLength(2), { timeout: 10_000, interval: 50 });

    const stoppedAt = performance.now();
    await channel.close({ deleteSubscription: true });
    expect(performance.now() - stoppedAt, 'the rotation was cut short, not waited out').toBeLessThan(5_000);
    expect(await rotation).toBeInstanceOf(StoppedError);
    expect(await subscriptionIds(client)).toEqual([]);
    await expect(readFile(join(stateDir, 'subscription.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);

  it('after a rotation that could not delete the old subscription, the next one deletes it first: no orphan', async () => {
    const sandbox = await busySandbox();
    const http = createAxiosTransport();
    cleanups.push(() => http.close());
    let refuseDeletes = false;
    const deletesRefused: Transport = async (request) =>
      refuseDeletes && isSubscriptionRequest(request, 'DELETE', /\/subscriptions\/[^/]+$/)
        ? { status: 403, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'forbidden', message: 'the key lacks webhooks:write' } }) }
        : http(request);
    const { channel, client } = await startChannel(sandbox, deletesRefused);
    const first = channel.subscriptionId!;
    refuseDeletes = true;
    await expect(channel.rotateSecret()).rejects.toBeInstanceOf(ScopeError);
    expect(await subscriptionIds(client)).toHaveLength(2);
    refuseDeletes = false;

    expect(await channel.rotateSecret()).toBe(true);
    const ids = await subscriptionIds(client);
    expect(ids).toEqual([channel.subscriptionId]);
    expect(ids).not.toContain(first);
  }, 60_000);
});
