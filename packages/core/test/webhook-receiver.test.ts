/**
 * The receiver under abuse, over real loopback sockets: slow clients (node:net, byte by
 * byte) must be closed well inside the API's 10 s delivery timeout, an oversized body must
 * get a 413 the client can read, and valid signed deliveries must be answered promptly
 * all the while. Timeouts are passed short so this runs in seconds; the last test checks
 * the defaults the CLI uses.
 */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryHeaders, InvalidInputError, PRESETS, WebhookIntake, type EventEnvelope } from '@eventsync/core';
import { startWebhookReceiver, type WebhookReceiverOptions } from '@eventsync/core/node';

const SECRET = 'whsec_' + Buffer.from('receiver-abuse-test-secret').toString('base64');
const signature = PRESETS.integration.signature;
const FIVE_MB = 5 * 1024 * 1024;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(options: Partial<WebhookReceiverOptions> = {}) {
  const written: string[] = [];
  const intake = new WebhookIntake({
    poller: { accept: async (events) => (written.push(...events.map((event) => event.id)), events.length) },
    signature,
    secrets: () => [SECRET],
    now: Date.now,
  });
  const started = await startWebhookReceiver({ intake, port: 0, ...options });
  cleanups.push(() => started.close());
  const url = new URL(started.url);
  return { url: started.url, port: Number(url.port), written };
}

let sequence = 0;

/** One signed delivery on a fresh connection: its status and how long the answer took. */
function deliver(url: string, body?: Buffer): Promise<{ status: number; ms: number }> {
  const event: EventEnvelope = { id: `evt_${++sequence}`, type: 'customer.created', created_at: new Date().toISOString(), data: {} };
  const payload = body ?? Buffer.from(JSON.stringify(event));
  const headers = deliveryHeaders(signature, { secrets: [SECRET], body: payload, timestamp: Math.floor(Date.now() / 1000), id: `del_${sequence}`, eventType: event.type });
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent: false, headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': payload.length } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, ms: performance.now() - start }));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** A raw client: what it received, whether the server half-closed, when it was closed, and how. */
function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const openedAt = performance.now();
  const state = { received: '', ended: false, error: undefined as string | undefined, closedAfterMs: undefined as number | undefined, firstByteAfterMs: undefined as number | undefined };
  socket.on('data', (chunk: Buffer) => {
    state.firstByteAfterMs ??= performance.now() - openedAt;
    state.received += chunk.toString('latin1');
  });
  socket.on('end', () => (state.ended = true));
  socket.on('error', (error: NodeJS.ErrnoException) => (state.error = error.code));
  const closed = new Promise<void>((resolve) => socket.on('close', () => ((state.closedAfterMs = performance.now() - openedAt), resolve())));
  cleanups.push(() => socket.destroy());
  /** Writes `text` one piece every `everyMs`, until the socket closes. */
  const drip = (pieces: readonly string[], everyMs: number): void => {
    let next = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || socket.writableEnded) return void clearInterval(timer);
      socket.write(pieces[next++ % pieces.length]!);
    }, everyMs);
    socket.on('close', () => clearInterval(timer));
  };
  /**
   * Sends `data` without reading until it is all written, as a client busy with its body
   * does (curl, for one). A server that closes on unread bytes resets the connection, and
   * the reset throws away its answer before this client gets to read it.
   */
  const sendBusy = (data: Buffer | string): void => {
    socket.pause();
    socket.write(data, () => socket.resume());
  };
  return { socket, state, closed, drip, sendBusy };
}

function request(headers: Record<string, string | number>): string {
  return ['POST /webhooks HTTP/1.1', 'Host: 127.0.0.1', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n') + '\r\n\r\n';
}

function statusLine(received: string): string {
  return received.split('\r\n')[0] ?? '';
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await sleep(20);
}

describe('webhook receiver under abuse', () => {
  it('closes slow clients within its timeouts while valid deliveries get 200 at once', async () => {
    // Timeouts long enough for the ten deliveries below to finish while the abuse goes on, on a busy machine too.
    const { url, port, written } = await receiver({ headersTimeoutMs: 2_000, requestTimeoutMs: 3_000 });

    // Slowloris: twenty connections sending their headers one byte every 100 ms.
    const headerBytes = [...request({ 'Content-Type': 'application/json', 'Content-Length': 2 })];
    const slowloris = Array.from({ length: 20 }, () => rawClient(port));
    for (const client of slowloris) client.drip(headerBytes, 100);
    // A chunked body that never ends: a one-byte chunk every 100 ms, no terminating chunk.
    const endless = rawClient(port);
    endless.socket.write(request({ 'Transfer-Encoding': 'chunked' }));
    endless.drip(['1\r\na\r\n'], 100);
    // A body whose Content-Length never arrives: 10 of 100 bytes, then silence.
    const short = rawClient(port);
    short.socket.write(request({ 'Content-Length': 100 }) + '{"id":"ev');
    const slow = [...slowloris, endless, short];

    await sleep(100);
    const answers: Array<{ status: number; ms: number }> = [];
    for (let index = 0; index < 10; index++) answers.push(await deliver(url));
    expect(slow.filter((client) => client.state.closedAfterMs !== undefined), 'the abuse was still going on').toEqual([]);
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(500);
    expect(written).toHaveLength(10);

    await until(() => slow.every((client) => client.state.closedAfterMs !== undefined), 8_000);
    for (const client of slowloris) expect(client.state.closedAfterMs, 'slowloris: 2 s headers timeout').toBeLessThan(3_000);
    for (const client of [endless, short]) expect(client.state.closedAfterMs, 'slow body: 3 s request timeout').toBeLessThan(4_000);
    expect(new Set(slow.map((client) => statusLine(client.state.received)))).toEqual(new Set(['HTTP/1.1 408 Request Timeout']));
  });

  it('answers a Content-Length over the cap with 413 at once, before any body is sent, and closes', async () => {
    const { port } = await receiver({ headersTimeoutMs: 500, requestTimeoutMs: 1_000 });
    const client = rawClient(port);
    client.socket.write(request({ 'Content-Type': 'application/json', 'Content-Length': FIVE_MB }));
    await until(() => client.state.ended, 1_000);
    expect(statusLine(client.state.received)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(client.state.firstByteAfterMs).toBeLessThan(250);
    expect(client.state.ended).toBe(true);
    expect(client.state.received).toContain('over 1048576 bytes');
  });

  it('answers Expect: 100-continue with 413 instead of inviting an oversized body', async () => {
    const { port } = await receiver();
    const client = rawClient(port);
    client.socket.write(request({ 'Content-Length': FIVE_MB, Expect: '100-continue' }));
    await until(() => client.state.ended, 1_000);
    expect(statusLine(client.state.received)).toBe('HTTP/1.1 413 Payload Too Large');
  });

  it('a 5 MB body sent in full gets a 413 the client can read, not a connection reset', async () => {
    const { port } = await receiver();
    const client = rawClient(port);
    client.sendBusy(Buffer.concat([Buffer.from(request({ 'Content-Length': FIVE_MB })), Buffer.alloc(FIVE_MB, 'x')]));
    await client.closed;
    expect(client.state.error).toBeUndefined();
    expect(statusLine(client.state.received)).toBe('HTTP/1.1 413 Payload Too Large');
  });

  it('a chunked body that crosses the cap gets a 413 the client can read, then the connection closes', async () => {
    const { port } = await receiver();
    const client = rawClient(port);
    const chunk = 'x'.repeat(64 * 1024);
    const piece = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    // 2 MiB over a 1 MiB cap, no terminating chunk, and then it goes on sending.
    client.sendBusy(request({ 'Transfer-Encoding': 'chunked' }) + piece.repeat(32));
    client.drip([piece], 50);
    await client.closed;
    expect(client.state.error).toBeUndefined();
    expect(statusLine(client.state.received)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(client.state.ended).toBe(true);
    expect(client.state.closedAfterMs).toBeLessThan(4_000);
  });

  it('turns away connections over its cap at once, and serves again when they go', async () => {
    const { url, port } = await receiver({ maxConnections: 4 });
    const idle = Array.from({ length: 4 }, () => rawClient(port));
    await sleep(100);
    const extra = rawClient(port);
    await until(() => extra.state.closedAfterMs !== undefined, 1_000);
    expect(extra.state.closedAfterMs).toBeLessThan(500);
    expect(extra.state.received).toBe('');
    for (const client of idle) client.socket.destroy();
    await sleep(100);
    expect((await deliver(url)).status).toBe(200);
  });

  it.each([
    ['a headers timeout longer than the request timeout', { headersTimeoutMs: 9_000, requestTimeoutMs: 8_000 }, 'headersTimeoutMs'],
    ['no connections at all', { maxConnections: 0 }, 'maxConnections'],
    ['a timeout that is not a number', { requestTimeoutMs: Number.NaN }, 'requestTimeoutMs'],
  ])('refuses to start with %s, naming the option', async (_, limits, field) => {
    const error = await receiver(limits).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
  });

  it('with its defaults, closes a silent connection well inside the API\'s 10 s delivery timeout', async () => {
    const { url, port } = await receiver();
    const silent = rawClient(port);
    const crawling = rawClient(port);
    crawling.socket.write(request({ 'Content-Length': 100 }) + '{');
    expect((await deliver(url)).status).toBe(200);
    await until(() => silent.state.closedAfterMs !== undefined && crawling.state.closedAfterMs !== undefined, 10_000);
    expect(silent.state.closedAfterMs, 'headers timeout 5 s').toBeLessThan(6_000);
    expect(crawling.state.closedAfterMs, 'request timeout 8 s').toBeLessThan(9_000);
  }, 15_000);
});
