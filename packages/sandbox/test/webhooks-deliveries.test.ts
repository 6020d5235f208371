import { SignatureError, verifyWebhook, type PresetName, type SignatureSettings } from '@eventsync/core';
import type { Sandbox, SandboxOptions } from '@eventsync/sandbox';
import { describe, expect, it } from 'vitest';
import { call, start } from './helpers.js';
import { quiet, startReceiver, type Received } from './webhook-receiver.js';

/** A sandbox whose events commit at once, and one subscription to `url`. */
async function subscribed(url: string, options: SandboxOptions = {}, events: string[] = ['*']) {
  const sandbox = await start({ visibilityLagMs: 0, policies: false, ...options });
  const created = await call(sandbox, 'POST', sandbox.preset.subscriptionsPath, { body: { url, events } });
  expect(created.status).toBe(201);
  return { sandbox, id: created.body.id as string, secret: created.body.secret as string, path: `${sandbox.preset.subscriptionsPath}/${created.body.id}` };
}

function verify(sandbox: Sandbox, received: Received, secrets: string | string[]) {
  return verifyWebhook({ settings: sandbox.preset.signature, rawBody: received.raw, headers: received.headers, secrets, now: Date.now() });
}

function header(received: Received, name: string): string | undefined {
  const value = received.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

async function feedEvent(sandbox: Sandbox, id: string): Promise<unknown> {
  const page = await call(sandbox, 'GET', '/events?limit=100');
  return page.body.data.find((event: { id: string }) => event.id === id);
}

describe('webhook deliveries: signatures per scheme', () => {
  const cases: Array<{ name: string; preset: PresetName; signature?: Partial<SignatureSettings>; present: string[]; absent: string[] }> = [
    { name: 'integration (timestamped)', preset: 'integration', present: ['X-Webhook-Signature', 'X-Webhook-Timestamp', 'X-Webhook-Id', 'X-Webhook-Event'], absent: [] },
    { name: 'ventryx (body, Ventryx-Signature)', preset: 'ventryx', present: ['Ventryx-Signature', 'Ventryx-Delivery', 'Ventryx-Event'], absent: ['X-Webhook-Timestamp', 'X-Webhook-Signature'] },
    { name: 'partner (X-VC-*)', preset: 'partner', present: ['X-VC-Signature', 'X-VC-Timestamp', 'X-Webhook-Id'], absent: ['X-Webhook-Signature'] },
    { name: 'standard-webhooks (signature option)', preset: 'integration', signature: { scheme: 'standard-webhooks' }, present: ['webhook-id', 'webhook-timestamp', 'webhook-signature'], absent: ['X-Webhook-Signature'] },
  ];

  for (const { name, preset, signature, present, absent } of cases) {
    it(`${name}: the body is the feed's envelope and verifies with core verifyWebhook`, async () => {
      const receiver = await startReceiver();
      const { sandbox, secret } = await subscribed(receiver.url, { preset, ...(signature ? { signature } : {}) });
      const event = sandbox.emit('invoice.paid', { invoice_id: 'inv_1', amount_cents: 1250 }, { commitDelayMs: 0 });
      const [delivery] = await receiver.waitFor(1);
      const received = delivery!;

      expect(received.text).toBe(JSON.stringify(await feedEvent(sandbox, event.id)));
      expect(JSON.parse(received.text)).toEqual(event);
      expect(header(received, 'content-type')).toBe('application/json');
      for (const name of present) expect(header(received, name), name).toBeDefined();
      for (const name of absent) expect(header(received, name), name).toBeUndefined();
      const settings = sandbox.preset.signature;
      expect(header(received, settings.eventTypeHeader)).toBe('invoice.paid');
      expect(header(received, settings.deliveryIdHeader)).toMatch(/^del_[0-9A-Z]{26}$/);
      if (settings.scheme !== 'body') {
        expect(Math.abs(Number(header(received, settings.timestampHeader)) - Date.now() / 1000)).toBeLessThan(3);
      }

      const verified = verify(sandbox, received, secret);
      expect(verified.deliveryId).toBe(header(received, settings.deliveryIdHeader));
      // The check can fail: another secret, or the scheme of another preset, does not verify.
      const otherSecret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
      expect(() => verify(sandbox, received, otherSecret)).toThrow(SignatureError);
      expect(sandbox.deliveries).toEqual([expect.objectContaining({ event_id: event.id, attempt: 1, status: 200, ok: true })]);
    });
  }
});

describe('webhook deliveries: who gets what', () => {
  it('delivers on commit, only matching types, only to active subscriptions created before the event', async () => {
    const receiver = await startReceiver();
    const { sandbox, id } = await subscribed(receiver.url, {}, ['invoice.paid']);
    const all = await call(sandbox, 'POST', '/webhooks/subscriptions', { body: { url: receiver.url, events: ['*'] } });
    const paused = await call(sandbox, 'POST', '/webhooks/subscriptions', { body: { url: receiver.url, events: ['*'] } });
    await call(sandbox, 'PATCH', `/webhooks/subscriptions/${paused.body.id}`, { body: { active: false } });

    const late = sandbox.emit('invoice.paid', {}, { commitDelayMs: 700 });
    sandbox.emit('lead.created', {}, { commitDelayMs: 0 });
    await receiver.waitFor(1);
    await quiet(150);
    // Only the `*` subscription wanted the lead; the invoice has not committed yet.
    expect(receiver.received.map((r) => JSON.parse(r.text).type)).toEqual(['lead.created']);
    const both = await receiver.waitFor(3);
    const invoices = both.filter((r) => JSON.parse(r.text).id === late.id);
    expect(invoices).toHaveLength(2);
    expect(invoices.every((r) => r.at - both[0]!.at >= 400)).toBe(true);

    // A subscription receives events created after it, not those already waiting to commit.
    const before = sandbox.emit('note.created', {}, { commitDelayMs: 200 });
    await call(sandbox, 'POST', '/webhooks/subscriptions', { body: { url: receiver.url, events: ['note.created'] } });
    await receiver.waitFor(4);
    await quiet(150);
    expect(receiver.received.filter((r) => JSON.parse(r.text).id === before.id)).toHaveLength(1);
    expect(sandbox.deliveries.map((d) => d.subscription_id)).not.toContain(paused.body.id);
    expect(new Set(sandbox.deliveries.map((d) => d.subscription_id))).toEqual(new Set([id, all.body.id]));
  });

  it('delivers to two subscriptions of the same URL, each signed with its own secret (rotation)', async () => {
    const receiver = await startReceiver();
    const { sandbox, secret: oldSecret } = await subscribed(receiver.url, { preset: 'partner' });
    const fresh = await call(sandbox, 'POST', '/webhooks', { body: { url: receiver.url, events: ['*'] } });
    sandbox.emit('customer.created', {}, { commitDelayMs: 0 });
    const deliveries = await receiver.waitFor(2);
    const indexes = deliveries.map((r) => verify(sandbox, r, [fresh.body.secret, oldSecret]).secretIndex).sort();
    expect(indexes).toEqual([0, 1]);
  });
});

describe('webhook deliveries: test endpoint, failures audit, retries', () => {
  it('test sends a signed webhook.test event now, even to an inactive subscription, and reports the answer', async () => {
    const receiver = await startReceiver();
    const { sandbox, id, path, secret } = await subscribed(receiver.url, { preset: 'partner' });
    const ok = await call(sandbox, 'POST', `${path}/test`, { body: { secret } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ delivery_id: expect.stringMatching(/^del_/), http_status: 200, duration_ms: expect.any(Number), ok: true });
    const [received] = await receiver.waitFor(1);
    const envelope = JSON.parse(received!.text);
    expect(envelope).toMatchObject({ id: expect.stringMatching(/^evt_/), type: 'webhook.test', data: { subscription_id: id } });
    expect(verify(sandbox, received!, secret).deliveryId).toBe(ok.body.delivery_id);
    // Not an event of the feed.
    expect(sandbox.eventIds()).not.toContain(envelope.id);

    await call(sandbox, 'PATCH', path, { body: { active: false } });
    receiver.respond = () => 503;
    const failed = await call(sandbox, 'POST', `${path}/test`);
    expect(failed.body).toMatchObject({ http_status: 503, ok: false });
    const failures = await call(sandbox, 'GET', `${path}/failures`);
    expect(failures.body.data).toEqual([
      {
        delivery_id: failed.body.delivery_id,
        event_id: JSON.parse(receiver.received[1]!.text).id,
        attempt: 1,
        http_status: 503,
        error: expect.stringContaining('503'),
        attempted_at: expect.any(String),
      },
    ]);

    await receiver.close();
    const unreachable = await call(sandbox, 'POST', `${path}/test`);
    expect(unreachable.body).toMatchObject({ http_status: null, ok: false });
    expect((await call(sandbox, 'GET', `${path}/failures?limit=1`)).body.data[0]).toMatchObject({ http_status: null, error: expect.stringContaining('connection failed') });
  });

  it('audits failed attempts newest first with http_status, in pages of ?limit=', async () => {
    const receiver = await startReceiver(() => 500);
    const { sandbox, path } = await subscribed(receiver.url, { preset: 'partner' });
    const events = [1, 2, 3].map(() => sandbox.emit('lead.created', {}, { commitDelayMs: 0 }));
    await receiver.waitFor(3);
    await expect.poll(() => sandbox.deliveries.length).toBe(3);
    const first = await call(sandbox, 'GET', `${path}/failures?limit=2`);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.data.every((f: { http_status: number; attempt: number }) => f.http_status === 500 && f.attempt === 1)).toBe(true);
    expect(first.body.has_more).toBe(true);
    const second = await call(sandbox, 'GET', `${path}/failures?cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    const listed = [...first.body.data, ...second.body.data];
    // Newest first: the reverse of the order the attempts finished in.
    expect(listed.map((f: { delivery_id: string }) => f.delivery_id)).toEqual(sandbox.deliveries.map((d) => d.delivery_id).reverse());
    expect(new Set(listed.map((f: { event_id: string }) => f.event_id))).toEqual(new Set(events.map((e) => e.id)));
    expect((await call(sandbox, 'GET', path)).body.consecutive_failures).toBe(3);
    // A failures cursor pages its own subscription only.
    const other = await call(sandbox, 'POST', '/webhooks', { body: { url: receiver.url, events: ['note.created'] } });
    const foreign = await call(sandbox, 'GET', `/webhooks/${other.body.id}/failures?cursor=${first.body.next_cursor}`);
    expect(foreign.body.error).toMatchObject({ code: 'invalid_parameter', field: 'cursor' });
  });

  it('retries a failed delivery on the schedule with the same event and delivery id until the handler recovers', async () => {
    const receiver = await startReceiver((_request, index) => (index < 2 ? 500 : 200));
    // timeScale 0.001: 1 m → 60 ms, 5 m → 300 ms.
    const { sandbox, path, secret } = await subscribed(receiver.url, { webhooks: { timeScale: 0.001 } });
    const event = sandbox.emit('appointment.scheduled', {}, { commitDelayMs: 0 });
    const attempts = await receiver.waitFor(3, 3000);
    expect(attempts.map((r) => JSON.parse(r.text).id)).toEqual([event.id, event.id, event.id]);
    expect(new Set(attempts.map((r) => r.headers['x-webhook-id'])).size).toBe(1);
    for (const attempt of attempts) verify(sandbox, attempt, secret);
    // 60 ms then 300 ms: the schedule's first two steps, in order.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(55);
    expect(attempts[1]!.at - attempts[0]!.at).toBeLessThan(250);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(290);
    expect(attempts[2]!.at - attempts[1]!.at).toBeLessThan(1500);
    await expect.poll(() => sandbox.deliveries.length).toBe(3);
    expect(sandbox.deliveries.map((d) => [d.attempt, d.status])).toEqual([[1, 500], [2, 500], [3, 200]]);
    const failures = (await call(sandbox, 'GET', `${path}/failures`)).body.data;
    expect(failures.map((f: { attempt: number }) => f.attempt)).toEqual([2, 1]);
    expect((await call(sandbox, 'GET', path)).body).toMatchObject({ active: true, consecutive_failures: 0 });
    await quiet(100);
    expect(receiver.received).toHaveLength(3);
  });

  it('gives up after the schedule is exhausted', async () => {
    const receiver = await startReceiver(() => 500);
    const { sandbox } = await subscribed(receiver.url, { preset: 'ventryx', webhooks: { timeScale: 0 } });
    sandbox.emit('lead.created', {}, { commitDelayMs: 0 });
    // Ventryx: up to 5 attempts (4 retries).
    await receiver.waitFor(5);
    await quiet(150);
    expect(receiver.received).toHaveLength(5);
    expect(sandbox.deliveries.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
  });

  it('counts an attempt that outlives deliveryTimeoutMs as a failure without a status', async () => {
    const receiver = await startReceiver(() => 'hang');
    const { sandbox, path } = await subscribed(receiver.url, { webhooks: { deliveryTimeoutMs: 100 } });
    const answer = await call(sandbox, 'POST', `${path}/test`);
    expect(answer.body).toMatchObject({ http_status: null, ok: false });
    expect(answer.body.duration_ms).toBeGreaterThanOrEqual(95);
    const [failure] = (await call(sandbox, 'GET', `${path}/failures`)).body.data;
    expect(failure).toMatchObject({ http_status: null, error: expect.stringContaining('timed out') });
  });

  it('stop() cancels pending retries and does not wait for deliveries on the wire', async () => {
    const receiver = await startReceiver((_request, index) => (index === 0 ? 500 : 'hang'));
    const { sandbox } = await subscribed(receiver.url, { webhooks: { timeScale: 1 } });
    sandbox.emit('lead.created', {}, { commitDelayMs: 0 });
    sandbox.emit('lead.created', {}, { commitDelayMs: 0 });
    await receiver.waitFor(2);
    const stats = async () => (await call(sandbox, 'GET', '/_sandbox/stats', { key: null })).body.webhooks;
    await expect.poll(stats).toMatchObject({ subscriptions: 1, scheduled: 1, inFlight: 1 });
    const began = Date.now();
    await sandbox.stop();
    expect(Date.now() - began).toBeLessThan(500);
    // The delivery the receiver is sitting on was abandoned, not left open.
    const hanging = receiver.received.find((_request, index) => receiver.respond(_request, index) === 'hang')!;
    await Promise.race([hanging.closed, quiet(1000).then(() => Promise.reject(new Error('the delivery connection was left open')))]);
    await quiet(50);
    expect(sandbox.deliveries).toHaveLength(1);
  });
});

describe('webhook deliveries: circuit breaker', () => {
  it('turns a subscription off after 20 failures in a row; nothing is delivered until PATCH active:true resets it', async () => {
    const receiver = await startReceiver(() => 500);
    // timeScale 1: the first retry is a minute away, so exactly the 20 first attempts happen here.
    const { sandbox, path } = await subscribed(receiver.url, { preset: 'partner' });
    for (let i = 0; i < 19; i++) sandbox.emit('invoice.created', {}, { commitDelayMs: 0 });
    await receiver.waitFor(19);
    await expect.poll(() => sandbox.deliveries.length).toBe(19);
    expect((await call(sandbox, 'GET', path)).body).toMatchObject({ active: true, consecutive_failures: 19, auto_disabled_at: null });

    sandbox.emit('invoice.created', {}, { commitDelayMs: 0 });
    await expect.poll(async () => (await call(sandbox, 'GET', path)).body.active).toBe(false);
    const disabled = (await call(sandbox, 'GET', path)).body;
    expect(disabled).toMatchObject({ active: false, consecutive_failures: 20, auto_disabled_at: expect.stringMatching(/Z$/) });
    const listed = (await call(sandbox, 'GET', '/webhooks')).body.data[0];
    expect(listed).toMatchObject({ active: false, auto_disabled_at: disabled.auto_disabled_at });
    // Its 20 pending retries went with it.
    expect((await call(sandbox, 'GET', '/_sandbox/stats', { key: null })).body.webhooks.scheduled).toBe(0);
    const page = await call(sandbox, 'GET', `${path}/failures?limit=10`);
    expect(page.body.data).toHaveLength(10);
    expect(page.body.has_more).toBe(true);

    receiver.respond = () => 200;
    const dark = sandbox.emit('invoice.paid', {}, { commitDelayMs: 0 });
    await quiet(200);
    expect(receiver.received).toHaveLength(20);
    expect(sandbox.eventIds({ visibleOnly: true })).toContain(dark.id);

    const enabled = await call(sandbox, 'PATCH', path, { body: { active: true } });
    expect(enabled.body).toMatchObject({ active: true, consecutive_failures: 0, auto_disabled_at: null });
    const back = sandbox.emit('invoice.paid', {}, { commitDelayMs: 0 });
    await receiver.waitFor(21);
    expect(JSON.parse(receiver.received[20]!.text).id).toBe(back.id);
  });
});

describe('webhook delivery faults', () => {
  it('dropRate 1: nothing is sent, nothing audited, nothing retried', async () => {
    const receiver = await startReceiver();
    const { sandbox, path } = await subscribed(receiver.url, { webhooks: { timeScale: 0, faults: { dropRate: 1 } } });
    const event = sandbox.emit('lead.created', {}, { commitDelayMs: 0 });
    await quiet(200);
    expect(receiver.received).toHaveLength(0);
    expect(sandbox.deliveries).toEqual([expect.objectContaining({ event_id: event.id, fault: 'dropped', status: null, attempt: 1 })]);
    expect((await call(sandbox, 'GET', `${path}/failures`)).body.data).toEqual([]);
    expect((await call(sandbox, 'GET', path)).body.consecutive_failures).toBe(0);
  });

  it('duplicateRate 1: the same delivery arrives twice, byte for byte', async () => {
    const receiver = await startReceiver();
    const { sandbox, secret } = await subscribed(receiver.url, { preset: 'ventryx' });
    sandbox.setWebhookFaults({ duplicateRate: 1 });
    const event = sandbox.emit('payment.received', {}, { commitDelayMs: 0 });
    const [first, second] = await receiver.waitFor(2);
    expect(second!.raw.equals(first!.raw)).toBe(true);
    expect(JSON.parse(second!.text).id).toBe(event.id);
    expect(second!.headers['ventryx-delivery']).toBe(first!.headers['ventryx-delivery']);
    verify(sandbox, second!, secret);
    await expect.poll(() => sandbox.deliveries.map((d) => d.fault ?? 'none')).toEqual(['none', 'duplicate']);
    await quiet(100);
    expect(receiver.received).toHaveLength(2);
  });

  it('tamperRate 1: one body byte differs from what was signed, so verification fails', async () => {
    const receiver = await startReceiver();
    const { sandbox, path, secret } = await subscribed(receiver.url, { preset: 'partner' });
    receiver.respond = (request) => {
      try {
        verify(sandbox, request, secret);
        return 204;
      } catch {
        return 401;
      }
    };
    const clean = sandbox.emit('note.created', {}, { commitDelayMs: 0 });
    await receiver.waitFor(1);
    await call(sandbox, 'PUT', '/_sandbox/webhook-faults', { key: null, body: { tamperRate: 1 } });
    const event = sandbox.emit('note.created', {}, { commitDelayMs: 0 });
    const received = (await receiver.waitFor(2))[1]!;
    const original = Buffer.from(JSON.stringify(await feedEvent(sandbox, event.id)));
    expect(received.raw.length).toBe(original.length);
    expect([...received.raw].filter((byte, i) => byte !== original[i])).toHaveLength(1);
    expect(() => verify(sandbox, received, secret)).toThrow(/no signature .* matched/);
    await expect.poll(() => sandbox.deliveries.length).toBe(2);
    expect(sandbox.deliveries.map((d) => [d.event_id, d.status, d.fault])).toEqual([
      [clean.id, 204, undefined],
      [event.id, 401, 'tampered'],
    ]);
    expect((await call(sandbox, 'GET', `${path}/failures`)).body.data[0]).toMatchObject({ event_id: event.id, http_status: 401 });
  });

  it('delayMs holds each attempt back; the control routes set faults and list deliveries', async () => {
    const receiver = await startReceiver();
    const { sandbox, id } = await subscribed(receiver.url);
    const bad = await call(sandbox, 'PUT', '/_sandbox/webhook-faults', { key: null, body: { dropRate: 2 } });
    expect(bad.body.error).toMatchObject({ code: 'invalid_parameter', field: 'faults.dropRate' });
    const set = await call(sandbox, 'PUT', '/_sandbox/webhook-faults', { key: null, body: { delayMs: 250 } });
    expect(set.body).toEqual({ faults: { delayMs: 250 } });
    const sent = Date.now();
    sandbox.emit('invoice.created', {}, { commitDelayMs: 0 });
    const [received] = await receiver.waitFor(1);
    expect(received!.at - sent).toBeGreaterThanOrEqual(240);
    await expect.poll(() => sandbox.deliveries.length).toBe(1);
    const listed = await call(sandbox, 'GET', `/_sandbox/deliveries?subscription_id=${id}`, { key: null });
    expect(listed.body).toEqual({ total: 1, deliveries: [expect.objectContaining({ subscription_id: id, status: 200, ok: true })] });
  });
});
