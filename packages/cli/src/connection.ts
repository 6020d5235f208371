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
import { readKeyFile } from './ops/key-file.js';
import { UsageError } from './usage-error.js';

export interface ConnectionFlags {
  readonly baseUrl?: string;
  readonly apiKey?: string;
  /** A file holding the key; `sync` reads it again when it changes. */
  readonly apiKeyFile?: string;
  readonly preset?: string;
  readonly rateLimit?: string;
  readonly sharedLimiter?: string;
}

export type Connection =
  | { readonly kind: 'none'; readonly preset: PresetName }
  | { readonly kind: 'api'; readonly config: ClientConfig; /** Where the key came from, when a file. */ readonly keyFile?: string };

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const baseUrl = flags.baseUrl ?? env.EVENTSYNC_BASE_URL;
  const keyFile = apiKeyFile(flags, env);
  const apiKey = keyFile === undefined ? (flags.apiKey ?? env.EVENTSYNC_API_KEY) : readKeyFile(keyFile);
  const presetText = flags.preset ?? env.EVENTSYNC_PRESET ?? DEFAULT_PRESET;
  if (!isPresetName(presetText)) throw new UsageError(`unknown preset "${presetText}"; choose one of ${PRESET_NAMES.join(', ')}`);
  if (!baseUrl && !apiKey) return { kind: 'none', preset: presetText };
  if (!baseUrl) throw new UsageError('an API key is set but no base URL: set EVENTSYNC_BASE_URL (or --base-url), e.g. https://api.example.com');
  if (!apiKey) throw new UsageError('a base URL is set but no API key: set EVENTSYNC_API_KEY (or --api-key, or --api-key-file)');
  const basePath = env.EVENTSYNC_BASE_PATH;
  const policies = parseRateLimits(flags.rateLimit ?? env.EVENTSYNC_RATE_LIMIT);
  return {
    kind: 'api',
    config: { baseUrl, apiKey, preset: presetText, ...(basePath === undefined ? {} : { basePath }), ...(policies ? { policies } : {}) },
    ...(keyFile === undefined ? {} : { keyFile }),
  };
}

/** The key file, if one is named; flags win over the environment, and a key and a key file from the same place clash. */
function apiKeyFile(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string | undefined {
  if (flags.apiKeyFile !== undefined && flags.apiKey !== undefined) throw new UsageError('--api-key and --api-key-file both name a key: keep one');
  if (flags.apiKeyFile !== undefined) return flags.apiKeyFile;
  if (flags.apiKey !== undefined) return undefined;
  if (env.EVENTSYNC_API_KEY_FILE && env.EVENTSYNC_API_KEY) throw new UsageError('EVENTSYNC_API_KEY and EVENTSYNC_API_KEY_FILE are both set: keep one');
  return env.EVENTSYNC_API_KEY_FILE || undefined;
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
