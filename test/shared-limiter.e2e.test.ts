/**
 * Several integrations sharing one key share one budget
 * (docs/api-contract.md, Rate limits). Two `eventsync sync` processes on the same key, each
 * told the true policy: with the Redis-backed limiter they never exceed it together; without
 * it (the control) they do.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy, StoppedError } from '@eventsync/core';
import { RollingWindowLimiter, RedisRateLog } from '@eventsync/core/node';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { idsInFile, runCli, tempDir } from './support/cli.js';
import { a429WhileCallersWait, arrivedDuringRetryAfter, settledWithin } from './support/limiter-scenarios.js';
import { freePort } from './support/ports.js';
import { startRedis, type RedisServer } from './support/redis.js';

let redis: RedisServer;
let redisUrl: string;

beforeAll(async () => {
  redis = await startRedis();
  redisUrl = redis.url;
});
afterAll(() => {
  redis.stop();
});

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

async function twoSyncsAtOnce(shared: boolean): Promise<{ refused: number; files: string[][]; total: number }> {
  sandbox = await startSandbox({ seed: 17, visibilityLagMs: 0, policies: { read: 'read:10/1s' }, backlog: { count: 1_500, spanMs: 600_000 } });
  const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };
  const dirs = [await tempDir('shared-a'), await tempDir('shared-b')];
  const results = await Promise.all(
    dirs.map((dir) =>
      runCli(
        ['sync', '--once', '--data-dir', dir, '--lookback', '1s', '--no-status', '--rate-limit', 'read:10/1s', '--budget-share', '1', ...(shared ? ['--shared-limiter', redisUrl] : [])],
        env,
      ),
    ),
  );
  for (const result of results) expect(result.code, result.stderr).toBe(0);
  const files = await Promise.all(dirs.map((dir) => idsInFile(join(dir, 'events.ndjson'))));
  return { refused: sandbox.requests.filter((request) => request.status === 429).length, files, total: sandbox.eventIds().length };
}

describe('a rate-limit budget shared across processes', () => {
  it('keeps two processes on one key within the policy together: no 429 at all', async () => {
    const { refused, files, total } = await twoSyncsAtOnce(true);
    expect(refused).toBe(0);
    for (const ids of files) expect(ids).toHaveLength(total);
  }, 60_000);

  it('(control) without it, the same two processes exceed the policy', async () => {
    const { refused, files, total } = await twoSyncsAtOnce(false);
    expect(refused).toBeGreaterThan(0);
    for (const ids of files) expect(ids).toHaveLength(total);
  }, 60_000);

  it('a 429 seen by one process pauses the bucket for another', async () => {
    const apiKey = `wlcro_test_pause_${Date.now()}`;
    const policy = parsePolicy('read:1000/1s');
    const first = new RedisRateLog(redisUrl, apiKey);
    const second = new RedisRateLog(redisUrl, apiKey);
    const seer = new RollingWindowLimiter({ policies: [policy], shared: first });
    const other = new RollingWindowLimiter({ policies: [policy], shared: second });
    try {
      // Both connected first (ioredis loads when a log is created): the wait below is for the pause alone.
      await Promise.all([first, second].map((log) => log.release('read', 'none')));
      const observedAt = performance.now();
      seer.observe('read', { status: 429, retryAfterMs: 2_000, policy: 'read:1000/1s' });
      // The pause travels through Redis in two round trips: ample time for them on a busy machine.
      await sleep(300);
      await other.schedule('read', async () => undefined);
      // Held until the Retry-After ran out, not merely slowed: 2 s from the 429, less a margin for timers.
      expect(performance.now() - observedAt).toBeGreaterThanOrEqual(1_950);
    } finally {
      seer.stop();
      other.stop();
      await first.close();
      await second.close();
    }
  });

  it('a 429 holds back every caller not yet sent until its Retry-After ends, through the shared log too', async () => {
    const errors: unknown[] = [];
    const outcome = await a429WhileCallersWait(`wlcro_test_midqueue_${Date.now()}`, {
      sharedLimiterUrl: redisUrl,
      onSharedLimiterError: (error) => errors.push(error),
    });
    expect(errors).toEqual([]);
    expect(outcome.arrivals.filter((arrival) => arrival.at > outcome.refused.answeredAt!)).toHaveLength(5);
    expect(arrivedDuringRetryAfter(outcome)).toEqual([]);
    expect(outcome.results.map((result) => result.status)).toEqual(Array(8).fill('fulfilled'));
  }, 30_000);

  it('stop() ends a wait on the shared log at once, with StoppedError, and sends nothing', async () => {
    const apiKey = `wlcro_test_stop_${Date.now()}`;
    const policy = parsePolicy('read:1/10s');
    const first = new RedisRateLog(redisUrl, apiKey);
    const second = new RedisRateLog(redisUrl, apiKey);
    const spender = new RollingWindowLimiter({ policies: [policy], shared: first });
    const waiter = new RollingWindowLimiter({ policies: [policy], shared: second });
    try {
      await spender.schedule('read', async () => undefined);
      let sent = 0;
      // The shared window is full for 10 s: this one waits on Redis's word.
      const waiting = waiter.schedule('read', async () => sent++);
      await sleep(100);
      const stoppedAt = performance.now();
      waiter.stop();
      expect(await settledWithin(waiting, 1_000)).toBeInstanceOf(StoppedError);
      expect(performance.now() - stoppedAt).toBeLessThan(100);
      expect(sent).toBe(0);
    } finally {
      spender.stop();
      waiter.stop();
      await first.close();
      await second.close();
    }
  });

  it('falls back to its own log, and says so, when Redis is unreachable', async () => {
    const errors: unknown[] = [];
    const log = new RedisRateLog(`redis://127.0.0.1:${await freePort()}`, 'wlcro_test_nobody');
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:5/1s')], shared: log, onSharedError: (error) => errors.push(error) });
    try {
      await limiter.schedule('read', async () => undefined);
      expect(errors.length).toBeGreaterThan(0);
      expect(limiter.status('read').sentInWindow).toBe(1);
    } finally {
      limiter.stop();
      await log.close();
    }
  });
});
