/**
 * Where to connect: flags first, then EVENTSYNC_* variables. Neither URL nor key means
 * "no API configured", which `sync` answers with an embedded sandbox; one without the
 * other is a mistake worth naming.
 */
import {
  DEFAULT_PRESET,
  isPresetName,
  parsePolicy,
  PRESET_NAMES,
  type BucketKind,
  type ClientConfig,
  type PresetName,
  type RateLimitPolicy,
} from '@eventsync/core';
import { UsageError } from './usage-error.js';

export interface ConnectionFlags {
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly preset?: string;
  readonly rateLimit?: string;
  readonly sharedLimiter?: string;
}

export type Connection = { readonly kind: 'none'; readonly preset: PresetName } | { readonly kind: 'api'; readonly config: ClientConfig };

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const baseUrl = flags.baseUrl ?? env.EVENTSYNC_BASE_URL;
  const apiKey = flags.apiKey ?? env.EVENTSYNC_API_KEY;
  const presetText = flags.preset ?? env.EVENTSYNC_PRESET ?? DEFAULT_PRESET;
  if (!isPresetName(presetText)) throw new UsageError(`unknown preset "${presetText}"; choose one of ${PRESET_NAMES.join(', ')}`);
  if (!baseUrl && !apiKey) return { kind: 'none', preset: presetText };
  if (!baseUrl) throw new UsageError('an API key is set but no base URL: set EVENTSYNC_BASE_URL (or --base-url), e.g. https://api.example.com');
  if (!apiKey) throw new UsageError('a base URL is set but no API key: set EVENTSYNC_API_KEY (or --api-key)');
  const basePath = env.EVENTSYNC_BASE_PATH;
  const policies = parseRateLimits(flags.rateLimit ?? env.EVENTSYNC_RATE_LIMIT);
  return {
    kind: 'api',
    config: { baseUrl, apiKey, preset: presetText, ...(basePath === undefined ? {} : { basePath }), ...(policies ? { policies } : {}) },
  };
}

/** `read:600/1m,write:60/1m`: the budget the plan grants, when it is above the preset's defaults. */
export function parseRateLimits(text: string | undefined): Partial<Record<BucketKind, RateLimitPolicy>> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const policies: Partial<Record<BucketKind, RateLimitPolicy>> = {};
  for (const part of text.split(',')) {
    const kind = part.trim().split(':')[0];
    if (kind !== 'read' && kind !== 'write') {
      throw new UsageError(`--rate-limit takes read:N/window and/or write:N/window, e.g. read:600/1m,write:60/1m; got "${part.trim()}"`);
    }
    policies[kind] = parsePolicy(part, kind);
  }
  return policies;
}

export function requireApi(connection: Connection): ClientConfig {
  if (connection.kind === 'api') return connection.config;
  throw new UsageError(
    'no API configured: set EVENTSYNC_BASE_URL and EVENTSYNC_API_KEY, or start `eventsync sandbox` in another terminal and export what it prints',
  );
}
