import { describe, expect, it } from 'vitest';
import { ConfigError, parsePolicy } from '@eventsync/core';
import { requireApi, resolveConnection } from '../src/connection.js';
import { UsageError } from '../src/usage-error.js';

const URL = 'https://api.example.com';
const KEY = 'wlcro_test_abcdefghijklmnop';

describe('resolveConnection', () => {
  it('means "no API configured" when neither a URL nor a key is given, keeping the preset', () => {
    expect(resolveConnection({}, {})).toEqual({ kind: 'none', preset: 'integration' });
    expect(resolveConnection({}, { EVENTSYNC_PRESET: 'psa' })).toEqual({ kind: 'none', preset: 'psa' });
  });

  it('counts empty variables as unset', () => {
    expect(resolveConnection({}, { EVENTSYNC_BASE_URL: '', EVENTSYNC_API_KEY: '' })).toEqual({ kind: 'none', preset: 'integration' });
  });

  it('builds the client config from the environment', () => {
    const env = { EVENTSYNC_BASE_URL: URL, EVENTSYNC_API_KEY: KEY, EVENTSYNC_PRESET: 'partner', EVENTSYNC_BASE_PATH: '/api/v2' };
    expect(resolveConnection({}, env)).toEqual({ kind: 'api', config: { baseUrl: URL, apiKey: KEY, preset: 'partner', basePath: '/api/v2' } });
  });

  it('leaves the base path and policies to the preset when they are not set', () => {
    const connection = resolveConnection({}, { EVENTSYNC_BASE_URL: URL, EVENTSYNC_API_KEY: KEY });
    expect(connection).toEqual({ kind: 'api', config: { baseUrl: URL, apiKey: KEY, preset: 'integration' } });
  });

  it('lets flags win over the environment', () => {
    const env = { EVENTSYNC_BASE_URL: 'https://env.example.com', EVENTSYNC_API_KEY: 'env_key', EVENTSYNC_PRESET: 'psa', EVENTSYNC_RATE_LIMIT: 'read:10/1m' };
    const flags = { baseUrl: URL, apiKey: KEY, preset: 'ventryx', rateLimit: 'read:600/1m' };
    expect(resolveConnection(flags, env)).toEqual({
      kind: 'api',
      config: { baseUrl: URL, apiKey: KEY, preset: 'ventryx', policies: { read: parsePolicy('read:600/1m') } },
    });
  });

  it('reads both buckets of a rate limit, with spaces around the parts', () => {
    const connection = resolveConnection({ rateLimit: ' read:600/1m , write:60/1m ' }, { EVENTSYNC_BASE_URL: URL, EVENTSYNC_API_KEY: KEY });
    expect(connection.kind === 'api' && connection.config.policies).toEqual({
      read: { bucket: 'read', limit: 600, windowMs: 60_000 },
      write: { bucket: 'write', limit: 60, windowMs: 60_000 },
    });
  });

  it('names the missing half when only a key or only a URL is set', () => {
    expect(() => resolveConnection({ apiKey: KEY }, {})).toThrow(UsageError);
    expect(() => resolveConnection({ apiKey: KEY }, {})).toThrow('an API key is set but no base URL: set EVENTSYNC_BASE_URL (or --base-url)');
    expect(() => resolveConnection({}, { EVENTSYNC_BASE_URL: URL })).toThrow('a base URL is set but no API key: set EVENTSYNC_API_KEY (or --api-key, or --api-key-file)');
  });

  it.each(['Partner', 'seed-003', ''])('refuses the preset %j, listing the presets', (preset) => {
    const attempt = () => resolveConnection({ preset }, {});
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(`unknown preset "${preset}"; choose one of integration, ventryx, psa, partner`);
  });

  it('refuses a rate limit that names no bucket kind, and one whose policy does not parse', () => {
    const env = { EVENTSYNC_BASE_URL: URL, EVENTSYNC_API_KEY: KEY };
    expect(() => resolveConnection({ rateLimit: '600/1m' }, env)).toThrow('--rate-limit takes read:N/window and/or write:N/window');
    expect(() => resolveConnection({ rateLimit: 'tenant:500/10m' }, env)).toThrow(UsageError);
    expect(() => resolveConnection({ rateLimit: 'read:many/1m' }, env)).toThrow(ConfigError);
  });
});

describe('requireApi', () => {
  it('hands back the config of a configured API and explains what to set otherwise', () => {
    const connection = resolveConnection({ baseUrl: URL, apiKey: KEY }, {});
    expect(requireApi(connection)).toEqual({ baseUrl: URL, apiKey: KEY, preset: 'integration' });
    expect(() => requireApi(resolveConnection({}, {}))).toThrow('no API configured: set EVENTSYNC_BASE_URL and EVENTSYNC_API_KEY');
  });
});
