/**
 * Deliveries that arrive together share one commit: the receiver hands them to the engine
 * at the end of the event loop's turn that read them, over real sockets into a real NDJSON
 * storage. The requests are written while this process's event loop is held, so that all
 * of them are waiting when it next reads, as a burst from a dispatcher would be.
 */
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryHeaders, EventsyncClient, PRESETS, SyncEngine, WebhookIntake, type EventEnvelope } from '@eventsync/core';
import { NdjsonFileStorage, startWebhookReceiver } from '@eventsync/core/node';

const SECRET = 'whsec_' + Buffer.from('receiver-batching-test-secret').toString('base64');
const signature = PRESETS.integration.signature;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function signedRequest(index: number): string {
  const event: EventEnvelope = { id: `evt_${index}`, type: 'customer.created', created_at: new Date().toISOString(), data: { index } };
  const body = JSON.stringify(event);
  const headers = deliveryHeaders(signature, { secrets: [SECRET], body, timestamp: Math.floor(Date.now() / 1000), id: `del_${index}`, eventType: event.type });
  const lines = Object.entries({ ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).map(([name, value]) => `${name}: ${value}`);
  return ['POST /webhooks HTTP/1.1', 'Host: 127.0.0.1', ...lines].join('\r\n') + '\r\n\r\n' + body;
}

describe('webhook receiver batching', () => {
  it('writes deliveries that arrive at once in one commit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventsync-batching-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const storage = new NdjsonFileStorage({ path: join(dir, 'events.ndjson'), stateDir: join(dir, 'state') });
    const commits: number[] = [];
    const commit = storage.commit.bind(storage);
    storage.commit = (events, watermark, fingerprint) => (commits.push(events.length), commit(events, watermark, fingerprint));
    // The engine is only the door into the storage here: no feed request is made.
    const client = new EventsyncClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused' }, { transport: async () => ({ status: 503, headers: {}, body: '' }), now: Date.now, sleep: (ms) => sleep(ms) });
    const engine = await SyncEngine.open({ feed: client.events, storage, now: Date.now, sleep: (ms) => sleep(ms) });
    cleanups.push(() => storage.close());
    const intake = new WebhookIntake({ poller: engine, signature, secrets: () => [SECRET], now: Date.now });
    const receiver = await startWebhookReceiver({ intake, port: 0 });
    cleanups.push(() => receiver.close());
    const port = Number(new URL(receiver.url).port);

    const sockets = await Promise.all(
      Array.from({ length: 8 }, () => {
        const socket = net.connect(port, '127.0.0.1');
        cleanups.push(() => socket.destroy());
        return new Promise<net.Socket>((resolve) => socket.once('connect', () => resolve(socket)));
      }),
    );
    const statusLines = (): Array<Promise<string>> =>
      sockets.map((socket) => new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1').split('\r\n')[0]!))));
    // One delivery on each connection first, so that the receiver has taken all eight in.
    const first = statusLines();
    sockets.forEach((socket, index) => socket.write(signedRequest(index)));
    expect(await Promise.all(first)).toEqual(sockets.map(() => 'HTTP/1.1 200 OK'));
    commits.length = 0;

    const answers = statusLines();
    sockets.forEach((socket, index) => socket.write(signedRequest(8 + index)));
    // Hold the event loop while the kernel takes the eight requests in.
    const heldUntil = performance.now() + 100;
    while (performance.now() < heldUntil);

    expect(await Promise.all(answers)).toEqual(sockets.map(() => 'HTTP/1.1 200 OK'));
    expect(commits).toEqual([8]);
  });
});
