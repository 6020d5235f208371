import { describe, expect, it } from 'vitest';
import { call, start } from './helpers.js';

describe('authentication per preset', () => {
  it('integration preset takes X-Api-Key and refuses a Bearer token with a message naming X-Api-Key', async () => {
    const sandbox = await start();
    expect(sandbox.apiKey).toMatch(/^wlcro_test_[0-9A-Za-z]{24}$/);
    const me = await call(sandbox, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      key: { name: 'Sandbox key', last4: sandbox.apiKey.slice(-4), scopes: ['events:read', 'webhooks:read', 'webhooks:write', 'records:write'] },
      tenant: { id: expect.stringMatching(/^ten_/), slug: 'sandbox-integration' },
    });

    const bearer = await call(sandbox, 'GET', '/me', { key: null, headers: { authorization: `Bearer ${sandbox.apiKey}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.body.error.code).toBe('unauthorized');
    expect(bearer.body.error.message).toContain('X-Api-Key');

    const none = await call(sandbox, 'GET', '/me', { key: null });
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/missing API key.*X-Api-Key/);
  });

  it('partner preset takes Authorization: Bearer under /api/v1/partner and refuses X-Api-Key', async () => {
    const sandbox = await start({ preset: 'partner' });
    expect(sandbox.baseUrl).toBe(`${sandbox.url}/api/v1/partner`);
    expect(sandbox.apiKey).toMatch(/^vc_test_/);
    expect((await call(sandbox, 'GET', '/me')).status).toBe(200);

    const wrongHeader = await call(sandbox, 'GET', '/me', { key: null, headers: { 'x-api-key': sandbox.apiKey } });
    expect(wrongHeader.status).toBe(401);
    expect(wrongHeader.body.error.message).toContain('Authorization: Bearer');

    const basic = await call(sandbox, 'GET', '/me', { key: null, headers: { authorization: `Basic ${sandbox.apiKey}` } });
    expect(basic.status).toBe(401);
    expect(basic.body.error.message).toMatch(/malformed Authorization/);

    // The path without the partner base path is not this API.
    const outside = await fetch(`${sandbox.url}/api/v1/me`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { error: { message: string } }).error.message).toContain('/api/v1/partner');
  });

  it('answers every response, errors included, with the preset request-id header that the error body repeats', async () => {
    const ventryx = await start({ preset: 'ventryx' });
    const ok = await call(ventryx, 'GET', '/me');
    expect(ok.headers.get('ventryx-request-id')).toMatch(/^req_[0-9A-Z]{26}$/);
    expect(ok.headers.get('x-request-id')).toBeNull();
    const denied = await call(ventryx, 'GET', '/me', { key: null });
    expect(denied.status).toBe(401);
    expect(denied.body.error.request_id).toBe(denied.headers.get('ventryx-request-id'));
    expect(denied.body.error.request_id).not.toBe(ok.headers.get('ventryx-request-id'));

    const integration = await start();
    const missing = await call(integration, 'GET', '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body.error.request_id).toBe(missing.headers.get('x-request-id'));
  });

  it('refuses an unknown key without echoing it back', async () => {
    const sandbox = await start();
    const wrongKey = 'wlcro_test_notTheRightKeyAtAll12345';
    const answer = await call(sandbox, 'GET', '/me', { key: wrongKey });
    expect(answer.status).toBe(401);
    expect(answer.body.error.message).toMatch(/not recognised/);
    expect(JSON.stringify(answer.body)).not.toContain(wrongKey);
  });

  it('refuses a key revoked after it worked (keys expire in the psa variant)', async () => {
    const sandbox = await start({ keys: [{ key: 'wlcro_test_second_key_0001', name: 'CI' }] });
    expect((await call(sandbox, 'GET', '/me')).status).toBe(200);
    sandbox.revokeKey(sandbox.apiKey);
    const revoked = await call(sandbox, 'GET', '/me');
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toMatch(/revoked or has expired/);
    expect(revoked.body.error.message).not.toContain(sandbox.apiKey);
    // Other keys are untouched.
    const other = await call(sandbox, 'GET', '/me', { key: 'wlcro_test_second_key_0001' });
    expect(other.status).toBe(200);
    expect(other.body.key.name).toBe('CI');
  });

  it('in the live environment refuses a test key with a message that says so', async () => {
    const live = await start({ environment: 'live' });
    expect(live.apiKey).toMatch(/^wlcro_live_/);
    expect((await call(live, 'GET', '/me')).status).toBe(200);
    const testKey = await call(live, 'GET', '/me', { key: 'wlcro_test_abcdefghijklmnopqrstuvwx' });
    expect(testKey.status).toBe(401);
    expect(testKey.body.error.message).toMatch(/test key .* live API/);
  });
});

describe('scopes', () => {
  it('403 names the scope a records write needs, as the preset calls it', async () => {
    const integration = await start({ scopes: ['events:read'] });
    const denied = await call(integration, 'POST', '/customers', { body: { email: 'a@example.com', name: 'A' } });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'integrations:write' });
    expect(integration.eventIds()).toEqual([]);

    const psa = await start({ preset: 'psa', scopes: ['events:read'] });
    const psaDenied = await call(psa, 'POST', '/customers', { body: { email: 'a@example.com', name: 'A' } });
    expect(psaDenied.body.error.required_scope).toBe('records:write');
  });

  it('GET /events needs events:read while /me and record reads need only a valid key', async () => {
    const sandbox = await start({ scopes: ['records:write'] });
    const events = await call(sandbox, 'GET', '/events');
    expect(events.status).toBe(403);
    expect(events.body.error.required_scope).toBe('events:read');
    expect((await call(sandbox, 'GET', '/me')).status).toBe(200);
    expect((await call(sandbox, 'GET', '/customers?email=a@example.com')).status).toBe(200);
  });
});
