/**
 * `tenants: N`: one server, N tenants, and the key on each request decides which one answers.
 * What a user of many connections would notice if the tenants leaked into each other: a feed
 * showing another tenant's events, a record found under the wrong key, one key's 429s or
 * revocation reaching another, a delivery arriving at another tenant's endpoint.
 */
import { Agent, request } from 'node:http';
import { verifyWebhook } from '@eventsync/core';
import { startSandbox, type Sandbox, type SandboxTenant } from '@eventsync/sandbox';
import { describe, expect, it } from 'vitest';
import { call, manualClock, start } from './helpers.js';
import { quiet, startReceiver } from './webhook-receiver.js';

/** A request with the tenant's key. */
function as(sandbox: Sandbox, tenant: SandboxTenant, method: string, path: string, body?: unknown) {
  return call(sandbox, method, path, { key: tenant.apiKey, ...(body === undefined ? {} : { body }) });
}

/** GET over the given agent: each agent keeps its own connection, as two clients would. */
function getOver(agent: Agent, url: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'x-api-key': key } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

async function feedIds(sandbox: Sandbox, tenant: SandboxTenant): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await as(sandbox, tenant, 'GET', `/events?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    ids.push(...page.body.data.map((event: { id: string }) => event.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  return ids;
}

describe('tenants: one server, a tenant per key', () => {
  it('gives each tenant a slug, an id and a distinct seeded key that picks it', async () => {
    const sandbox = await start({ tenants: 3, seed: 7, backlog: { count: 5 } });
    expect(sandbox.tenants.map((tenant) => tenant.slug)).toEqual(['tenant-0001', 'tenant-0002', 'tenant-0003']);
    // Same backlog, same instants: still no event id in common (each tenant draws from its own seed).
    expect(new Set(sandbox.tenants.flatMap((tenant) => tenant.eventIds())).size).toBe(15);
    expect(new Set(sandbox.tenants.map((tenant) => tenant.apiKey)).size).toBe(3);
    expect(sandbox.apiKey).toBe(sandbox.tenants[0]!.apiKey);
    for (const tenant of sandbox.tenants) {
      expect(tenant.apiKey).toMatch(/^wlcro_test_[0-9A-Za-z]{24}$/);
      const me = await as(sandbox, tenant, 'GET', '/me');
      expect(me.status).toBe(200);
      expect(me.body.tenant).toEqual({ id: tenant.id, slug: tenant.slug });
      expect(me.body.key.last4).toBe(tenant.apiKey.slice(-4));
    }
    expect(sandbox.tenant('tenant-0002')).toBe(sandbox.tenants[1]);

    // Deterministic for a seed, and tenant n's key does not depend on how many tenants there are.
    const again = await start({ tenants: 5, seed: 7 });
    expect(again.tenants.slice(0, 3).map((tenant) => [tenant.slug, tenant.id, tenant.apiKey])).toEqual(
      sandbox.tenants.map((tenant) => [tenant.slug, tenant.id, tenant.apiKey]),
    );
    const otherSeed = await start({ tenants: 3, seed: 8 });
    expect(otherSeed.tenants[0]!.apiKey).not.toBe(sandbox.tenants[0]!.apiKey);
    // Without `tenants`, one tenant as before, its key among the tenants.
    const single = await start({ seed: 7 });
    expect(single.tenants.map((tenant) => [tenant.slug, tenant.apiKey])).toEqual([['sandbox-integration', single.apiKey]]);
  });

  it('keeps feeds and records apart: each key sees only its own tenant', async () => {
    const sandbox = await start({ tenants: 2, visibilityLagMs: 0, policies: false, backlog: { count: 30 }, backlogs: { 'tenant-0002': 12 } });
    const [a, b] = sandbox.tenants as [SandboxTenant, SandboxTenant];
    const emitted = b.emit('invoice.paid', { invoice_id: 'inv_b' }, { commitDelayMs: 0 });

    const idsA = await feedIds(sandbox, a);
    const idsB = await feedIds(sandbox, b);
    expect(idsA).toEqual(a.eventIds());
    expect(idsB).toEqual(b.eventIds());
    expect(idsA).toHaveLength(30);
    expect(idsB).toHaveLength(13);
    expect(idsB).toContain(emitted.id);
    expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
    // The sandbox's own feed methods are the first tenant's.
    expect(sandbox.eventIds()).toEqual(idsA);

    const created = await as(sandbox, a, 'POST', '/customers', { email: 'ada@example.com', name: 'Ada' });
    expect(created.status).toBe(201);
    expect((await as(sandbox, a, 'GET', `/customers/${created.body.id}`)).status).toBe(200);
    expect((await as(sandbox, b, 'GET', `/customers/${created.body.id}`)).status).toBe(404);
    expect((await as(sandbox, b, 'GET', '/customers?email=ada@example.com')).body.data).toEqual([]);
    // The customer.created event went to a's feed only.
    const aboutIt = (event: { data: Record<string, unknown> }) => event.data.customer_id === created.body.id;
    expect(a.events().filter(aboutIt).map((event) => event.type)).toEqual(['customer.created']);
    expect(b.events().filter(aboutIt)).toEqual([]);
  });

  it('counts the budget per key: one tenant at 429 leaves another untouched; two connections on one key share one budget', async () => {
    const clock = manualClock();
    const sandbox = await start({ tenants: 3, now: clock.now, policies: { read: 'read:3/1m' } });
    const [a, b, c] = sandbox.tenants as [SandboxTenant, SandboxTenant, SandboxTenant];
    for (let i = 0; i < 3; i++) expect((await as(sandbox, a, 'GET', '/me')).status).toBe(200);
    const refused = await as(sandbox, a, 'GET', '/me');
    expect(refused.status).toBe(429);
    expect(refused.body.error.policy).toBe('read:3/1m');
    for (let i = 0; i < 3; i++) {
      const answer = await as(sandbox, b, 'GET', '/events');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
    }

    // Two clients, each with its own connection, configured with c's key: one budget between them.
    const connections = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (const agent of connections) statuses.push(await getOver(agent, `${sandbox.baseUrl}/me`, c.apiKey));
    }
    for (const agent of connections) agent.destroy();
    expect(statuses).toEqual([200, 200, 200, 429]);

    const usage = (tenant: SandboxTenant) => tenant.usage()[0]!.buckets.find((bucket) => bucket.bucket === 'read')!;
    expect(usage(a)).toMatchObject({ policy: 'read:3/1m', limit: 3, windowMs: 60_000, requests: 4, admitted: 3, rateLimited: 1, storms: 0, maxInWindow: 4 });
    expect(usage(b)).toMatchObject({ requests: 3, admitted: 3, rateLimited: 0, maxInWindow: 3 });
    expect(usage(c)).toMatchObject({ requests: 4, admitted: 3, rateLimited: 1, maxInWindow: 4 });
    expect(usage(a).perSecond).toEqual([{ second: Math.floor(clock.ms / 1000), requests: 4 }]);

    // A minute on, the window is empty again; the most in one window stays what it was.
    clock.advance(60_000);
    expect((await as(sandbox, a, 'GET', '/me')).status).toBe(200);
    expect(usage(a)).toMatchObject({ requests: 5, admitted: 4, maxInWindow: 4 });
    expect(usage(a).perSecond).toHaveLength(2);
  });

  it('revokes one tenant: 401 for its key, the others answer as before', async () => {
    const sandbox = await start({ tenants: 3 });
    const [a, b, c] = sandbox.tenants as [SandboxTenant, SandboxTenant, SandboxTenant];
    b.revoke();
    expect(b.isRevoked()).toBe(true);
    const refused = await as(sandbox, b, 'GET', '/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain(`${b.apiKey.slice(-4)} was revoked`);
    expect(JSON.stringify(refused.body)).not.toContain(b.apiKey);
    expect((await as(sandbox, a, 'GET', '/me')).status).toBe(200);
    expect((await as(sandbox, c, 'GET', '/me')).status).toBe(200);
    expect(a.isRevoked()).toBe(false);
    // A key the sandbox never issued is still a 401, not some tenant.
    expect((await call(sandbox, 'GET', '/me', { key: 'wlcro_test_000000000000000000000000' })).status).toBe(401);
  });

  it('delivers a tenant\'s events only to that tenant\'s subscriptions, and breaks only that tenant\'s circuit', async () => {
    const sandbox = await start({ tenants: 2, visibilityLagMs: 0, policies: false, webhooks: { circuitBreakerThreshold: 2, timeScale: 0 } });
    const [a, b] = sandbox.tenants as [SandboxTenant, SandboxTenant];
    const receiverA = await startReceiver();
    const receiverB = await startReceiver(() => 500);
    const path = sandbox.preset.subscriptionsPath;
    const subA = (await as(sandbox, a, 'POST', path, { url: receiverA.url, events: ['*'] })).body;
    const subB = (await as(sandbox, b, 'POST', path, { url: receiverB.url, events: ['*'] })).body;
    // Each tenant lists (and can reach) only its own subscription.
    expect((await as(sandbox, a, 'GET', path)).body.data.map((s: { id: string }) => s.id)).toEqual([subA.id]);
    expect((await as(sandbox, b, 'GET', `${path}/${subA.id}`)).status).toBe(404);
    expect(subA.secret).not.toBe(subB.secret);

    const eventA = a.emit('lead.created', { lead_id: 'lead_a' }, { commitDelayMs: 0 });
    const [delivered] = await receiverA.waitFor(1);
    expect(JSON.parse(delivered!.text).id).toBe(eventA.id);
    verifyWebhook({ settings: sandbox.preset.signature, rawBody: delivered!.raw, headers: delivered!.headers, secrets: subA.secret, now: Date.now() });
    expect(() =>
      verifyWebhook({ settings: sandbox.preset.signature, rawBody: delivered!.raw, headers: delivered!.headers, secrets: subB.secret, now: Date.now() }),
    ).toThrow();

    const eventB = b.emit('lead.created', { lead_id: 'lead_b' }, { commitDelayMs: 0 });
    await receiverB.waitFor(2);
    await expect.poll(() => b.subscription(subB.id)?.active, { timeout: 3000 }).toBe(false);
    await quiet(100);
    expect(receiverA.received.map((received) => JSON.parse(received.text).id)).toEqual([eventA.id]);
    expect(receiverB.received.every((received) => JSON.parse(received.text).id === eventB.id)).toBe(true);
    expect(a.subscription(subA.id)?.active).toBe(true);
    expect(a.subscription(subB.id)).toBeUndefined();
    expect(sandbox.subscription(subB.id)?.id).toBe(subB.id);

    expect(a.deliveries.map((entry) => entry.subscription_id)).toEqual([subA.id]);
    expect(new Set(b.deliveries.map((entry) => entry.subscription_id))).toEqual(new Set([subB.id]));
    expect(sandbox.deliveries).toHaveLength(a.deliveries.length + b.deliveries.length);
  });

  it('refuses settings that cannot mean anything, naming them', async () => {
    await expect(startSandbox({ tenants: 0 })).rejects.toMatchObject({ setting: 'tenants' });
    await expect(startSandbox({ tenants: 2.5 })).rejects.toMatchObject({ setting: 'tenants' });
    await expect(startSandbox({ tenants: 2, apiKey: 'wlcro_test_mine' })).rejects.toMatchObject({ setting: 'apiKey' });
    await expect(startSandbox({ tenants: 2, keys: [{ key: 'wlcro_test_mine' }] })).rejects.toMatchObject({ setting: 'keys' });
    await expect(startSandbox({ tenants: 2, backlogs: { 'tenant-0003': 5 } })).rejects.toThrow(/tenant-0001 to tenant-0002/);
    await expect(startSandbox({ tenants: 2, backlogs: { 'tenant-0002': -1 } })).rejects.toMatchObject({ setting: 'backlogs.tenant-0002' });
    await expect(startSandbox({ backlogs: { 'tenant-0001': 5 } })).rejects.toMatchObject({ setting: 'backlogs' });
  });
});
