/**
 * The /_sandbox routes of a sandbox with `tenants`, as a benchmark in another process drives
 * them (the tenant list with keys, per-tenant feed, generator, usage, revocation), and what
 * 1,000 tenants cost to start.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sandbox, SandboxTenant } from '@eventsync/sandbox';
import { describe, expect, it, vi } from 'vitest';
import { call, manualClock, start } from './helpers.js';

const admin = (sandbox: Sandbox, method: string, path: string, body?: unknown) =>
  call(sandbox, method, `/_sandbox${path}`, { key: null, ...(body === undefined ? {} : { body }) });

describe('/_sandbox routes with tenants', () => {
  it('lists the tenants with their keys, and revokes one by slug', async () => {
    const sandbox = await start({ tenants: 3 });
    const listed = await admin(sandbox, 'GET', '/tenants');
    expect(listed.body.tenants).toEqual(sandbox.tenants.map((tenant) => ({ slug: tenant.slug, id: tenant.id, apiKey: tenant.apiKey, revoked: false })));

    expect((await admin(sandbox, 'POST', '/tenants/tenant-0002/revoke')).body).toEqual({ revoked: true });
    expect((await call(sandbox, 'GET', '/me', { key: sandbox.tenants[1]!.apiKey })).status).toBe(401);
    expect((await call(sandbox, 'GET', '/me', { key: sandbox.tenants[2]!.apiKey })).status).toBe(200);
    expect((await admin(sandbox, 'GET', '/tenants')).body.tenants.map((tenant: { revoked: boolean }) => tenant.revoked)).toEqual([false, true, false]);

    const unknown = await admin(sandbox, 'POST', '/tenants/tenant-0009/revoke');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('GET /_sandbox/tenants lists them');
  });

  it('scopes the feed routes by tenant; without a tenant they act on the first', async () => {
    const sandbox = await start({ tenants: 2, visibilityLagMs: 0, backlog: { count: 4 } });
    const [a, b] = sandbox.tenants as [SandboxTenant, SandboxTenant];
    const emitted = await admin(sandbox, 'POST', '/tenants/tenant-0002/emit', { type: 'note.created', count: 2 });
    expect(emitted.status).toBe(201);
    expect(b.eventIds().slice(-2)).toEqual(emitted.body.ids);
    expect((await admin(sandbox, 'GET', '/tenants/tenant-0002/events/ids?visible=true')).body.ids).toEqual(b.eventIds());
    expect((await admin(sandbox, 'GET', '/tenants/tenant-0001/events/ids')).body.ids).toEqual(a.eventIds());

    const unscoped = await admin(sandbox, 'POST', '/emit', { type: 'lead.created' });
    expect(a.eventIds()).toContain(unscoped.body.ids[0]);
    expect((await admin(sandbox, 'GET', '/events/ids')).body.ids).toEqual(a.eventIds());
    expect((await admin(sandbox, 'POST', '/tenants/tenant-0002/emit', { type: 'Lead.Created' })).body.error.field).toBe('type');

    expect((await admin(sandbox, 'GET', '/tenants/tenant-0002/stats')).body).toMatchObject({ events: { total: 6, visible: 6 }, webhooks: { subscriptions: 0 } });
    const stats = await admin(sandbox, 'GET', '/stats');
    expect(stats.body).toMatchObject({ tenants: 2, events: { total: 11, visible: 11 } });
    expect((await admin(sandbox, 'GET', '/tenants/tenant-0002/deliveries')).body).toEqual({ total: 0, deliveries: [] });
  });

  it('runs one tenant\'s generator, or every tenant\'s', async () => {
    const clock = manualClock();
    const sandbox = await start({ tenants: 3, now: clock.now, visibilityLagMs: 0 });
    const [a, b, c] = sandbox.tenants as [SandboxTenant, SandboxTenant, SandboxTenant];
    expect((await admin(sandbox, 'POST', '/tenants/tenant-0002/generator', { ratePerSecond: 10 })).body).toEqual({ ratePerSecond: 10 });
    clock.advance(1000);
    await expect.poll(() => b.eventIds().length, { timeout: 2000 }).toBe(10);
    expect([a.eventIds().length, c.eventIds().length]).toEqual([0, 0]);

    expect((await admin(sandbox, 'POST', '/generator', { ratePerSecond: 20 })).body).toEqual({ ratePerSecond: 20 });
    expect((await admin(sandbox, 'GET', '/stats')).body.generator).toEqual({ ratePerSecond: 60 });
    clock.advance(1000);
    await expect.poll(() => sandbox.tenants.map((tenant) => tenant.eventIds().length), { timeout: 2000 }).toEqual([20, 30, 20]);
    await admin(sandbox, 'POST', '/generator', { ratePerSecond: 0 });
    expect((await admin(sandbox, 'POST', '/tenants/tenant-0001/generator', { ratePerSecond: -1 })).body.error.field).toBe('generator.ratePerSecond');
  });

  it('reports each key\'s usage: per bucket, the most in one window, 429s, and per second for one tenant', async () => {
    const clock = manualClock();
    const sandbox = await start({ tenants: 2, now: clock.now, policies: { read: 'read:2/10s', write: 'write:5/10s' } });
    const [a] = sandbox.tenants as [SandboxTenant];
    for (let i = 0; i < 3; i++) {
      await call(sandbox, 'GET', '/me', { key: a.apiKey });
      clock.advance(1000);
    }
    await call(sandbox, 'POST', '/leads', { key: a.apiKey, body: { email: 'lin@example.com', name: 'Lin' } });

    const all = await admin(sandbox, 'GET', '/usage');
    expect(all.body.keys).toHaveLength(2);
    const [usageA, usageB] = all.body.keys;
    expect(usageA).toMatchObject({ tenant: 'tenant-0001', keyHint: `…${a.apiKey.slice(-4)}`, revoked: false });
    expect(usageA.buckets).toEqual([
      { bucket: 'read', policy: 'read:2/10s', limit: 2, windowMs: 10_000, requests: 3, admitted: 2, rateLimited: 1, storms: 0, maxInWindow: 3 },
      { bucket: 'write', policy: 'write:5/10s', limit: 5, windowMs: 10_000, requests: 1, admitted: 1, rateLimited: 0, storms: 0, maxInWindow: 1 },
    ]);
    expect(usageB).toMatchObject({ tenant: 'tenant-0002', buckets: [] });
    expect(JSON.stringify(all.body)).not.toContain(a.apiKey);

    const first = Math.floor(Date.UTC(2026, 3, 3, 9, 0, 0) / 1000);
    const scoped = await admin(sandbox, 'GET', '/tenants/tenant-0001/usage');
    expect(scoped.body.keys[0].buckets[0].perSecond).toEqual([
      { second: first, requests: 1 },
      { second: first + 1, requests: 1 },
      { second: first + 2, requests: 1 },
    ]);
    expect((await admin(sandbox, 'GET', '/usage?perSecond=true')).body.keys[0].buckets[0].perSecond).toHaveLength(3);
  });
});

describe('1,000 tenants', () => {
  it('start in a few seconds with one generator timer, one of them with its own backlog, every key answering as its tenant', async () => {
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const startedAt = performance.now();
    const sandbox = await start({ tenants: 1000, backlog: { count: 100 }, backlogs: { 'tenant-0500': 20_000 }, generator: { ratePerSecond: 1 } });
    const elapsedMs = performance.now() - startedAt;
    const timers = intervals.mock.calls.length;
    intervals.mockRestore();
    expect(elapsedMs).toBeLessThan(10_000);
    expect(timers).toBe(1);

    expect(sandbox.tenants).toHaveLength(1000);
    expect(sandbox.tenants.at(-1)!.slug).toBe('tenant-1000');
    expect(new Set(sandbox.tenants.map((tenant) => tenant.apiKey)).size).toBe(1000);
    for (const index of [0, 499, 999]) {
      const tenant = sandbox.tenants[index]!;
      const me = await call(sandbox, 'GET', '/me', { key: tenant.apiKey });
      expect(me.body.tenant.slug).toBe(tenant.slug);
    }
    expect(sandbox.tenant('tenant-0500')!.eventIds().length).toBeGreaterThanOrEqual(20_000);
    expect(sandbox.tenant('tenant-0501')!.eventIds().length).toBeLessThan(1000);
  });
});

const childEntry = fileURLToPath(new URL('../dist/child.js', import.meta.url));

describe('child process entry with tenants', () => {
  it('prints every tenant\'s slug and key on its one line', async () => {
    expect(existsSync(childEntry), 'build the package first: npx tsc -b packages/sandbox').toBe(true);
    const child = spawn(process.execPath, [childEntry, JSON.stringify({ tenants: 3 })], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.on('exit', (code) => reject(new Error(`child exited with ${code} before listening`)));
    });
    const info = JSON.parse(line.trim()) as { url: string; baseUrl: string; apiKey: string; tenants: Array<{ slug: string; apiKey: string }> };
    expect(info.tenants.map((tenant) => tenant.slug)).toEqual(['tenant-0001', 'tenant-0002', 'tenant-0003']);
    expect(info.apiKey).toBe(info.tenants[0]!.apiKey);
    const me = await fetch(`${info.baseUrl}/me`, { headers: { 'x-api-key': info.tenants[2]!.apiKey } });
    expect(((await me.json()) as { tenant: { slug: string } }).tenant.slug).toBe('tenant-0003');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
