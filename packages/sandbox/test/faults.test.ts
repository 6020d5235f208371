import { describe, expect, it } from 'vitest';
import { call, manualClock, start } from './helpers.js';

describe('faults', () => {
  it('answers 503 unavailable at rate 1, with Retry-After when configured, and records it', async () => {
    const sandbox = await start({ faults: { unavailableRate: 1, unavailableRetryAfterSeconds: 3 } });
    const answer = await call(sandbox, 'GET', '/events');
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('unavailable');
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(answer.headers.get('x-request-id')).toMatch(/^req_/);
    expect(sandbox.requests.at(-1)).toMatchObject({ status: 503, fault: 'unavailable', retryAfterMs: 3000, bucket: 'read' });

    sandbox.setFaults({ unavailableRate: 1 });
    expect((await call(sandbox, 'GET', '/events')).headers.get('retry-after')).toBeNull();
    sandbox.setFaults({});
    expect((await call(sandbox, 'GET', '/events')).status).toBe(200);
  });

  it('destroys the socket without an answer at reset rate 1', async () => {
    const sandbox = await start({ faults: { resetRate: 1 } });
    await expect(call(sandbox, 'GET', '/me')).rejects.toThrow();
    expect(sandbox.requests).toEqual([expect.objectContaining({ status: 0, fault: 'reset', path: '/api/v1/me' })]);
  });

  it('storms 429s with Retry-After and policy without spending the budget', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now, policies: { read: 'read:5/1m' }, faults: { rateLimitStormRate: 1, stormRetryAfterSeconds: 2 } });
    const storm = await call(sandbox, 'GET', '/me');
    expect(storm.status).toBe(429);
    expect(storm.body.error).toMatchObject({ code: 'rate_limited', policy: 'read:5/1m' });
    expect(storm.headers.get('retry-after')).toBe('2');
    expect(storm.headers.get('x-ratelimit-remaining')).toBe('5');
    sandbox.setFaults({});
    const after = await call(sandbox, 'GET', '/me');
    expect(after.headers.get('x-ratelimit-remaining')).toBe('4');
    expect(sandbox.requests[0]).toMatchObject({ status: 429, fault: 'storm', retryAfterMs: 2000 });
  });

  it('draws faults at about the configured rate, the same way for the same seed', async () => {
    const outcomes = async (seed: number) => {
      const sandbox = await start({ seed, policies: false, faults: { unavailableRate: 0.3 } });
      const statuses: number[] = [];
      for (let i = 0; i < 200; i++) statuses.push((await call(sandbox, 'GET', '/me')).status);
      return statuses;
    };
    const first = await outcomes(11);
    const unavailable = first.filter((status) => status === 503).length;
    expect(unavailable).toBeGreaterThan(35);
    expect(unavailable).toBeLessThan(85);
    expect(await outcomes(11)).toEqual(first);
  });

  it('adds latency before answering', async () => {
    const sandbox = await start({ faults: { latencyMs: [150, 200] } });
    const started = performance.now();
    expect((await call(sandbox, 'GET', '/me')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('stops promptly with answers still delayed and keep-alive sockets open', async () => {
    const sandbox = await start({ faults: { latencyMs: 10_000 } });
    const pending = call(sandbox, 'GET', '/me').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await sandbox.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('refuses unknown fault knobs and rates outside 0..1', async () => {
    const sandbox = await start();
    expect(() => sandbox.setFaults({ resetRate: 2 })).toThrow(/between 0 and 1/);
    expect(() => sandbox.setFaults({ restRate: 0.1 } as never)).toThrow(/unknown fault "restRate"/);
  });
});
