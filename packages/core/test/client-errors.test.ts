import { inspect } from 'node:util';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthError,
  ConflictError,
  EventsyncClient,
  ManagedSubscriptionError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  ScopeError,
  UnavailableError,
  ValidationError,
  type ClientConfig,
  type EventsyncError,
} from '@eventsync/core';
import { createAxiosTransport } from '@eventsync/core/node';

const BASE = 'http://api.test';
const KEY = 'wlcro_live_acme_9f8e7d6c5b4a3f2e1d0cWXYZ';
const NOW = Date.parse('2026-04-03T09:15:00.000Z');

function client(config: Partial<ClientConfig> = {}, sleeps: number[] = []): EventsyncClient {
  return new EventsyncClient(
    { baseUrl: BASE, apiKey: KEY, retry: { maxAttempts: 1 }, ...config },
    { transport: createAxiosTransport({ keepAlive: false }), sleep: async (ms) => void sleeps.push(ms), now: () => NOW, random: () => 0.5 },
  );
}

function reply(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): void {
  nock(BASE)
    .get('/api/v1/me')
    .reply(status, { error: { request_id: 'req_body', ...error } }, { 'X-Request-Id': 'req_header', ...headers });
}

async function failure(promise: Promise<unknown>): Promise<EventsyncError> {
  try {
    await promise;
  } catch (error) {
    return error as EventsyncError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
});

describe('error mapping', () => {
  it('maps 401 to AuthError that names the header and shows the key only by its last four', async () => {
    reply(401, { code: 'unauthorized', message: 'API key revoked' });
    const error = await failure(client().me());
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 401, code: 'unauthorized', requestId: 'req_header', keyHint: '…WXYZ', keyMode: 'live' });
    expect(error.message).toContain('API key revoked');
    expect(error.message).toContain('ending …WXYZ');
    expect(error.message).toContain('X-Api-Key');
  });

  it('says when a test key is the likely reason for a 401', async () => {
    reply(401, { code: 'unauthorized', message: 'test keys are not accepted by the live API' });
    const error = await failure(client({ apiKey: 'wlcro_test_abcdefgh1234' }).me());
    expect(error).toMatchObject({ keyMode: 'test' });
    expect(error.message).toMatch(/test key .*live key/);
  });

  it('maps 403 insufficient_scope to ScopeError naming the scope', async () => {
    reply(403, { code: 'insufficient_scope', message: 'missing scope', required_scope: 'events:read' });
    const error = await failure(client().me());
    expect(error).toBeInstanceOf(ScopeError);
    expect((error as ScopeError).requiredScope).toBe('events:read');
    expect(error.message).toContain('"events:read"');
    expect(error.message).toContain('create a new key');
  });

  it('maps 403 managed_subscription to ManagedSubscriptionError naming the owner', async () => {
    reply(403, { code: 'managed_subscription', message: 'managed by Zapier: edit the Zap', managed_by: 'zapier' });
    const error = await failure(client().me());
    expect(error).toBeInstanceOf(ManagedSubscriptionError);
    expect((error as ManagedSubscriptionError).managedBy).toBe('zapier');
    expect(error.message).toContain('managed by zapier');
  });

  it('maps 429 to RateLimitError with the policy and Retry-After in seconds', async () => {
    reply(429, { code: 'rate_limited', message: 'slow down', policy: 'read:60/1m' }, { 'Retry-After': '17' });
    const error = (await failure(client().me())) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfterMs).toBe(17_000);
    expect(error.policy).toBe('read:60/1m');
    expect(error.message).toContain('read:60/1m');
  });

  it('reads Retry-After given as an HTTP date', async () => {
    reply(429, { code: 'rate_limited', message: 'slow down' }, { 'Retry-After': new Date(NOW + 42_000).toUTCString() });
    const error = (await failure(client().me())) as RateLimitError;
    expect(error.retryAfterMs).toBe(42_000);
  });

  it('maps 503 to UnavailableError, with Retry-After when given', async () => {
    reply(503, { code: 'unavailable', message: 'contention' }, { 'Retry-After': '3' });
    const error = (await failure(client().me())) as UnavailableError;
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.retryAfterMs).toBe(3_000);
    expect(error.message).toContain('not a rate limit');
  });

  it('maps 400 to ValidationError naming the field', async () => {
    reply(400, { code: 'invalid_parameter', message: 'since must be ISO 8601', field: 'since' });
    const error = (await failure(client().me())) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('since');
    expect(error.message).toContain('"since"');
  });

  it.each([
    [404, 'not_found', NotFoundError],
    [409, 'conflict', ConflictError],
    [500, 'internal', ApiError],
  ] as const)('maps %i to %s', async (status, code, type) => {
    reply(status, { code, message: 'nope' });
    const error = await failure(client().me());
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status, code, requestId: 'req_header' });
  });

  it('falls back to the body request id and a status-derived code when the server says little', async () => {
    nock(BASE).get('/api/v1/me').reply(404, 'gone');
    const error = await failure(client().me());
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('uses the preset request-id header name', async () => {
    nock(BASE).get('/v1/me').reply(404, { error: { code: 'not_found', message: 'x' } }, { 'Ventryx-Request-Id': 'req_vtx' });
    const error = await failure(client({ preset: 'ventryx' }).me());
    expect(error.requestId).toBe('req_vtx');
  });

  it('reports a refused connection as NetworkError that says what to check', async () => {
    nock.enableNetConnect('127.0.0.1');
    const error = await failure(client({ baseUrl: 'http://127.0.0.1:1' }).me().finally(() => undefined));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).failure).toBe('refused');
    expect(error.message).toContain('base URL');
  });
});

describe('key redaction', () => {
  const cases: Array<[string, () => void]> = [
    ['401', () => reply(401, { code: 'unauthorized', message: `key ${KEY} revoked` })],
    ['403', () => reply(403, { code: 'insufficient_scope', message: `key ${KEY}`, required_scope: 'events:read' })],
    ['429', () => reply(429, { code: 'rate_limited', message: `key ${KEY}`, policy: 'read:60/1m' }, { 'Retry-After': '1' })],
    ['400', () => reply(400, { code: 'invalid_parameter', message: `bad ${KEY}`, field: 'x' })],
    ['500', () => reply(500, { code: 'internal', message: `oops ${KEY}` })],
    ['network', () => nock(BASE).get('/api/v1/me').replyWithError(`socket died for ${KEY}`)],
  ];

  it.each(cases)('never holds the key in a %s error, even when the server echoes it', async (_name, arrange) => {
    arrange();
    const error = await failure(client().me());
    const everything = [error.message, error.stack ?? '', JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).toContain('…WXYZ');
  });
});

describe('retries', () => {
  it('waits exactly Retry-After on a 429, then succeeds', async () => {
    const sleeps: number[] = [];
    nock(BASE)
      .get('/api/v1/me')
      .reply(429, { error: { code: 'rate_limited', message: 'x', policy: 'read:60/1m' } }, { 'Retry-After': '7' })
      .get('/api/v1/me')
      .reply(200, { key: { name: 'k', last4: 'WXYZ', scopes: [] }, tenant: { id: 't', slug: 's' } });
    const me = await client({ retry: { maxAttempts: 3 } }, sleeps).me();
    expect(me.tenant.slug).toBe('s');
    expect(sleeps).toEqual([7_000]);
  });

  it('backs off exponentially on 5xx and gives up after the attempt budget with the last error', async () => {
    const sleeps: number[] = [];
    const scope = nock(BASE).get('/api/v1/me').times(4).reply(502, 'bad gateway');
    const error = await failure(client({ retry: { maxAttempts: 4, baseDelayMs: 100 } }, sleeps).me());
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({ status: 502 });
    // Equal jitter with random() = 0.5: three quarters of 100, 200, 400.
    expect(sleeps).toEqual([75, 150, 300]);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs', async () => {
    const sleeps: number[] = [];
    nock(BASE).get('/api/v1/me').reply(429, { error: { code: 'rate_limited', message: 'x' } }, { 'Retry-After': '3600' });
    const error = await failure(client({ retry: { maxAttempts: 5, maxRetryAfterMs: 60_000 } }, sleeps).me());
    expect(error).toBeInstanceOf(RateLimitError);
    expect(sleeps).toEqual([]);
  });

  it('retries a POST with the same Idempotency-Key, so the server can return the first result', async () => {
    const keys: string[] = [];
    const recordKey = (value: string | null): boolean => keys.push(String(value)) > 0;
    nock(BASE)
      .post('/api/v1/customers')
      .matchHeader('idempotency-key', recordKey)
      .reply(503, { error: { code: 'unavailable', message: 'busy' } })
      .post('/api/v1/customers')
      .matchHeader('idempotency-key', recordKey)
      .reply(201, { id: 'cus_1', email: 'a@b.c', name: 'A' });
    const customer = await client({ retry: { maxAttempts: 3 } }).records.createCustomer({ email: 'a@b.c', name: 'A' });
    expect(customer.id).toBe('cus_1');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('does not retry a POST that carries no Idempotency-Key', async () => {
    const scope = nock(BASE).post('/api/v1/leads').reply(500, { error: { code: 'internal', message: 'x' } });
    const api = client({ retry: { maxAttempts: 3 } }).api;
    const request = api.request({ method: 'POST', path: '/leads', body: { email: 'a@b.c', name: 'A' }, idempotencyKey: false });
    await expect(request).rejects.toMatchObject({ status: 500 });
    expect(scope.isDone()).toBe(true);
  });
});
