/** When --alert-url speaks: once per condition, once when it clears, and never in the sync's way. */
import { describe, expect, it, vi } from 'vitest';
import { Alerter, type AlertDocument } from '../src/ops/alerts.js';
import type { Condition } from '../src/ops/connection-watch.js';

const DISABLED: Condition = { alert: 'subscription_auto_disabled', severity: 'critical', message: 'tripped' };
const LAG: Condition = { alert: 'checkpoint_lag', severity: 'warning', message: '12m behind' };

function alerter(conditions: () => Condition[], send: (document: AlertDocument) => Promise<void>, log: string[] = []) {
  return new Alerter({
    url: 'https://hooks.example.com/services/T000/SECRET',
    source: 'acme@api.example.com',
    conditions,
    log: (line) => void log.push(line),
    now: () => Date.parse('2026-04-03T09:15:00Z'),
    send: async (_url, document) => send(document),
    retryDelayMs: 1,
  });
}

describe('Alerter', () => {
  it('sends one alert per condition however often it holds, then one resolved when it clears', async () => {
    const sent: AlertDocument[] = [];
    let now: Condition[] = [DISABLED];
    const alerts = alerter(() => now, async (document) => void sent.push(document));
    for (let i = 0; i < 5; i++) alerts.evaluate();
    now = [DISABLED, LAG];
    alerts.evaluate();
    now = [LAG];
    alerts.evaluate();
    alerts.evaluate();
    await alerts.stop(); // waits for what is queued
    expect(sent.map((document) => `${document.alert} ${document.state}`)).toEqual([
      'subscription_auto_disabled firing',
      'checkpoint_lag firing',
      'subscription_auto_disabled resolved',
    ]);
    expect(sent[0]).toEqual({
      alert: 'subscription_auto_disabled',
      severity: 'critical',
      state: 'firing',
      source: 'acme@api.example.com',
      message: 'tripped',
      at: '2026-04-03T09:15:00.000Z',
      text: '[eventsync] CRITICAL subscription_auto_disabled (acme@api.example.com): tripped',
    });
    expect(sent[2]!.text).toBe('[eventsync] RESOLVED subscription_auto_disabled (acme@api.example.com): cleared (it was: tripped)');
  });

  it('a failing endpoint is tried three times, said once without its secret path, and later alerts still go', async () => {
    const log: string[] = [];
    const tries: string[] = [];
    let failing = true;
    let now: Condition[] = [DISABLED];
    const alerts = alerter(
      () => now,
      async (document) => {
        tries.push(document.state);
        if (failing) throw new Error('the endpoint answered 500');
      },
      log,
    );
    alerts.evaluate();
    await vi.waitFor(() => expect(log).toHaveLength(1));
    expect(tries).toEqual(['firing', 'firing', 'firing']);
    expect(log).toEqual(['could not deliver the firing alert subscription_auto_disabled to https://hooks.example.com (the endpoint answered 500); the sync goes on']);
    failing = false;
    now = [];
    alerts.evaluate();
    await alerts.stop();
    expect(tries).toEqual(['firing', 'firing', 'firing', 'resolved']);
  });

  it('a resolved never overtakes its firing, even when the endpoint is slow', async () => {
    const sent: string[] = [];
    let now: Condition[] = [DISABLED];
    const alerts = alerter(
      () => now,
      async (document) => {
        await new Promise((resolve) => setTimeout(resolve, document.state === 'firing' ? 15 : 0));
        sent.push(document.state);
      },
    );
    alerts.evaluate();
    now = [];
    alerts.evaluate();
    await alerts.stop();
    expect(sent).toEqual(['firing', 'resolved']);
  });
});
