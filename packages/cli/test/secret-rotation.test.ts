/** The rotation procedure's order, and what a failed rotation leaves behind: nothing. */
import { describe, expect, it } from 'vitest';
import type { CreatedSubscription, Subscription, TestDelivery } from '@eventsync/core';
import { rotateSecret, RotationFailed, type RotationSteps } from '../src/secret-rotation.js';

const OLD: Subscription = {
  id: 'whsub_old',
  url: 'https://hooks.example.com/in',
  events: ['invoice.paid'],
  description: 'billing',
  managed_by: 'n8n',
  active: true,
  consecutive_failures: 0,
  auto_disabled_at: null,
  created_at: '2026-04-03T09:00:00Z',
};

function steps(handlerAccepts: (attempt: number) => boolean) {
  const calls: string[] = [];
  let tests = 0;
  let clock = 0;
  const created: CreatedSubscription = { ...OLD, id: 'whsub_new', secret: 'whsec_new', created_at: '2026-04-03T10:00:00Z' };
  const value: RotationSteps = {
    subscriptions: {
      get: async (id) => (calls.push(`get ${id}`), OLD),
      create: async (input) => (calls.push(`create ${input.url} ${input.events.join(',')} ${input.description} ${input.managedBy}`), created),
      disable: async (id) => (calls.push(`disable ${id}`), { ...created, active: false }),
      enable: async (id) => (calls.push(`enable ${id}`), created),
      delete: async (id) => (calls.push(`delete ${id}`), { deleted: true }),
      test: async (id): Promise<TestDelivery> => {
        calls.push(`test ${id}`);
        const ok = handlerAccepts(++tests);
        return { delivery_id: `del_${tests}`, http_status: ok ? 200 : 401, ok, duration_ms: 1, error: ok ? null : 'the endpoint answered 401' } as TestDelivery;
      },
    },
    acceptBoth: async (subscription) => void calls.push(`accept both (${subscription.secret})`),
    acceptOldOnly: async () => void calls.push('accept old only'),
    dropOld: async (old) => void calls.push(`drop ${old.id}'s secret`),
    verifyEveryMs: 5_000,
    verifyWithinMs: 12_000,
    sleep: async (ms) => void (clock += ms),
    now: () => clock,
    log: () => undefined,
  };
  return { value, calls };
}

describe('rotateSecret', () => {
  it('gives the handler the new secret as soon as the subscription exists, pauses it until a test delivery is accepted, then enables it and deletes the old one', async () => {
    const { value, calls } = steps((attempt) => attempt >= 2);
    const { created } = await rotateSecret('whsub_old', value);
    expect(created.id).toBe('whsub_new');
    expect(calls).toEqual([
      'get whsub_old',
      'create https://hooks.example.com/in invoice.paid billing n8n',
      'accept both (whsec_new)',
      'disable whsub_new',
      'test whsub_new',
      'test whsub_new',
      'enable whsub_new',
      'delete whsub_old',
      "drop whsub_old's secret",
    ]);
  });

  it('undoes everything when the handler never accepts the new secret in time', async () => {
    const { value, calls } = steps(() => false);
    await expect(rotateSecret('whsub_old', value)).rejects.toThrow(RotationFailed);
    expect(calls.filter((call) => call.startsWith('test'))).toHaveLength(3);
    expect(calls.slice(-2)).toEqual(['accept old only', 'delete whsub_new']);
    expect(calls).not.toContain('delete whsub_old');
  });
});
