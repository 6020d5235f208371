/**
 * The Node client against the sandbox's real rate limiter: after the first 429 it has
 * learned the policy, receives no other, and never sends into the bucket while a
 * Retry-After is running, not even for callers that were already waiting for a slot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord, Sandbox } from '@eventsync/sandbox';
import { startSandbox } from '@eventsync/sandbox';
import { createNodeClient } from '@eventsync/core/node';
import { a429WhileCallersWait, arrivedDuringRetryAfter } from './support/limiter-scenarios.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
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
