import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { call, manualClock, start } from './helpers.js';

describe('/_sandbox control routes', () => {
  it('emits events, reports stats and ids, sets faults and revokes keys without auth', async () => {
    const sandbox = await start({ visibilityLagMs: 0, policies: { read: 'read:2/1m' } });
    const emitted = await call(sandbox, 'POST', '/_sandbox/emit', { key: null, body: { type: 'invoice.paid', count: 3, data: { invoice_id: 'inv_1' } } });
    expect(emitted.status).toBe(201);
    expect(emitted.body.ids).toHaveLength(3);
    const ids = await call(sandbox, 'GET', '/_sandbox/events/ids', { key: null });
    expect(ids.body.ids).toEqual(emitted.body.ids);

    const page = await call(sandbox, 'GET', '/events');
    expect(page.body.data.map((event: { data: unknown }) => event.data)).toEqual([{ invoice_id: 'inv_1' }, { invoice_id: 'inv_1' }, { invoice_id: 'inv_1' }]);

    const badType = await call(sandbox, 'POST', '/_sandbox/emit', { key: null, body: { type: 'Invoice.Paid' } });
    expect(badType.status).toBe(400);
    expect(badType.body.error.field).toBe('type');

    const faults = await call(sandbox, 'PUT', '/_sandbox/faults', { key: null, body: { unavailableRate: 1 } });
    expect(faults.body).toEqual({ faults: { unavailableRate: 1 } });
    expect((await call(sandbox, 'GET', '/me')).status).toBe(503);
    // Control routes are never faulted or rate limited.
    for (let i = 0; i < 5; i++) expect((await call(sandbox, 'GET', '/_sandbox/stats', { key: null })).status).toBe(200);
    const badFault = await call(sandbox, 'PUT', '/_sandbox/faults', { key: null, body: { resetRate: -1 } });
    expect(badFault.body.error.field).toBe('faults.resetRate');
    await call(sandbox, 'PUT', '/_sandbox/faults', { key: null, body: {} });

    await call(sandbox, 'POST', '/_sandbox/keys/revoke', { key: null, body: { key: sandbox.apiKey } });
    expect((await call(sandbox, 'GET', '/me')).status).toBe(401);

    const stats = await call(sandbox, 'GET', '/_sandbox/stats', { key: null });
    expect(stats.body.events).toEqual({ total: 3, visible: 3 });
    expect(stats.body.requests.by_status).toMatchObject({ '200': expect.any(Number), '401': 1, '503': 1 });
  });

  it('runs a steady generator whose events are spaced by the rate', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now, visibilityLagMs: 0 });
    const started = await call(sandbox, 'POST', '/_sandbox/generator', { key: null, body: { ratePerSecond: 20 } });
    expect(started.body).toEqual({ ratePerSecond: 20 });
    clock.advance(1000);
    await expect.poll(() => sandbox.eventIds().length, { timeout: 2000 }).toBe(20);
    const page = await call(sandbox, 'GET', '/events?limit=100');
    const times = page.body.data.map((event: { created_at: string }) => Date.parse(event.created_at));
    expect(times[1] - times[0]).toBe(50);
    expect(times.at(-1)).toBe(clock.ms);
    await call(sandbox, 'POST', '/_sandbox/generator', { key: null, body: { ratePerSecond: 0 } });
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sandbox.eventIds()).toHaveLength(20);
  });
});

const childEntry = fileURLToPath(new URL('../dist/child.js', import.meta.url));

describe('child process entry', () => {
  it('prints one JSON line once listening, serves, and exits cleanly on SIGTERM', async () => {
    expect(existsSync(childEntry), 'build the package first: npx tsc -b packages/sandbox').toBe(true);
    const child = spawn(process.execPath, [childEntry, JSON.stringify({ preset: 'partner', backlog: { count: 5 } })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.on('exit', (code) => reject(new Error(`child exited with ${code} before listening`)));
    });
    const info = JSON.parse(line.trim()) as { url: string; baseUrl: string; apiKey: string };
    expect(line.trim().split('\n')).toHaveLength(1);
    expect(info.baseUrl).toBe(`${info.url}/api/v1/partner`);
    const page = await fetch(`${info.baseUrl}/events`, { headers: { authorization: `Bearer ${info.apiKey}` } });
    expect(((await page.json()) as { data: unknown[] }).data).toHaveLength(5);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
