import { startSandbox } from '@eventsync/sandbox';
import { describe, expect, it } from 'vitest';
import { call, start } from './helpers.js';

const HOOK = 'https://hooks.example.com/eventsync';

describe('webhook subscriptions API', () => {
  it('returns the secret once, on create, and never in list or get (the partner variant: its path and auth)', async () => {
    const sandbox = await start({ preset: 'partner' });
    const created = await call(sandbox, 'POST', '/webhooks', { body: { url: HOOK, events: ['customer.created', 'invoice.paid'], description: 'CRM sync' } });
    expect(created.status).toBe(201);
    const { secret, ...rest } = created.body;
    expect(rest).toEqual({
      id: expect.stringMatching(/^whsub_[0-9A-Z]{26}$/),
      url: HOOK,
      events: ['customer.created', 'invoice.paid'],
      description: 'CRM sync',
      managed_by: null,
      active: true,
      consecutive_failures: 0,
      auto_disabled_at: null,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(sandbox.subscription(rest.id)?.secret).toBe(secret);

    const list = await call(sandbox, 'GET', '/webhooks');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [rest], has_more: false, next_cursor: null });
    const one = await call(sandbox, 'GET', `/webhooks/${rest.id}`);
    expect(one.body).toEqual(rest);
    expect(JSON.stringify([list.body, one.body])).not.toContain('whsec_');
  });

  it('gives each subscription its own secret, the same ones for the same seed', async () => {
    const secrets = async (seed: number) => {
      const sandbox = await start({ seed });
      const a = await call(sandbox, 'POST', '/webhooks/subscriptions', { body: { url: HOOK, events: ['*'] } });
      const b = await call(sandbox, 'POST', '/webhooks/subscriptions', { body: { url: HOOK, events: ['*'] } });
      return [a.body.secret, b.body.secret];
    };
    const first = await secrets(7);
    expect(first[0]).not.toBe(first[1]);
    expect(await secrets(7)).toEqual(first);
    expect((await secrets(8))[0]).not.toBe(first[0]);
  });

  it('validates url, events, description and managed_by with a 400 naming the field', async () => {
    const sandbox = await start();
    const create = (body: unknown) => call(sandbox, 'POST', '/webhooks/subscriptions', { body });
    const refused = async (body: unknown, field: string, mentions?: string) => {
      const answer = await create(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'invalid_parameter', field });
      if (mentions) expect(answer.body.error.message).toContain(mentions);
    };
    await refused({ url: 'http://hooks.example.com/x', events: ['*'] }, 'url', 'https');
    await refused({ url: 'http://10.0.0.5/x', events: ['*'] }, 'url');
    await refused({ url: 'ftp://hooks.example.com/x', events: ['*'] }, 'url');
    await refused({ url: 'not a url', events: ['*'] }, 'url');
    await refused({ events: ['*'] }, 'url');
    await refused({ url: HOOK, events: [] }, 'events');
    await refused({ url: HOOK }, 'events');
    await refused({ url: HOOK, events: ['Customer.Created'] }, 'events', '"Customer.Created"');
    await refused({ url: HOOK, events: ['customer.created', 'order.shipped'] }, 'events', 'order.shipped');
    await refused({ url: HOOK, events: ['*', 'lead.created'] }, 'events');
    await refused({ url: HOOK, events: ['webhook.test'] }, 'events');
    await refused({ url: HOOK, events: ['*'], managed_by: 'Zapier' }, 'managed_by');
    await refused({ url: HOOK, events: ['*'], managed_by: 'ifttt' }, 'managed_by');
    await refused({ url: HOOK, events: ['*'], description: 42 }, 'description');

    for (const url of ['http://localhost:8080/hook', 'http://127.0.0.1/hook', 'http://127.3.2.1:9/hook', 'http://[::1]:9/hook', HOOK]) {
      const answer = await create({ url, events: ['lead.created', 'lead.created'], managed_by: null });
      expect(answer.status, url).toBe(201);
      expect(answer.body.events).toEqual(['lead.created']);
    }
    const all = await create({ url: HOOK, events: ['*'], managed_by: 'n8n' });
    expect(all.body).toMatchObject({ events: ['*'], managed_by: 'n8n' });
  });

  it('needs webhooks:read to list and webhooks:write to change', async () => {
    const sandbox = await start({
      keys: [
        { key: 'wlcro_test_readonly', scopes: ['webhooks:read'] },
        { key: 'wlcro_test_events', scopes: ['events:read'] },
      ],
    });
    const created = await call(sandbox, 'POST', '/webhooks/subscriptions', { body: { url: HOOK, events: ['*'] } });
    const id = created.body.id;
    expect((await call(sandbox, 'GET', '/webhooks/subscriptions', { key: 'wlcro_test_readonly' })).status).toBe(200);
    expect((await call(sandbox, 'GET', `/webhooks/subscriptions/${id}/failures`, { key: 'wlcro_test_readonly' })).status).toBe(200);
    for (const [method, path] of [
      ['POST', '/webhooks/subscriptions'],
      ['PATCH', `/webhooks/subscriptions/${id}`],
      ['DELETE', `/webhooks/subscriptions/${id}`],
      ['POST', `/webhooks/subscriptions/${id}/test`],
    ] as const) {
      const answer = await call(sandbox, method, path, { key: 'wlcro_test_readonly', body: { url: HOOK, events: ['*'] } });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'webhooks:write' });
    }
    const list = await call(sandbox, 'GET', '/webhooks/subscriptions', { key: 'wlcro_test_events' });
    expect(list.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'webhooks:read' });
  });

  it('lists oldest first in pages that follow next_cursor', async () => {
    const sandbox = await start({ preset: 'ventryx' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await call(sandbox, 'POST', '/webhooks', { body: { url: `${HOOK}/${i}`, events: ['*'] } })).body.id);
    }
    await call(sandbox, 'DELETE', `/webhooks/${ids[1]}`);
    const first = await call(sandbox, 'GET', '/webhooks?limit=2');
    expect(first.body.data.map((s: { id: string }) => s.id)).toEqual([ids[0], ids[2]]);
    expect(first.body.has_more).toBe(true);
    const second = await call(sandbox, 'GET', `/webhooks?cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((s: { id: string }) => s.id)).toEqual([ids[3], ids[4]]);
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    expect((await call(sandbox, 'GET', '/webhooks?limit=0')).body.error.field).toBe('limit');
    expect((await call(sandbox, 'GET', '/webhooks?cursor=garbage')).body.error.field).toBe('cursor');
  });

  it('refuses url and events changes on a managed subscription, naming the tool; active, description and delete still work', async () => {
    const sandbox = await start({ policies: false });
    const path = '/webhooks/subscriptions';
    const hints = {
      zapier: 'managed by Zapier: edit the Zap',
      n8n: 'edit the workflow in n8n',
      make: 'edit the scenario in Make',
      eventsync: 'restart eventsync sync with the new settings',
    };
    for (const [tool, hint] of Object.entries(hints)) {
      const { id } = (await call(sandbox, 'POST', path, { body: { url: HOOK, events: ['lead.created'], managed_by: tool } })).body;
      for (const change of [{ url: `${HOOK}/other` }, { events: ['*'] }, { url: `${HOOK}/other`, active: false }]) {
        const answer = await call(sandbox, 'PATCH', `${path}/${id}`, { body: change });
        expect(answer.status, `${tool} ${JSON.stringify(change)}`).toBe(403);
        expect(answer.body.error).toMatchObject({ code: 'managed_subscription', managed_by: tool });
        expect(answer.body.error.message).toContain(hint);
      }
      // Nothing of a refused PATCH was applied.
      expect((await call(sandbox, 'GET', `${path}/${id}`)).body).toMatchObject({ url: HOOK, events: ['lead.created'], active: true });
      // Sending the current url/events back is not a change.
      expect((await call(sandbox, 'PATCH', `${path}/${id}`, { body: { url: HOOK, events: ['lead.created'] } })).status).toBe(200);
      const off = await call(sandbox, 'PATCH', `${path}/${id}`, { body: { active: false, description: 'paused by hand' } });
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ active: false, description: 'paused by hand', managed_by: tool });
      expect(off.body.secret).toBeUndefined();
      expect((await call(sandbox, 'DELETE', `${path}/${id}`)).status).toBe(204);
      expect((await call(sandbox, 'GET', `${path}/${id}`)).status).toBe(404);
      expect((await call(sandbox, 'DELETE', `${path}/${id}`)).body.error.code).toBe('not_found');
    }
  });

  it('patches url, events and description of an unmanaged subscription with the create rules', async () => {
    const sandbox = await start();
    const path = '/webhooks/subscriptions';
    const { id } = (await call(sandbox, 'POST', path, { body: { url: HOOK, events: ['lead.created'] } })).body;
    const patched = await call(sandbox, 'PATCH', `${path}/${id}`, { body: { url: `${HOOK}/v2`, events: ['invoice.paid', 'invoice.created'], description: null } });
    expect(patched.body).toMatchObject({ url: `${HOOK}/v2`, events: ['invoice.paid', 'invoice.created'], description: null });
    expect((await call(sandbox, 'PATCH', `${path}/${id}`, { body: { url: 'http://example.com/x' } })).body.error.field).toBe('url');
    expect((await call(sandbox, 'PATCH', `${path}/${id}`, { body: { events: ['Invoice.Paid'] } })).body.error.field).toBe('events');
    expect((await call(sandbox, 'PATCH', `${path}/${id}`, { body: { active: 'yes' } })).body.error.field).toBe('active');
    expect((await call(sandbox, 'PATCH', `${path}/${id}`, { body: { managed_by: 'zapier' } })).body.error.field).toBe('managed_by');
    expect((await call(sandbox, 'PATCH', `${path}/whsub_nope`, { body: { active: false } })).status).toBe(404);
    expect((await call(sandbox, 'GET', `${path}/${id}`)).body.url).toBe(`${HOOK}/v2`);
  });

  it('answers a create retried with the same Idempotency-Key with the first subscription', async () => {
    const sandbox = await start();
    const send = () => call(sandbox, 'POST', '/webhooks/subscriptions', { body: { url: HOOK, events: ['*'] }, headers: { 'idempotency-key': 'create-1' } });
    const first = await send();
    const again = await send();
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await call(sandbox, 'GET', '/webhooks/subscriptions')).body.data).toHaveLength(1);
  });

  it('rejects bad sandbox webhook and signature options', async () => {
    await expect(startSandbox({ webhooks: { faults: { lossRate: 1 } as never } })).rejects.toMatchObject({ setting: 'webhooks.faults.lossRate' });
    await expect(startSandbox({ webhooks: { circuitBreakerThreshold: 0 } })).rejects.toMatchObject({ setting: 'webhooks.circuitBreakerThreshold' });
    await expect(startSandbox({ signature: { scheme: 'hmac' as never } })).rejects.toMatchObject({ setting: 'signature.scheme' });
  });
});
