/**
 * The Node client against the sandbox's real rate limiter: after the first 429 it has
 * learned the policy, receives no other, and never sends into the bucket while a
 * Retry-After is running, not even for callers that were already waiting for a slot.
 * Stopping the client ends every wait at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord, Sandbox } from '@eventsync/sandbox';
import { startSandbox } from '@eventsync/sandbox';
import { StoppedError } from '@eventsync/core';
import { createNodeClient } from '@eventsync/core/node';
import { a429WhileCallersWait, arrivedDuringRetryAfter, ping, settledWithin } from './support/limiter-scenarios.js';
import { startLoopbackApi, tooManyRequests, type LoopbackApi } from './support/loopback-api.js';

let sandbox: Sandbox | undefined;
let api: LoopbackApi | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  await api?.close();
  api = undefined;
});

/** Requests that reached a bucket while an earlier 429's Retry-After was still running. */
function sentDuringRetryAfter(requests: readonly RequestRecord[], bucket: string): RequestRecord[] {
  const inBucket = requests.filter((request) => request.bucket === bucket);
  return inBucket.filter((request) =>
    inBucket.some(
      (refused) => refused.status === 429 && refused.retryAfterMs !== undefined && request.at > refused.at && request.at < refused.at + refused.retryAfterMs,
    ),
  );
}

describe.each(['seconds', 'http-date'] as const)('rate limits with Retry-After as %s', (retryAfterFormat) => {
  it('gets exactly one 429, learns the policy from it, and drains within it', async () => {
    sandbox = await startSandbox({
      seed: 3,
      policies: { read: 'read:5/1s' },
      retryAfterFormat,
      backlog: { count: 1_500, spanMs: 10 * 60_000 },
    });
    // The client believes in a far looser budget than the server enforces. X-RateLimit-Limit
    // corrects the count but not the window; only the 429's `policy` can teach that.
    const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:1000/100ms' } });
    try {
      let count = 0;
      for await (const _event of client.events.iterate({ limit: 100 })) count++;
      expect(count).toBe(1_500);
    } finally {
      client.close();
    }
    const reads = sandbox.requests.filter((request) => request.bucket === 'read');
    const refused = reads.filter((request) => request.status === 429);
    expect(refused).toHaveLength(1);
    expect(sentDuringRetryAfter(sandbox.requests, 'read')).toEqual([]);
    expect(client.limiter.status('read').policy).toMatchObject({ limit: 5, windowMs: 1_000 });
    expect(reads.filter((request) => request.status === 200)).toHaveLength(15);
  }, 30_000);
});

describe('a 429 while other callers wait for their slots', () => {
  it('holds back every caller not yet sent until its Retry-After ends', async () => {
    const outcome = await a429WhileCallersWait('wlcro_test_midqueue');
    // The scenario: four callers were still waiting when the 429 landed, plus the refused call's retry.
    expect(outcome.arrivals.filter((arrival) => arrival.at > outcome.refused.answeredAt!)).toHaveLength(5);
    expect(arrivedDuringRetryAfter(outcome)).toEqual([]);
    expect(outcome.results.map((result) => result.status)).toEqual(Array(8).fill('fulfilled'));
  }, 30_000);
});

describe('pacing', () => {
  it('drains back to back under a short window without a single 429', async () => {
    sandbox = await startSandbox({ seed: 5, policies: { read: 'read:5/200ms' }, backlog: { count: 3_000, spanMs: 10 * 60_000 } });
    const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:5/200ms' } });
    let count = 0;
    try {
      for await (const _event of client.events.iterate({ limit: 100 })) count++;
    } finally {
      client.close();
    }
    expect(count).toBe(3_000);
    expect(sandbox.requests.filter((request) => request.status === 429)).toEqual([]);
  }, 30_000);
});

describe('stopping', () => {
  it('rejects every call still waiting for a slot, and every later call, with StoppedError at once', async () => {
    api = await startLoopbackApi();
    const client = createNodeClient({ baseUrl: api.url, apiKey: 'wlcro_test_stop_slot', policies: { read: 'read:2/10s' } });
    await Promise.all([ping(client), ping(client)]);
    // The window is full for 10 s: two of these wait for a slot, four more queue behind them.
    const waiting = Array.from({ length: 6 }, () => ping(client));
    await sleep(50);
    const stoppedAt = performance.now();
    client.limiter.stop();
    const outcomes = await Promise.all(waiting.map((call) => settledWithin(call, 1_000)));
    const took = performance.now() - stoppedAt;
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(StoppedError);
    expect(took).toBeLessThan(100);
    await expect(settledWithin(ping(client), 1_000)).resolves.toBeInstanceOf(StoppedError);
    expect(api.arrivals).toHaveLength(2);
    client.close();
  });

  it('cuts a Retry-After short: the refused call and the callers paused behind it reject with StoppedError at once', async () => {
    api = await startLoopbackApi((index) => (index === 0 ? tooManyRequests(30, 'read:100/1s') : { status: 200 }));
    const client = createNodeClient({ baseUrl: api.url, apiKey: 'wlcro_test_stop_pause', policies: { read: 'read:100/1s' } });
    const refused = ping(client);
    while (client.limiter.status('read').pausedUntil === 0) await sleep(5);
    const paused = [ping(client), ping(client)];
    await sleep(50);
    const stoppedAt = performance.now();
    client.limiter.stop();
    const outcomes = await Promise.all([refused, ...paused].map((call) => settledWithin(call, 1_000)));
    const took = performance.now() - stoppedAt;
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(StoppedError);
    expect(took).toBeLessThan(100);
    expect(api.arrivals).toHaveLength(1);
    client.close();
  });
});

describe('rate-limit headers', () => {
  it('learns the limit from X-RateLimit-Limit and is never refused when the window matches', async () => {
    sandbox = await startSandbox({ seed: 4, policies: { read: 'read:5/1s' }, backlog: { count: 1_200, spanMs: 10 * 60_000 } });
    const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:1000/1s' } });
    let count = 0;
    try {
      for await (const _event of client.events.iterate({ limit: 100 })) count++;
    } finally {
      client.close();
    }
    expect(count).toBe(1_200);
    expect(sandbox.requests.filter((request) => request.status === 429)).toEqual([]);
    expect(client.limiter.status('read').policy).toMatchObject({ limit: 5, windowMs: 1_000 });
  }, 30_000);
});

describe('rate-limit storms', () => {
  it('waits out every storm 429 before sending again and still gets every event', async () => {
    sandbox = await startSandbox({
      seed: 9,
      policies: false,
      backlog: { count: 800, spanMs: 10 * 60_000 },
      faults: { rateLimitStormRate: 0.3, stormRetryAfterSeconds: 1 },
    });
    const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, retry: { maxAttempts: 10 } });
    const ids = new Set<string>();
    try {
      for await (const event of client.events.iterate({ limit: 100 })) ids.add(event.id);
    } finally {
      client.close();
    }
    expect(ids.size).toBe(800);
    expect(sandbox.requests.some((request) => request.status === 429)).toBe(true);
    expect(sentDuringRetryAfter(sandbox.requests, 'read')).toEqual([]);
  }, 30_000);
});
