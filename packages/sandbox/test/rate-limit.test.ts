import { describe, expect, it } from 'vitest';
import { call, manualClock, start } from './helpers.js';

describe('rate limits', () => {
  it('counts down, answers 429 with Retry-After and policy, and frees the window after it', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now, policies: { read: 'read:3/1s' } });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await call(sandbox, 'GET', '/me');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit')).toBe('3');
      expect(answer.headers.get('x-ratelimit-reset')).toBe('1');
      remaining.push(answer.headers.get('x-ratelimit-remaining')!);
      clock.advance(100);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const refused = await call(sandbox, 'GET', '/events');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'rate_limited', policy: 'read:3/1s' });
    // The oldest request leaves the window 700 ms from now: rounded up to whole seconds.
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');

    // A refused request spends nothing: 700 ms later the first slot is free again.
    clock.advance(700);
    const afterWait = await call(sandbox, 'GET', '/me');
    expect(afterWait.status).toBe(200);
    expect(afterWait.headers.get('x-ratelimit-remaining')).toBe('0');

    expect(sandbox.requests.map((r) => [r.status, r.bucket, r.retryAfterMs])).toEqual([
      [200, 'read', undefined],
      [200, 'read', undefined],
      [200, 'read', undefined],
      [429, 'read', 1000],
      [200, 'read', undefined],
    ]);
  });

  it('keeps reads and writes in separate budgets unless the preset shares one (psa tenant:500/10m)', async () => {
    const clock = manualClock();
    const separate = await start({ now: clock.now, policies: { read: 'read:1/1m', write: 'write:1/1m' } });
    expect((await call(separate, 'GET', '/me')).status).toBe(200);
    expect((await call(separate, 'GET', '/me')).status).toBe(429);
    const write = await call(separate, 'POST', '/leads', { body: { email: 'lead@example.com', name: 'Lead' } });
    expect(write.status).toBe(201);
    expect(write.headers.get('x-ratelimit-remaining')).toBe('0');

    const psa = await start({ preset: 'psa', now: clock.now });
    const first = await call(psa, 'GET', '/me');
    expect(first.headers.get('x-ratelimit-limit')).toBe('500');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('499');
    const shared = await call(psa, 'POST', '/leads', { body: { email: 'lead@example.com', name: 'Lead' } });
    expect(shared.headers.get('x-ratelimit-remaining')).toBe('498');
  });

  it('counts every key separately', async () => {
    const clock = manualClock();
    const other = 'wlcro_test_other_integration_key';
    const sandbox = await start({ now: clock.now, policies: { read: 'read:1/1m' }, keys: [{ key: other }] });
    expect((await call(sandbox, 'GET', '/me')).status).toBe(200);
    expect((await call(sandbox, 'GET', '/me')).status).toBe(429);
    expect((await call(sandbox, 'GET', '/me', { key: other })).status).toBe(200);
  });

  it('gives Retry-After as an HTTP date when asked, never earlier than the window frees', async () => {
    const clock = manualClock(Date.UTC(2026, 3, 3, 9, 0, 0, 250));
    const sandbox = await start({ now: clock.now, policies: { read: 'read:1/10s' }, retryAfterFormat: 'http-date' });
    await call(sandbox, 'GET', '/me');
    clock.advance(2000);
    const refused = await call(sandbox, 'GET', '/me');
    expect(refused.status).toBe(429);
    const when = Date.parse(refused.headers.get('retry-after')!);
    // The slot frees at start + 10 s = 09:00:10.250; a whole-second date must not be before it.
    expect(when).toBe(Date.UTC(2026, 3, 3, 9, 0, 11));
    expect(sandbox.requests[1]!.retryAfterMs).toBe(when - clock.ms);
  });

  it('omits the headers entirely when rate limiting is off', async () => {
    const sandbox = await start({ policies: false });
    for (let i = 0; i < 100; i++) {
      const answer = await call(sandbox, 'GET', '/me');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});
