/** Happy paths over real sockets: the app, through z.request, against the sandbox API. */
import { EVENT_TYPES, deliveryHeaders } from '@eventsync/core';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, caught, describeError, operation, run, startReceiver, zapierRawRequest } from './helpers.ts';

let sandbox: Sandbox;
let authData: { apiKey: string; baseUrl: string; preset: string };

beforeAll(async () => {
  sandbox = await startSandbox({ preset: 'integration', backlog: { count: 40 }, visibilityLagMs: 0, policies: false });
  authData = { apiKey: sandbox.apiKey, baseUrl: sandbox.url, preset: 'integration' };
});
afterAll(async () => {
  await sandbox?.stop();
});


describe('authentication', () => {
  it('tests the key with GET /me and labels the connection "<key name> @ <tenant slug>"', async () => {
    const me = (await run(App.authentication!.test, { authData })) as { key: { name: string }; tenant: { slug: string } };
    expect(me.key.name).toBeTruthy();
    expect(sandbox.requests.at(-1)?.path).toMatch(/\/me$/);
    const label = await run(App.authentication!.connectionLabel, { authData, inputData: me });
    expect(label).toBe(`${me.key.name} @ ${me.tenant.slug}`);
  });

  it('says the API could not be reached when nothing listens at the base URL', async () => {
    const error = describeError(await caught(run(App.authentication!.test, { authData: { ...authData, baseUrl: 'http://127.0.0.1:1' } })));
    expect(error.message).toMatch(/Could not reach Eventsync \(refused\)/);
    expect(error.message).toContain('Base URL');
  });
});

describe('hook triggers: subscribe -> signed delivery -> perform -> unsubscribe', () => {
  it('runs the whole life of a New Event (Instant) subscription', async () => {
    const receiver = await startReceiver();
    try {
      const op = operation('triggers', 'new_event_instant');
      const inputData = { event_types: ['customer.created', 'invoice.paid'] };
      const subscribeData = (await run(op.performSubscribe, { authData, inputData, targetUrl: receiver.url })) as { id: string; secret: string };
      expect(subscribeData.id).toMatch(/^whsub_/);
      expect(subscribeData.secret).toMatch(/^whsec_/);
      const stored = sandbox.subscription(subscribeData.id)!;
      expect(stored.managed_by).toBe('zapier');
      expect(stored.events).toEqual(['customer.created', 'invoice.paid']);

      const emitted = sandbox.emit('customer.created', { customer_id: 'cus_x', email: 'hook@example.com', name: 'Hook' }, { commitDelayMs: 0 });
      const delivery = await receiver.waitFor(1);
      expect(JSON.parse(delivery.body).id).toBe(emitted.id);
      const rawRequest = zapierRawRequest(delivery);
      expect(rawRequest.headers['Http-X-Webhook-Signature']).toBeDefined();

      const results = await run(op.perform, { authData, inputData, subscribeData, rawRequest });
      expect(results).toEqual([JSON.parse(delivery.body)]);

      // A forged or altered delivery runs nothing: [] (see performHook for why not an error).
      const tampered = { ...rawRequest, content: rawRequest.content.replace('hook@example.com', 'evil@example.com') };
      expect(await run(op.perform, { authData, inputData, subscribeData, rawRequest: tampered })).toEqual([]);
      const wrongSecret = { ...subscribeData, secret: 'whsec_' + Buffer.from('not the secret').toString('base64') };
      expect(await run(op.perform, { authData, inputData, subscribeData: wrongSecret, rawRequest })).toEqual([]);
      const unsigned = { ...rawRequest, headers: { 'Http-Content-Type': 'application/json' } };
      expect(await run(op.perform, { authData, inputData, subscribeData, rawRequest: unsigned })).toEqual([]);

      // performList: the same envelope shape as the delivery.
      const listed = (await run(op.performList, { authData, inputData })) as Array<Record<string, unknown>>;
      expect(listed.length).toBeGreaterThan(0);
      expect(listed[0]).toEqual(JSON.parse(delivery.body));
      for (const event of listed) expect(Object.keys(event).sort()).toEqual(['created_at', 'data', 'id', 'type']);

      expect(await run(op.performUnsubscribe, { authData, inputData, subscribeData })).toEqual({ deleted: true });
      expect(sandbox.subscription(subscribeData.id)).toBeUndefined();
      // Gone already (deleted in Eventsync by hand, or Zapier retrying): still done, not an error.
      expect(await run(op.performUnsubscribe, { authData, inputData, subscribeData })).toEqual({ deleted: false });
    } finally {
      await receiver.stop();
    }
  });

  it('a webhook.test ping and a signed body that is not an event start nothing', async () => {
    const receiver = await startReceiver();
    try {
      const op = operation('triggers', 'new_event_instant');
      const subscribeData = (await run(op.performSubscribe, { authData, inputData: {}, targetUrl: receiver.url })) as { id: string; secret: string };
      const tested = await fetch(`${sandbox.baseUrl}/webhooks/subscriptions/${subscribeData.id}/test`, { method: 'POST', headers: { 'x-api-key': sandbox.apiKey } });
      expect(tested.status).toBe(200);
      const ping = await receiver.waitFor(1);
      expect(JSON.parse(ping.body).type).toBe('webhook.test');
      expect(await run(op.perform, { authData, inputData: {}, subscribeData, rawRequest: zapierRawRequest(ping) })).toEqual([]);

      const body = '{"hello":"not an event"}';
      const headers = deliveryHeaders(sandbox.preset.signature, { secrets: [subscribeData.secret], body, timestamp: Math.floor(Date.now() / 1000), id: 'dlv_x', eventType: 'customer.created' });
      const signedJunk = zapierRawRequest({ method: 'POST', headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), body });
      expect(await run(op.perform, { authData, inputData: {}, subscribeData, rawRequest: signedJunk })).toEqual([]);
      await run(op.performUnsubscribe, { authData, subscribeData });
    } finally {
      await receiver.stop();
    }
  });

  it('subscribes to every type ("*") when none is chosen', async () => {
    const op = operation('triggers', 'new_event_instant');
    const subscribeData = (await run(op.performSubscribe, { authData, inputData: {}, targetUrl: 'http://127.0.0.1:9/hook' })) as { id: string };
    expect(sandbox.subscription(subscribeData.id)!.events).toEqual(['*']);
    await run(op.performUnsubscribe, { authData, subscribeData });
  });

  it.each([
    ['new_customer', 'customer.created'],
    ['appointment_scheduled', 'appointment.scheduled'],
    ['invoice_paid', 'invoice.paid'],
  ] as const)('ready-made %s subscribes to %s only and lists only that type', async (key, type) => {
    const op = operation('triggers', key);
    const receiver = await startReceiver();
    try {
      const subscribeData = (await run(op.performSubscribe, { authData, inputData: {}, targetUrl: receiver.url })) as { id: string };
      expect(sandbox.subscription(subscribeData.id)!.events).toEqual([type]);
      expect(sandbox.subscription(subscribeData.id)!.managed_by).toBe('zapier');
      sandbox.emit(type, { marker: key }, { commitDelayMs: 0 });
      const delivery = await receiver.waitFor(1);
      expect(await run(op.perform, { authData, subscribeData, rawRequest: zapierRawRequest(delivery) })).toEqual([JSON.parse(delivery.body)]);
      const listed = (await run(op.performList, { authData, inputData: {} })) as Array<{ type: string }>;
      expect(listed.length).toBeGreaterThan(0);
      expect(new Set(listed.map((event) => event.type))).toEqual(new Set([type]));
      await run(op.performUnsubscribe, { authData, subscribeData });
    } finally {
      await receiver.stop();
    }
  });
});

describe('New Event (polling)', () => {
  const perform = operation('triggers', 'new_event').perform;

  it('returns the newest first with unique ids, so Zapier dedupes a later poll down to what is new', async () => {
    const first = (await run(perform, { authData, inputData: {} })) as Array<{ id: string; created_at: string }>;
    expect(first.length).toBeGreaterThan(1);
    expect(new Set(first.map((event) => event.id)).size).toBe(first.length);
    const order = first.map((event) => `${event.created_at}|${event.id}`);
    expect(order).toEqual([...order].sort().reverse());

    const fresh = sandbox.emit('lead.created', { lead_id: 'lead_new' }, { commitDelayMs: 0 });
    const second = (await run(perform, { authData, inputData: {} })) as Array<{ id: string }>;
    expect(second[0]!.id).toBe(fresh.id);
    const seen = new Set(first.map((event) => event.id));
    expect(second.filter((event) => !seen.has(event.id)).map((event) => event.id)).toEqual([fresh.id]);
  });

  it('follows bundle.meta: three samples in the editor, a full page when the Zap is turned on, 50 otherwise', async () => {
    for (let i = 0; i < 3; i++) sandbox.emit('lead.created', undefined, { commitDelayMs: 0 });
    const visible = sandbox.events({ visibleOnly: true }).length;
    if (visible < 120) for (let i = visible; i < 120; i++) sandbox.emit('note.created', undefined, { commitDelayMs: 0 });
    const newest = sandbox.events({ visibleOnly: true }).slice(-100).reverse().map((event) => event.id);
    const ids = async (meta: object) => ((await run(perform, { authData, inputData: {}, meta })) as Array<{ id: string }>).map((event) => event.id);
    expect(await ids({ isLoadingSample: true, limit: 100 })).toEqual(newest.slice(0, 3));
    expect(await ids({ isPopulatingDedupe: true, limit: -1 })).toEqual(newest);
    expect(await ids({ limit: -1 })).toEqual(newest.slice(0, 50));
  });

  it('works with the full base URL (origin + /api/v1) in the connection', async () => {
    const results = (await run(perform, { authData: { ...authData, baseUrl: `${sandbox.baseUrl}/` }, inputData: {}, meta: { isLoadingSample: true } })) as unknown[];
    expect(results).toHaveLength(3);
  });

  it('filters by the chosen types', async () => {
    sandbox.emit('invoice.paid', { invoice_id: 'inv_1' }, { commitDelayMs: 0 });
    const results = (await run(perform, { authData, inputData: { event_types: ['invoice.paid'] } })) as Array<{ type: string }>;
    expect(results.length).toBeGreaterThan(0);
    expect(new Set(results.map((event) => event.type))).toEqual(new Set(['invoice.paid']));
  });

  it('offers the ten event types in the hidden dropdown trigger', async () => {
    const choices = (await run(operation('triggers', 'event_type_list').perform, { authData })) as Array<{ id: string; name: string }>;
    expect(choices.map((choice) => choice.id)).toEqual([...EVENT_TYPES]);
    expect(choices[0]!.name).toBe('Lead Created');
  });
});

describe('creates and the search', () => {
  const meta = { zap: { id: 'zap_42' } };

  it('creates a customer once per Zap input (a retried step reuses the Idempotency-Key), then finds it', async () => {
    const inputData = { email: 'idem@example.com', name: 'Idem Potent', phone: '+1 555 0100' };
    const create = operation('creates', 'create_customer').perform;
    const first = (await run(create, { authData, inputData, meta })) as { id: string; email: string };
    const replay = (await run(create, { authData, inputData, meta })) as { id: string };
    expect(replay.id).toBe(first.id);
    expect(first.email).toBe('idem@example.com');

    const found = (await run(operation('searches', 'find_customer').perform, { authData, inputData: { email: 'IDEM@example.com' } })) as Array<{ id: string }>;
    expect(found.map((customer) => customer.id)).toEqual([first.id]);
    const none = await run(operation('searches', 'find_customer').perform, { authData, inputData: { email: 'nobody@example.com' } });
    expect(none).toEqual([]);
  });

  it('without a Zap id, two creates are two customers (random keys)', async () => {
    const inputData = { email: 'twice@example.com', name: 'Twice' };
    const create = operation('creates', 'create_customer').perform;
    const a = (await run(create, { authData, inputData })) as { id: string };
    const b = (await run(create, { authData, inputData })) as { id: string };
    expect(a.id).not.toBe(b.id);
  });

  it('creates a lead, updates a customer (only the filled fields), adds a note', async () => {
    const lead = (await run(operation('creates', 'create_lead').perform, { authData, meta, inputData: { email: 'lead@example.com', name: 'Lead One', source: 'webinar' } })) as Record<string, unknown>;
    expect(lead).toMatchObject({ email: 'lead@example.com', name: 'Lead One', source: 'webinar' });
    expect(String(lead.id)).toMatch(/^lead_/);

    const customer = (await run(operation('creates', 'create_customer').perform, { authData, inputData: { email: 'upd@example.com', name: 'Before', phone: '+1 555 0101' } })) as { id: string };
    const updated = (await run(operation('creates', 'update_customer').perform, { authData, inputData: { customer_id: customer.id, name: 'After', email: '', phone: '' } })) as Record<string, unknown>;
    expect(updated).toMatchObject({ id: customer.id, name: 'After', email: 'upd@example.com', phone: '+1 555 0101' });

    const note = (await run(operation('creates', 'add_note').perform, { authData, meta, inputData: { customer_id: customer.id, body: 'Called back.' } })) as Record<string, unknown>;
    expect(note).toMatchObject({ customer_id: customer.id, body: 'Called back.' });
    const events = sandbox.events({ visibleOnly: false }).slice(-4).map((event) => event.type);
    expect(events).toEqual(['lead.created', 'customer.created', 'customer.updated', 'note.created']);
  });
});

describe('other API variants (presets): auth header, paths and signature scheme follow the connection', () => {
  it.each(['ventryx', 'partner', 'psa'] as const)('%s: subscribe, verify a real delivery, unsubscribe', async (preset) => {
    const other = await startSandbox({ preset, visibilityLagMs: 0, policies: false, seed: 7 });
    const receiver = await startReceiver();
    try {
      const auth = { apiKey: other.apiKey, baseUrl: other.url, preset };
      const op = operation('triggers', 'new_event_instant');
      const subscribeData = (await run(op.performSubscribe, { authData: auth, inputData: {}, targetUrl: receiver.url })) as { id: string };
      other.emit('note.created', { note_id: 'note_x' }, { commitDelayMs: 0 });
      const delivery = await receiver.waitFor(1);
      expect(delivery.headers[other.preset.signature.signatureHeader.toLowerCase()]).toBeDefined();
      expect(await run(op.perform, { authData: auth, subscribeData, rawRequest: zapierRawRequest(delivery) })).toEqual([JSON.parse(delivery.body)]);
      // Verified with the preset's scheme, not the default one: the wrong preset refuses it.
      const wrongPreset = { ...auth, preset: 'integration' };
      if (other.preset.signature.signatureHeader !== 'X-Webhook-Signature' || other.preset.signature.scheme !== 'timestamped') {
        expect(await run(op.perform, { authData: wrongPreset, subscribeData, rawRequest: zapierRawRequest(delivery) })).toEqual([]);
      }
      expect(await run(op.performUnsubscribe, { authData: auth, subscribeData })).toEqual({ deleted: true });
    } finally {
      await receiver.stop();
      await other.stop();
    }
  });
});
