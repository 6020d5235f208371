import { describe, expect, it } from 'vitest';
import { BoundedIdSet, deliveryHeaders, PRESETS, WebhookIntake, type EventEnvelope } from '@eventsync/core';

const SECRET = 'whsec_' + Buffer.from('intake-unit-test').toString('base64');
const NOW = 1_700_000_000_000;
const settings = PRESETS.integration.signature;

function delivery(event: EventEnvelope, secret = SECRET) {
  const body = Buffer.from(JSON.stringify(event));
  const headers = deliveryHeaders(settings, { secrets: [secret], body, timestamp: NOW / 1000, id: `del_${event.id}`, eventType: event.type });
  return { body, headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])) };
}

function event(id: string, type = 'customer.created'): EventEnvelope {
  return { id, type, created_at: new Date(NOW).toISOString(), data: {} };
}

function intake(fail = false) {
  const accepted: string[] = [];
  let failNext = fail;
  const subject = new WebhookIntake({
    poller: {
      accept: async (events) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        accepted.push(...events.map((item) => item.id));
        return events.length;
      },
    },
    signature: settings,
    secrets: () => [SECRET],
    now: () => NOW,
  });
  return { subject, accepted };
}

describe('WebhookIntake', () => {
  it('hands a verified event over once, and turns away its retries without queueing them', async () => {
    const { subject, accepted } = intake();
    for (let i = 0; i < 3; i++) {
      const verdict = subject.check(delivery(event('evt_1')).body, delivery(event('evt_1')).headers);
      expect(verdict.ok).toBe(true);
      if (verdict.ok) await verdict.process();
    }
    expect(accepted).toEqual(['evt_1']);
    expect(subject.stats).toMatchObject({ received: 3, repeated: 2 });
  });

  it('lets a retry through when the first write failed', async () => {
    const { subject, accepted } = intake(true);
    const first = subject.check(delivery(event('evt_2')).body, delivery(event('evt_2')).headers);
    if (!first.ok) throw new Error('expected a verified delivery');
    await expect(first.process()).rejects.toThrow('disk full');
    const retry = subject.check(delivery(event('evt_2')).body, delivery(event('evt_2')).headers);
    if (!retry.ok) throw new Error('expected a verified delivery');
    await retry.process();
    expect(accepted).toEqual(['evt_2']);
  });

  it('answers 401 for a bad signature and 400 for a verified body that is not an event', () => {
    const { subject } = intake();
    const forged = delivery(event('evt_3'), 'whsec_' + Buffer.from('someone else').toString('base64'));
    expect(subject.check(forged.body, forged.headers)).toMatchObject({ ok: false, status: 401 });
    const notAnEvent = Buffer.from('{"hello":"world"}');
    const headers = Object.fromEntries(
      Object.entries(deliveryHeaders(settings, { secrets: [SECRET], body: notAnEvent, timestamp: NOW / 1000, id: 'del_x', eventType: 'x' })).map(([name, value]) => [name.toLowerCase(), value]),
    );
    expect(subject.check(notAnEvent, headers)).toMatchObject({ ok: false, status: 400 });
    expect(subject.stats).toMatchObject({ rejectedSignatures: 1, malformed: 1 });
  });

  it('holds a delivery signed with a secret on its way, and checks it again once the secret is here', async () => {
    const NEXT = 'whsec_' + Buffer.from('the rotation secret').toString('base64');
    const FORGED = 'whsec_' + Buffer.from('someone else').toString('base64');
    const secrets = [SECRET];
    let arrived!: () => void;
    let arriving: Promise<void> | undefined = new Promise<void>((resolve) => (arrived = resolve));
    const accepted: string[] = [];
    const subject = new WebhookIntake({
      poller: { accept: async (events) => (accepted.push(...events.map((item) => item.id)), events.length) },
      signature: settings,
      secrets: () => secrets,
      secretArriving: () => arriving,
      now: () => NOW,
    });
    const early = delivery(event('evt_early'), NEXT);
    const forged = delivery(event('evt_forged'), FORGED);
    const [earlyVerdict, forgedVerdict] = [subject.check(early.body, early.headers), subject.check(forged.body, forged.headers)];
    if (earlyVerdict.ok || !earlyVerdict.recheck || forgedVerdict.ok || !forgedVerdict.recheck) throw new Error('expected both held for a recheck');
    const [earlyLater, forgedLater] = [earlyVerdict.recheck(), forgedVerdict.recheck()];
    secrets.unshift(NEXT);
    arriving = undefined;
    arrived();
    const settled = await earlyLater;
    if (!settled.ok) throw new Error(`expected the early delivery verified, got ${settled.message}`);
    await settled.process();
    expect(accepted).toEqual(['evt_early']);
    // A signature no secret makes is refused once the secret is here, and counted once.
    expect(await forgedLater).toMatchObject({ ok: false, status: 401 });
    expect(subject.stats).toMatchObject({ received: 2, rejectedSignatures: 1 });
    // With no secret on its way, a bad signature is refused at once.
    const again = subject.check(forged.body, forged.headers);
    expect(again).toMatchObject({ ok: false, status: 401 });
    expect(again).not.toHaveProperty('recheck');
  });

  it('does not write the test endpoint ping', async () => {
    const { subject, accepted } = intake();
    const ping = delivery(event('evt_ping', 'webhook.test'));
    const verdict = subject.check(ping.body, ping.headers);
    if (!verdict.ok) throw new Error('expected a verified delivery');
    expect(await verdict.process()).toBe(0);
    expect(accepted).toEqual([]);
  });
});

describe('BoundedIdSet', () => {
  it('forgets the oldest ids beyond its capacity', () => {
    const set = new BoundedIdSet(3);
    expect(['a', 'b', 'c', 'a'].map((id) => set.add(id))).toEqual([true, true, true, false]);
    set.add('d');
    expect(set.has('a')).toBe(false);
    expect(set.has('d')).toBe(true);
    expect(set.size).toBe(3);
  });

  it('refuses a capacity that is not a positive whole number', () => {
    expect(() => new BoundedIdSet(0)).toThrow(RangeError);
  });
});
