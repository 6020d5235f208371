/** Error paths against nock: every operation maps the API's answers to Zapier's errors. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App, caught, describeError, operation, run } from './helpers.ts';

const ORIGIN = 'https://api.eventsync.test';
const authData = { apiKey: 'wlcro_test_0123456789abcdefWXYZ', baseUrl: ORIGIN, preset: 'integration' };
const subscribeData = { id: 'whsub_1', secret: 'whsec_c2VjcmV0', events: ['*'] };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, request_id: 'req_test_1', ...extra } };
}

const op = (kind: 'triggers' | 'creates' | 'searches', key: string, method = 'perform') => operation(kind, key)[method];

/** Every operation that talks to the API, with the request it makes. */
const operations = [
  { name: 'New Event (polling)', fn: op('triggers', 'new_event'), method: 'GET', path: '/api/v1/events', bundle: {} },
  { name: 'New Event (Instant) performList', fn: op('triggers', 'new_event_instant', 'performList'), method: 'GET', path: '/api/v1/events', bundle: {} },
  { name: 'New Event (Instant) performSubscribe', fn: op('triggers', 'new_event_instant', 'performSubscribe'), method: 'POST', path: '/api/v1/webhooks/subscriptions', bundle: { targetUrl: 'https://hooks.zapier.com/x' } },
  { name: 'New Event (Instant) performUnsubscribe', fn: op('triggers', 'new_event_instant', 'performUnsubscribe'), method: 'DELETE', path: '/api/v1/webhooks/subscriptions/whsub_1', bundle: { subscribeData } },
  { name: 'New Customer performList', fn: op('triggers', 'new_customer', 'performList'), method: 'GET', path: '/api/v1/events', bundle: {} },
  { name: 'Appointment Scheduled performSubscribe', fn: op('triggers', 'appointment_scheduled', 'performSubscribe'), method: 'POST', path: '/api/v1/webhooks/subscriptions', bundle: { targetUrl: 'https://hooks.zapier.com/x' } },
  { name: 'Invoice Paid performList', fn: op('triggers', 'invoice_paid', 'performList'), method: 'GET', path: '/api/v1/events', bundle: {} },
  { name: 'Create Lead', fn: op('creates', 'create_lead'), method: 'POST', path: '/api/v1/leads', bundle: { inputData: { email: 'a@example.com', name: 'A' } } },
  { name: 'Create Customer', fn: op('creates', 'create_customer'), method: 'POST', path: '/api/v1/customers', bundle: { inputData: { email: 'a@example.com', name: 'A' } } },
  { name: 'Update Customer', fn: op('creates', 'update_customer'), method: 'PATCH', path: '/api/v1/customers/cus_1', bundle: { inputData: { customer_id: 'cus_1', name: 'B' } } },
  { name: 'Add Note', fn: op('creates', 'add_note'), method: 'POST', path: '/api/v1/customers/cus_1/notes', bundle: { inputData: { customer_id: 'cus_1', body: 'hi' } } },
  { name: 'Find Customer', fn: op('searches', 'find_customer'), method: 'GET', path: '/api/v1/customers', bundle: { inputData: { email: 'a@example.com' } } },
] as const;

function intercept(method: string, path: string) {
  const scope = nock(ORIGIN);
  const verb = method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
  return scope[verb](path).query(true);
}

describe.each(operations)('$name', ({ fn, method, path, bundle }) => {
  it('429 with Retry-After seconds -> ThrottledError with that delay (the 429 reaches our code)', async () => {
    intercept(method, path).reply(429, errorBody('rate_limited', 'slow down', { policy: 'read:60/1m' }), { 'Retry-After': '17' });
    const error = describeError(await caught(run(fn, { authData, ...bundle })));
    expect(error.name).toBe('ThrottledError');
    expect(error.delay).toBe(17);
    expect(error.message).toContain('read:60/1m');
  });

  it('503 -> ThrottledError (retryable), Retry-After honoured', async () => {
    intercept(method, path).reply(503, errorBody('unavailable', 'busy'), { 'Retry-After': '5' });
    const error = describeError(await caught(run(fn, { authData, ...bundle })));
    expect(error.name).toBe('ThrottledError');
    expect(error.delay).toBe(5);
  });

  it('401 -> ExpiredAuthError telling the user to reconnect, key shown as last four only', async () => {
    intercept(method, path).reply(401, errorBody('unauthorized', 'invalid API key'));
    const error = describeError(await caught(run(fn, { authData, ...bundle })));
    expect(error.name).toBe('ExpiredAuthError');
    expect(error.message).toMatch(/Reconnect/);
    expect(error.message).toContain('…WXYZ');
    expect(error.message).not.toContain(authData.apiKey);
  });
});

describe('specific error answers', () => {
  const createCustomer = op('creates', 'create_customer');
  const bundle = { authData, inputData: { email: 'not-an-email', name: 'A' } };

  it('400 invalid_parameter -> z.errors.Error naming the field', async () => {
    nock(ORIGIN).post('/api/v1/customers').reply(400, errorBody('invalid_parameter', 'email must be an email address', { field: 'email' }));
    const error = describeError(await caught(run(createCustomer, bundle)));
    expect(error.name).not.toBe('ThrottledError');
    expect(error.message).toContain('"email"');
    expect(error.status).toBe(400);
  });

  it('a required field left empty is refused before sending, naming it', async () => {
    const error = describeError(await caught(run(createCustomer, { authData, inputData: { email: 'a@example.com', name: '  ' } })));
    expect(error.message).toContain('"name"');
  });

  it('403 insufficient_scope -> message naming the missing scope', async () => {
    nock(ORIGIN).post('/api/v1/customers').reply(403, errorBody('insufficient_scope', 'nope', { required_scope: 'records:write' }));
    const error = describeError(await caught(run(createCustomer, bundle)));
    expect(error.message).toContain('"records:write"');
    expect(error.status).toBe(403);
  });

  it('429 with an HTTP-date Retry-After still gets a delay in seconds', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    nock(ORIGIN).get('/api/v1/events').query(true).reply(429, errorBody('rate_limited', 'slow down'), { 'Retry-After': at });
    const error = describeError(await caught(run(op('triggers', 'new_event'), { authData, inputData: {} })));
    expect(error.name).toBe('ThrottledError');
    expect(error.delay).toBeGreaterThanOrEqual(28);
    expect(error.delay).toBeLessThanOrEqual(31);
  });

  it('a 404 on unsubscribe is success (the subscription is gone either way)', async () => {
    nock(ORIGIN).delete('/api/v1/webhooks/subscriptions/whsub_1').reply(404, errorBody('not_found', 'no such subscription'));
    expect(await run(op('triggers', 'new_event_instant', 'performUnsubscribe'), { authData, subscribeData })).toEqual({ deleted: false });
  });

  it('the auth test maps a 401 the same way', async () => {
    nock(ORIGIN).get('/api/v1/me').reply(401, errorBody('unauthorized', 'revoked'));
    const error = describeError(await caught(run(App.authentication!.test, { authData })));
    expect(error.name).toBe('ExpiredAuthError');
  });
});

describe('what goes on the wire', () => {
  it('polls newest first, with the chosen types, the preset auth header and no retries of its own', async () => {
    const scope = nock(ORIGIN, { reqheaders: { 'x-api-key': authData.apiKey } })
      .get('/api/v1/events')
      .query({ order: 'desc', limit: '50', type: 'invoice.paid,lead.created' })
      .reply(200, { data: [], has_more: false, next_cursor: null });
    expect(await run(op('triggers', 'new_event'), { authData, inputData: { event_types: ['invoice.paid', 'lead.created'] } })).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('a Zap retry sends the same Idempotency-Key; another Zap or other input sends another', async () => {
    const keys: string[] = [];
    nock(ORIGIN)
      .post('/api/v1/leads')
      .matchHeader('idempotency-key', (value: string | null) => {
        keys.push(String(value));
        return true;
      })
      .times(4)
      .reply(201, { id: 'lead_1', email: 'a@example.com', name: 'A', source: null, created_at: '2026-04-03T09:15:00.000Z' });
    const create = op('creates', 'create_lead');
    const inputData = { email: 'a@example.com', name: 'A' };
    await run(create, { authData, inputData, meta: { zap: { id: '1' } } });
    await run(create, { authData, inputData, meta: { zap: { id: '1' } } });
    await run(create, { authData, inputData, meta: { zap: { id: '2' } } });
    await run(create, { authData, inputData: { ...inputData, name: 'B' }, meta: { zap: { id: '1' } } });
    expect(keys[0]).toMatch(/^zapier-create_lead-[0-9a-f]{40}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(new Set(keys).size).toBe(3);
  });

  it('Update Customer carries an Idempotency-Key too, the same on a retried step', async () => {
    const keys: string[] = [];
    nock(ORIGIN)
      .patch('/api/v1/customers/cus_1', { name: 'B' })
      .matchHeader('idempotency-key', (value: string | null) => {
        keys.push(String(value));
        return true;
      })
      .times(2)
      .reply(200, { id: 'cus_1', email: 'a@example.com', name: 'B', phone: null, created_at: '2026-04-03T09:15:00.000Z', updated_at: '2026-04-03T09:16:00.000Z' });
    const update = op('creates', 'update_customer');
    const inputData = { customer_id: 'cus_1', name: 'B' };
    await run(update, { authData, inputData, meta: { zap: { id: '7' } } });
    await run(update, { authData, inputData, meta: { zap: { id: '7' } } });
    expect(keys[0]).toMatch(/^zapier-update_customer-[0-9a-f]{40}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('sends user text with {{curlies}} as written (no template substitution, no refusal)', async () => {
    const body = 'Template {{bundle.authData.apiKey}} stays text';
    nock(ORIGIN)
      .post('/api/v1/customers/cus_1/notes', { body })
      .reply(201, { id: 'note_1', customer_id: 'cus_1', body, created_at: '2026-04-03T09:15:00.000Z' });
    expect(await run(op('creates', 'add_note'), { authData, inputData: { customer_id: 'cus_1', body } })).toMatchObject({ body });
  });

  it('one 503 is one request: Zapier, not the core, decides when to retry', async () => {
    let calls = 0;
    nock(ORIGIN)
      .get('/api/v1/events')
      .query(true)
      .times(2)
      .reply(() => {
        calls++;
        return [503, errorBody('unavailable', 'busy')];
      });
    const error = describeError(await caught(run(op('triggers', 'new_event'), { authData, inputData: {} })));
    expect(error.name).toBe('ThrottledError');
    expect(error.delay).toBe(60);
    expect(calls).toBe(1);
    nock.cleanAll();
  });
});
