import { describe, expect, it } from 'vitest';
import { call, manualClock, start } from './helpers.js';

async function feed(sandbox: Awaited<ReturnType<typeof start>>) {
  return (await call(sandbox, 'GET', '/events?limit=100')).body.data as Array<{ id: string; type: string; data: Record<string, unknown> }>;
}

describe('records', () => {
  it('creates, reads, updates and finds a customer, emitting customer.created and customer.updated', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now, visibilityLagMs: 0 });
    const created = await call(sandbox, 'POST', '/customers', { body: { email: 'Ada@Example.com', name: 'Ada Lovelace' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^cus_[0-9A-Z]{26}$/),
      email: 'Ada@Example.com',
      name: 'Ada Lovelace',
      phone: null,
      created_at: new Date(clock.ms).toISOString(),
      updated_at: new Date(clock.ms).toISOString(),
    });
    const id = created.body.id as string;
    expect((await call(sandbox, 'GET', `/customers/${id}`)).body).toEqual(created.body);

    clock.advance(1000);
    const patched = await call(sandbox, 'PATCH', `/customers/${id}`, { body: { phone: '+1 555 0100' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id, phone: '+1 555 0100', updated_at: new Date(clock.ms).toISOString() });
    // A PATCH that changes nothing is not an event.
    await call(sandbox, 'PATCH', `/customers/${id}`, { body: { phone: '+1 555 0100' } });

    const events = await feed(sandbox);
    expect(events.map((event) => event.type)).toEqual(['customer.created', 'customer.updated']);
    expect(events[0]!.data).toEqual({ customer_id: id, email: 'Ada@Example.com', name: 'Ada Lovelace' });
    expect(events[1]!.data).toMatchObject({ customer_id: id, changed: ['phone'] });

    const found = await call(sandbox, 'GET', '/customers?email=ada@example.com');
    expect(found.body).toEqual({ data: [patched.body], has_more: false, next_cursor: null });
    expect((await call(sandbox, 'GET', '/customers?email=grace@example.com')).body.data).toEqual([]);
  });

  it('pages a customer search with a cursor', async () => {
    const sandbox = await start({ policies: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await call(sandbox, 'POST', '/customers', { body: { email: 'shared@example.com', name: `Twin ${i}` } })).body.id);
    }
    await call(sandbox, 'POST', '/customers', { body: { email: 'other@example.com', name: 'Other' } });
    const first = await call(sandbox, 'GET', '/customers?email=shared@example.com&limit=2');
    expect(first.body.has_more).toBe(true);
    const seen = first.body.data.map((c: { id: string }) => c.id);
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await call(sandbox, 'GET', `/customers?cursor=${cursor}`);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      cursor = page.body.next_cursor;
    }
    expect(seen).toEqual(ids);
  });

  it('answers 404 for an unknown customer and 400 naming the field for a bad body', async () => {
    const sandbox = await start();
    const missing = await call(sandbox, 'GET', '/customers/cus_nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await call(sandbox, 'PATCH', '/customers/cus_nope', { body: { name: 'X' } })).status).toBe(404);
    expect((await call(sandbox, 'POST', '/customers/cus_nope/notes', { body: { body: 'hi' } })).status).toBe(404);

    const noEmail = await call(sandbox, 'POST', '/customers', { body: { name: 'No Email' } });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body.error).toMatchObject({ code: 'invalid_parameter', field: 'email' });
    const badEmail = await call(sandbox, 'POST', '/leads', { body: { name: 'L', email: 'not-an-email' } });
    expect(badEmail.body.error.field).toBe('email');
    const numberName = await call(sandbox, 'POST', '/customers', { body: { email: 'a@example.com', name: 42 } });
    expect(numberName.body.error.field).toBe('name');
    const malformed = await call(sandbox, 'POST', '/customers', { rawBody: '{"email": "a@example.com",', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.field).toBe('body');
    expect(sandbox.eventIds()).toEqual([]);
  });

  it('creates leads and notes with their events', async () => {
    const sandbox = await start({ visibilityLagMs: 0 });
    const lead = await call(sandbox, 'POST', '/leads', { body: { email: 'lead@example.com', name: 'Lead', source: 'zapier' } });
    expect(lead.status).toBe(201);
    expect(lead.body).toMatchObject({ id: expect.stringMatching(/^lead_/), email: 'lead@example.com', name: 'Lead', source: 'zapier' });
    const customer = await call(sandbox, 'POST', '/customers', { body: { email: 'c@example.com', name: 'C' } });
    const note = await call(sandbox, 'POST', `/customers/${customer.body.id}/notes`, { body: { body: 'Gate code 4411.' } });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({ id: expect.stringMatching(/^note_/), customer_id: customer.body.id, body: 'Gate code 4411.' });
    const events = await feed(sandbox);
    expect(events.map((event) => event.type)).toEqual(['lead.created', 'customer.created', 'note.created']);
    expect(events[0]!.data).toMatchObject({ lead_id: lead.body.id });
    expect(events[2]!.data).toMatchObject({ note_id: note.body.id, customer_id: customer.body.id });
  });
});

describe('Idempotency-Key', () => {
  it('returns the first answer for a retried create and creates nothing more', async () => {
    const sandbox = await start({ visibilityLagMs: 0 });
    const request = { body: { email: 'once@example.com', name: 'Once' }, headers: { 'idempotency-key': 'create-once-1' } };
    const first = await call(sandbox, 'POST', '/customers', request);
    const retry = await call(sandbox, 'POST', '/customers', { ...request, body: { name: 'Once', email: 'once@example.com' } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(sandbox.eventIds()).toHaveLength(1);
    expect((await call(sandbox, 'GET', '/customers?email=once@example.com')).body.data).toHaveLength(1);

    const conflict = await call(sandbox, 'POST', '/customers', { ...request, body: { email: 'twice@example.com', name: 'Twice' } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');

    // Without the header, the same body is a new customer.
    await call(sandbox, 'POST', '/customers', { body: request.body });
    expect(sandbox.eventIds()).toHaveLength(2);
  });

  it('forgets a key after 24 hours', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now });
    const request = { body: { email: 'day@example.com', name: 'Day' }, headers: { 'idempotency-key': 'daily' } };
    const first = await call(sandbox, 'POST', '/leads', request);
    clock.advance(24 * 3_600_000);
    const later = await call(sandbox, 'POST', '/leads', request);
    expect(later.body.id).not.toBe(first.body.id);
  });
});

describe('POST /customers/batch', () => {
  it('creates up to 100 customers, one event each', async () => {
    const sandbox = await start();
    const customers = Array.from({ length: 3 }, (_, i) => ({ email: `b${i}@example.com`, name: `Batch ${i}` }));
    const answer = await call(sandbox, 'POST', '/customers/batch', { body: { customers } });
    expect(answer.status).toBe(201);
    expect(answer.body.data.map((c: { email: string }) => c.email)).toEqual(customers.map((c) => c.email));
    expect(sandbox.eventIds()).toHaveLength(3);
  });

  it('refuses more than 100, or one bad entry, creating nothing', async () => {
    const sandbox = await start();
    const customers = Array.from({ length: 101 }, (_, i) => ({ email: `b${i}@example.com`, name: `Batch ${i}` }));
    const tooMany = await call(sandbox, 'POST', '/customers/batch', { body: { customers } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: 'invalid_parameter', field: 'customers' });
    expect(tooMany.body.error.message).toContain('100');

    const oneBad = await call(sandbox, 'POST', '/customers/batch', { body: { customers: [customers[0], { name: 'No Email' }] } });
    expect(oneBad.status).toBe(400);
    expect(oneBad.body.error.field).toBe('customers[1].email');
    expect(sandbox.eventIds()).toEqual([]);
  });
});

describe('routing', () => {
  it('answers 404 for an unknown path and 405 with Allow for a wrong method', async () => {
    const sandbox = await start();
    const unknown = await call(sandbox, 'GET', '/invoices');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const wrongMethod = await call(sandbox, 'DELETE', '/events');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(wrongMethod.body.error.message).toContain('DELETE');
  });
});
