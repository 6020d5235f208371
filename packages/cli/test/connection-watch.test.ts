/** What /readyz and the alerts conclude from what the observers report. */
import { describe, expect, it } from 'vitest';
import { AuthError, ScopeError, type RequestObservation, type SyncProgress } from '@eventsync/core';
import { ConnectionWatch, THROTTLED_ALERT_MS } from '../src/ops/connection-watch.js';

function watch(options: { watermark?: number | null; apiNow?: () => number; now?: () => number } = {}) {
  const state = { watermark: options.watermark ?? null };
  const progress = (): SyncProgress => ({
    delivered: 0,
    byChannel: { poll: 0, webhook: 0 },
    duplicatesSkipped: 0,
    duplicatesByChannel: { poll: 0, webhook: 0 },
    pages: 0,
    watermark: state.watermark,
    newestEventAt: null,
    waitingOn: null,
  });
  const instance = new ConnectionWatch({
    sources: { progress, apiNow: options.apiNow ?? (() => 1_000_000), buckets: () => new Map(), readBucket: () => 'read', sink: () => 'events.ndjson', keyHint: () => '…abcd' },
    now: options.now ?? Date.now,
    alertLagMs: 600_000,
  });
  return { instance, state };
}

const details = { keyHint: '…abcd', method: 'GET', path: '/events' };
function answer(status: number | undefined, method: RequestObservation['method'] = 'GET', path = '/events'): RequestObservation {
  const error =
    status === 401 ? new AuthError('Unauthorized (401): check the API key ending …abcd', { ...details, status }, 'test')
    : status === 403 ? new ScopeError('Forbidden (403): the key lacks webhooks:write', { ...details, status }, 'webhooks:write')
    : status === undefined || status >= 400 ? new AuthError(`failed ${status}`, details, 'test')
    : undefined;
  return { bucket: 'read', method, path, status, durationMs: 5, ...(error ? { error } : {}) };
}

describe('ConnectionWatch', () => {
  it('is not ready after a 401, naming the call and the key, and ready again after a success', () => {
    const { instance } = watch();
    instance.request(answer(401));
    expect(instance.problems()).toEqual([{ check: 'api', message: 'GET /events answered 401: Unauthorized (401): check the API key ending …abcd' }]);
    expect(instance.conditions().map((condition) => condition.alert)).toEqual(['api_key_rejected']);
    instance.request(answer(200));
    expect(instance.problems()).toEqual([]);
    expect(instance.conditions()).toEqual([]);
  });

  it('counts a 429 and a 404 as answers, a 503 and no answer as problems', () => {
    const { instance } = watch();
    instance.request(answer(429));
    instance.request(answer(404, 'GET', '/webhooks/whsub_1'));
    expect(instance.problems()).toEqual([]);
    instance.request(answer(503));
    instance.request(answer(undefined, 'GET', '/me'));
    expect(instance.problems().map((problem) => problem.message.split(':')[0])).toEqual(['GET /events answered 503', 'GET /me got no answer']);
  });

  it('keeps a 403 on one kind of call while another kind succeeds', () => {
    const { instance } = watch();
    instance.request(answer(403, 'PATCH', '/webhooks/whsub_1'));
    instance.request(answer(200));
    expect(instance.conditions().map((condition) => condition.alert)).toEqual(['api_key_missing_scope']);
    instance.request(answer(200, 'PATCH', '/webhooks/whsub_1'));
    expect(instance.conditions()).toEqual([]);
  });

  it('raises checkpoint_lag only once the sync has caught up, not during the first backfill', () => {
    let apiNow = 10 * 86_400_000;
    const { instance, state } = watch({ watermark: 0, apiNow: () => apiNow });
    expect(instance.conditions()).toEqual([]); // ten days behind, still backfilling
    state.watermark = apiNow - 5_000;
    expect(instance.conditions()).toEqual([]);
    apiNow += 11 * 60_000; // stalled for 11 minutes
    expect(instance.conditions().map((condition) => condition.alert)).toEqual(['checkpoint_lag']);
  });

  it('raises rate_limited after minutes of nothing but 429s and 503s, and clears it with a success', () => {
    let now = 0;
    const { instance } = watch({ now: () => now });
    instance.request(answer(429));
    now += THROTTLED_ALERT_MS - 1;
    instance.request(answer(503));
    expect(instance.conditions().map((condition) => condition.alert)).toEqual([]);
    now += 1;
    expect(instance.conditions().map((condition) => condition.alert)).toEqual(['rate_limited']);
    instance.request(answer(200));
    expect(instance.conditions()).toEqual([]);
  });
});
