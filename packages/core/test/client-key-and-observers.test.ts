/** A key replaced under a running client, and what an observer of its requests sees. */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, EventsyncClient, type RequestObservation, type Runtime } from '@eventsync/core';
import { createAxiosTransport } from '@eventsync/core/node';

const BASE = 'http://api.test';
const OLD_KEY = 'wlcro_live_old_key_aaaaaaaaaaaaOLD1';
const NEW_KEY = 'wlcro_live_new_key_bbbbbbbbbbbbNEW2';
const ME = { key: { name: 'k' }, tenant: { slug: 't' } };

function client(runtime: Partial<Runtime> = {}): EventsyncClient {
  return new EventsyncClient(
    { baseUrl: BASE, apiKey: OLD_KEY, retry: { maxAttempts: 3 } },
    { transport: createAxiosTransport({ keepAlive: false }), sleep: async () => undefined, now: Date.now, random: () => 0.5, ...runtime },
  );
}

/** /me answers 200 to NEW_KEY and 401 to OLD_KEY. */
function meAcceptingOnlyTheNewKey(): void {
  nock(BASE).get('/api/v1/me').matchHeader('x-api-key', NEW_KEY).times(5).reply(200, ME);
  nock(BASE).get('/api/v1/me').matchHeader('x-api-key', OLD_KEY).times(5).reply(401, { error: { code: 'unauthorized', message: 'API key revoked' } });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('a key replaced without a restart', () => {
  it('sends the new key from the next request on', async () => {
    meAcceptingOnlyTheNewKey();
    const api = client();
    await expect(api.me()).rejects.toBeInstanceOf(AuthError);
    api.api.replaceApiKey(NEW_KEY);
    await expect(api.me()).resolves.toEqual(ME);
    expect(api.config.apiKey).toBe(NEW_KEY);
  });

  it('refuses a key that cannot be one and keeps the old', () => {
    const api = client();
    expect(() => api.api.replaceApiKey('two words')).toThrow(ConfigError);
    expect(api.config.apiKey).toBe(OLD_KEY);
  });

  it('after a 401 asks the runtime once for a newer key and retries with it', async () => {
    meAcceptingOnlyTheNewKey();
    let asked = 0;
    const api = client({ refreshApiKey: () => (asked++, NEW_KEY) });
    await expect(api.me()).resolves.toEqual(ME);
    expect(asked).toBe(1);
    expect(api.config.apiKey).toBe(NEW_KEY);
  });

  it('gives up with the 401 when the runtime has nothing newer, asking only once', async () => {
    meAcceptingOnlyTheNewKey();
    let asked = 0;
    const api = client({ refreshApiKey: () => (asked++, OLD_KEY) });
    const error = await api.me().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toContain('…OLD1');
    expect(asked).toBe(1);
  });
});

describe('onRequest', () => {
  it('sees each attempt: bucket, method, path, status and duration, never the key', async () => {
    nock(BASE).get('/api/v1/me').reply(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '0' });
    nock(BASE).get('/api/v1/me').reply(200, ME);
    const seen: RequestObservation[] = [];
    await client({ onRequest: (observation) => void seen.push(observation) }).me();
    expect(seen.map(({ bucket, method, path, status }) => ({ bucket, method, path, status }))).toEqual([
      { bucket: 'read', method: 'GET', path: '/me', status: 429 },
      { bucket: 'read', method: 'GET', path: '/me', status: 200 },
    ]);
    expect(seen.every((observation) => observation.durationMs >= 0)).toBe(true);
    expect(seen[0]!.error?.status).toBe(429);
    expect(JSON.stringify(seen)).not.toContain(OLD_KEY);
  });

  it('tells of an attempt that got no answer, status undefined', async () => {
    nock(BASE).get('/api/v1/me').replyWithError('socket died');
    const seen: RequestObservation[] = [];
    await client({ onRequest: (observation) => void seen.push(observation) })
      .me({ maxAttempts: 1 })
      .catch(() => undefined);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.status).toBeUndefined();
    expect(seen[0]!.error?.name).toBe('NetworkError');
  });

  it('an observer that throws changes nothing for the caller', async () => {
    nock(BASE).get('/api/v1/me').reply(200, ME);
    const api = client({
      onRequest: () => {
        throw new Error('broken dashboard');
      },
    });
    await expect(api.me()).resolves.toEqual(ME);
  });
});
