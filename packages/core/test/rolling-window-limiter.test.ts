import { describe, expect, it } from 'vitest';
import { parsePolicy } from '@eventsync/core';
import { RollingWindowLimiter } from '@eventsync/core/node';

/** Schedules `count` tasks at once and returns when each one started, relative to now. */
async function startTimes(limiter: RollingWindowLimiter, bucket: string, count: number, onFirst?: () => void): Promise<number[]> {
  const origin = performance.now();
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: count }, () =>
      limiter.schedule(bucket, async () => {
        starts.push(performance.now() - origin);
        if (starts.length === 1) onFirst?.();
      }),
    ),
  );
  return starts;
}

/** The most starts that fall within any `windowMs` stretch. */
function busiest(starts: readonly number[], windowMs: number): number {
  return Math.max(...starts.map((start) => starts.filter((other) => other >= start && other < start + windowMs).length));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('RollingWindowLimiter', () => {
  it('bursts up to the policy, then never puts more than it allows in any rolling window', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:4/200ms')] });
    const starts = await startTimes(limiter, 'read', 12);
    expect(busiest(starts, 200)).toBeLessThanOrEqual(4);
    // The first four go at once; then four more each time the window frees (200 ms + the 25 ms jitter margin).
    expect(starts[3]).toBeLessThan(20);
    expect(starts[4]).toBeGreaterThanOrEqual(200);
    expect(starts.at(-1)).toBeLessThan(600);
    limiter.stop();
  });

  it("keeps to its budget share, leaving the rest of the window to the key's other systems", async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:8/200ms')], budgetShare: 0.5 });
    const starts = await startTimes(limiter, 'read', 12);
    expect(busiest(starts, 200)).toBeLessThanOrEqual(4);
    expect(starts[3]).toBeLessThan(20);
    expect(starts[4]).toBeGreaterThanOrEqual(200);
    limiter.stop();
  });

  it('refuses a budget share that is not a share', () => {
    for (const budgetShare of [0, -0.5, 1.5, Number.NaN]) {
      expect(() => new RollingWindowLimiter({ policies: [], budgetShare })).toThrow(/budgetShare.*above 0 and at most 1/);
    }
  });

  it('sends each request as soon as one window has passed since the answer that freed its slot, not later', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:1/200ms')] });
    // Sequential requests of a 10 ms round trip each, as a backfill sends them.
    const starts: number[] = [];
    const answers: number[] = [];
    const requests = (async () => {
      for (let i = 0; i < 7; i++) {
        await limiter.schedule('read', async () => {
          starts.push(performance.now());
          await new Promise((resolve) => setTimeout(resolve, 10));
          answers.push(performance.now());
        });
      }
    })();
    // Meanwhile, how late a plain 200 ms timer fires on this machine right now: the limiter's own
    // wait cannot beat that, and a loaded machine makes both late alike.
    const timerLateness: number[] = [];
    for (let i = 0; i < 6; i++) {
      const due = performance.now() + 200;
      await new Promise((resolve) => setTimeout(resolve, 200));
      timerLateness.push(performance.now() - due);
    }
    await requests;
    // The server counted each request by its answer at the latest: one window after that, the slot is free.
    const lateness = starts.slice(1).map((start, i) => start - (answers[i]! + 200));
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    // Within a few ms of a bare timer: no margin added for the network (the window's 0.1 % + 1 ms only).
    expect(median(lateness)).toBeLessThan(median(timerLateness) + 5);
    limiter.stop();
  });

  it('sends at once when the bucket is idle and its slot is free', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:1000/1s')] });
    const origin = performance.now();
    let startedAfter = Number.NaN;
    await limiter.schedule('read', async () => {
      startedAfter = performance.now() - origin;
    });
    expect(startedAfter).toBeLessThan(1);
    limiter.stop();
  });

  it('pauses the whole bucket for Retry-After after a 429, for every queued caller', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:1000/1s')] });
    const starts = await startTimes(limiter, 'read', 4, () =>
      limiter.observe('read', { status: 429, retryAfterMs: 300, policy: 'read:1000/1s' }),
    );
    expect(starts[0]).toBeLessThan(50);
    for (const start of starts.slice(1)) expect(start).toBeGreaterThanOrEqual(295);
    limiter.stop();
  });

  it('does not pause other buckets', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:1000/1s'), parsePolicy('write:1000/1s')] });
    limiter.observe('read', { status: 429, retryAfterMs: 500 });
    const origin = performance.now();
    await limiter.schedule('write', async () => undefined);
    expect(performance.now() - origin).toBeLessThan(100);
    limiter.stop();
  });

  it('learns a tighter policy from a 429 body and keeps to it from then on', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:1000/1s')] });
    limiter.observe('read', { status: 429, retryAfterMs: 1, policy: 'read:5/300ms' });
    expect(limiter.status('read').policy).toEqual(parsePolicy('read:5/300ms'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const starts = await startTimes(limiter, 'read', 12);
    expect(busiest(starts, 300)).toBeLessThanOrEqual(5);
    limiter.stop();
  });

  it('waits for the reset when the budget is spent by another process sharing the key', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:60/1m')] });
    // This process has sent nothing, yet the API says none remain: someone else spent them.
    limiter.observe('read', { status: 200, limit: 60, remaining: 0, resetMs: 250 });
    expect(limiter.status('read').pausedUntil).toBeGreaterThan(Date.now());
    const origin = performance.now();
    await limiter.schedule('read', async () => undefined);
    expect(performance.now() - origin).toBeGreaterThanOrEqual(245);
    limiter.stop();
  });

  it('does not mistake a slow answer\'s X-RateLimit-Remaining: 0 for another process spending the budget', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:2/200ms')] });
    await limiter.schedule('read', async () => undefined);
    // The server counts this one at once but answers 250 ms later; the first send has left the window by then.
    await limiter.schedule('read', () => new Promise((resolve) => setTimeout(resolve, 250)));
    limiter.observe('read', { status: 200, limit: 2, remaining: 0, resetMs: 1000 });
    expect(limiter.status('read').pausedUntil).toBe(0);
    limiter.stop();
  });

  it('does not pause when this process itself spent the budget (spacing already covers it)', async () => {
    const limiter = new RollingWindowLimiter({ policies: [parsePolicy('read:2/1s')] });
    await limiter.schedule('read', async () => undefined);
    await limiter.schedule('read', async () => undefined);
    limiter.observe('read', { status: 200, limit: 2, remaining: 0, resetMs: 1000 });
    expect(limiter.status('read').pausedUntil).toBe(0);
    limiter.stop();
  });
});
