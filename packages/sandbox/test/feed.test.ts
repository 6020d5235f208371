import { EVENT_TYPES, RETENTION_MS } from '@eventsync/core';
import { describe, expect, it } from 'vitest';
import { call, drain, manualClock, start } from './helpers.js';

const MINUTE = 60_000;

describe('GET /events paging', () => {
  it('pages asc and desc with the cursor, covering every id exactly once in (created_at, id) order', async () => {
    const clock = manualClock();
    // 2 500 events in 10 s: many share a millisecond, so the id tie-break matters.
    const sandbox = await start({ now: clock.now, policies: false, backlog: { count: 2500, spanMs: 10_000 } });
    const expected = sandbox.eventIds({ visibleOnly: true });
    expect(expected).toHaveLength(2500);

    const asc = await drain(sandbox, 'limit=100');
    expect(asc.pages).toBe(25);
    expect(asc.ids).toEqual(expected);
    const keys = asc.events.map((event) => `${event.created_at} ${event.id}`);
    expect(keys).toEqual([...keys].sort());

    const desc = await drain(sandbox, 'limit=100&order=desc');
    expect(desc.ids).toEqual([...expected].reverse());

    const defaults = await call(sandbox, 'GET', '/events');
    expect(defaults.body.data).toHaveLength(50);
    expect(defaults.body.has_more).toBe(true);
    expect(typeof defaults.body.next_cursor).toBe('string');
  });

  it('returns envelopes of the contract shape and ends with has_more false and next_cursor null', async () => {
    const sandbox = await start({ backlog: { count: 3 } });
    const page = await call(sandbox, 'GET', '/events?limit=3');
    expect(page.body.has_more).toBe(false);
    expect(page.body.next_cursor).toBeNull();
    for (const event of page.body.data) {
      expect(Object.keys(event)).toEqual(['id', 'type', 'created_at', 'data']);
      expect(event.id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(EVENT_TYPES).toContain(event.type);
      expect(event.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof event.data).toBe('object');
    }
  });

  it('treats since as inclusive and until as exclusive', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now, visibilityLagMs: 0 });
    const times: string[] = [];
    for (let i = 0; i < 5; i++) {
      times.push(sandbox.emit('invoice.created').created_at);
      clock.advance(MINUTE);
    }
    const ids = sandbox.eventIds();
    const between = await call(sandbox, 'GET', `/events?since=${times[1]}&until=${times[3]}`);
    expect(between.body.data.map((event: { id: string }) => event.id)).toEqual([ids[1], ids[2]]);
    // The same instants written with an offset mean the same bounds.
    const offset = new Date(Date.parse(times[1]!) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    const viaOffset = await call(sandbox, 'GET', `/events?since=${encodeURIComponent(offset)}&until=${times[3]}`);
    expect(viaOffset.body.data).toHaveLength(2);
    expect((await call(sandbox, 'GET', `/events?since=${times[4]}`)).body.data).toHaveLength(1);
    expect((await call(sandbox, 'GET', `/events?until=${times[0]}`)).body.data).toHaveLength(0);
  });

  it('filters by a comma-separated type list, merged in feed order', async () => {
    const sandbox = await start({ backlog: { count: 600 }, policies: false });
    const all = await drain(sandbox, 'limit=100');
    const wanted = ['invoice.paid', 'lead.created'];
    const expected = all.events.filter((event) => wanted.includes(event.type)).map((event) => event.id);
    expect(expected.length).toBeGreaterThan(50);
    const filtered = await drain(sandbox, `type=${wanted.join(',')}&limit=25`);
    expect(filtered.ids).toEqual(expected);
    const desc = await drain(sandbox, `type=${wanted.join(',')}&limit=25&order=desc`);
    expect(desc.ids).toEqual([...expected].reverse());
  });
});

describe('GET /events parameters', () => {
  it.each([
    ['since=yesterday', 'since'],
    ['since=2026-02-30T00:00:00Z', 'since'],
    ['until=12345', 'until'],
    ['type=Lead.Created', 'type'],
    ['type=webhook.test', 'type'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['order=newest', 'order'],
    ['cursor=not-a-cursor', 'cursor'],
    ['cursor=eyJsaXN0IjoiY3VzdG9tZXJzIn0', 'cursor'],
  ])('%s → 400 invalid_parameter naming %s', async (query, field) => {
    const sandbox = await start();
    const answer = await call(sandbox, 'GET', `/events?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid_parameter', field });
  });

  it('accepts a cursor with the same filters or none, and refuses one with different filters', async () => {
    const sandbox = await start({ backlog: { count: 30, types: ['invoice.created', 'invoice.paid'] } });
    const first = await call(sandbox, 'GET', '/events?type=invoice.paid,invoice.created&limit=10');
    const cursor = first.body.next_cursor as string;
    const same = await call(sandbox, 'GET', `/events?type=invoice.created,invoice.paid&cursor=${cursor}`);
    expect(same.status).toBe(200);
    // The cursor keeps its page size unless a new limit is given.
    expect(same.body.data).toHaveLength(10);
    const bare = await call(sandbox, 'GET', `/events?cursor=${cursor}&limit=5`);
    expect(bare.body.data.map((e: { id: string }) => e.id)).toEqual(same.body.data.slice(0, 5).map((e: { id: string }) => e.id));
    const clash = await call(sandbox, 'GET', `/events?type=invoice.paid&cursor=${cursor}`);
    expect(clash.status).toBe(400);
    expect(clash.body.error.field).toBe('cursor');
    expect(clash.body.error.message).toContain('type=invoice.created,invoice.paid');
    const order = await call(sandbox, 'GET', `/events?order=desc&cursor=${cursor}`);
    expect(order.body.error.field).toBe('cursor');
  });

  it('refuses since older than the 30-day retention, naming the oldest allowed value, and hides older events', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now, policies: false, backlog: { count: 40, spanMs: 40 * 24 * 60 * MINUTE } });
    const oldest = new Date(clock.ms - RETENTION_MS).toISOString();
    const tooOld = await call(sandbox, 'GET', `/events?since=${new Date(clock.ms - RETENTION_MS - 1).toISOString()}`);
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.error.field).toBe('since');
    expect(tooOld.body.error.message).toContain(oldest);
    expect((await call(sandbox, 'GET', `/events?since=${oldest}`)).status).toBe(200);

    const all = await drain(sandbox, 'limit=100');
    expect(all.ids.length).toBeGreaterThan(25);
    expect(all.ids.length).toBeLessThan(40);
    for (const event of all.events) expect(Date.parse(event.created_at)).toBeGreaterThanOrEqual(clock.ms - RETENTION_MS);
  });
});

describe('visibility lag', () => {
  it('hides an event until its write commits', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now });
    const late = sandbox.emit('customer.created', { customer_id: 'cus_late' }, { commitDelayMs: 5000 });
    expect(late.data).toEqual({ customer_id: 'cus_late' });
    expect((await call(sandbox, 'GET', '/events')).body.data).toEqual([]);
    expect(sandbox.eventIds({ visibleOnly: true })).toEqual([]);
    expect(sandbox.eventIds()).toEqual([late.id]);
    expect(sandbox.events()).toEqual([late]);
    expect(sandbox.events({ visibleOnly: true })).toEqual([]);
    clock.advance(5000);
    const page = await call(sandbox, 'GET', '/events');
    expect(page.body.data).toEqual([late]);
  });

  it('skips a late commit behind the cursor, so only a look-back re-read finds it', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now });
    const a = sandbox.emit('invoice.created', undefined, { commitDelayMs: 5000 });
    clock.advance(1);
    const b = sandbox.emit('invoice.created', undefined, { commitDelayMs: 0 });
    clock.advance(1);
    const c = sandbox.emit('invoice.created', undefined, { commitDelayMs: 0 });
    clock.advance(1);

    const first = await call(sandbox, 'GET', '/events?limit=1');
    expect(first.body.data.map((e: { id: string }) => e.id)).toEqual([b.id]);
    clock.advance(5000); // a commits now, but it sorts before the cursor
    const second = await call(sandbox, 'GET', `/events?cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((e: { id: string }) => e.id)).toEqual([c.id]);

    const lookBack = await call(sandbox, 'GET', `/events?since=${a.created_at}`);
    expect(lookBack.body.data.map((e: { id: string }) => e.id)).toEqual([a.id, b.id, c.id]);
  });

  it('gives live events commit delays spread over [0, lag]', async () => {
    const clock = manualClock();
    const sandbox = await start({ now: clock.now, visibilityLagMs: 10_000 });
    sandbox.generate(200);
    const visibleAfter = (ms: number) => {
      clock.ms += ms;
      const count = sandbox.eventIds({ visibleOnly: true }).length;
      clock.ms -= ms;
      return count;
    };
    expect(visibleAfter(0)).toBeLessThan(10);
    expect(visibleAfter(5000)).toBeGreaterThan(60);
    expect(visibleAfter(5000)).toBeLessThan(140);
    expect(visibleAfter(10_000)).toBe(200);
  });
});

describe('determinism', () => {
  it('gives the same key, ids and data for the same seed and clock, and different ones for another seed', async () => {
    const options = { now: manualClock().now, backlog: { count: 20 } };
    const one = await start({ ...options, seed: 7 });
    const two = await start({ ...options, seed: 7 });
    const three = await start({ ...options, seed: 8 });
    expect(two.apiKey).toBe(one.apiKey);
    const pageOne = await call(one, 'GET', '/events?limit=20');
    const pageTwo = await call(two, 'GET', '/events?limit=20');
    expect(pageTwo.body).toEqual(pageOne.body);
    expect(three.apiKey).not.toBe(one.apiKey);
    expect(three.eventIds()).not.toEqual(one.eventIds());
  });
});
