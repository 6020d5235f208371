/**
 * Every fact about the API that varies by vendor variant lives here and nowhere else:
 * event types, header names, base paths, default rate-limit policies and the presets of
 * docs/api-contract.md, Variants. The sandbox imports these so that server and client cannot drift.
 */
import { ConfigError } from './errors.js';

/** The ten v1 event types, lower-case and case-sensitive (docs/api-contract.md, Event envelope and types). */
export const EVENT_TYPES = [
  'lead.created',
  'customer.created',
  'customer.updated',
  'appointment.scheduled',
  'appointment.completed',
  'appointment.cancelled',
  'invoice.created',
  'invoice.paid',
  'payment.received',
  'note.created',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Sent only by the subscription test endpoint, never into the feed. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** How long after its `created_at` an event may first appear in the feed (docs/api-contract.md, Visibility lag). */
export const VISIBILITY_LAG_MS = 10_000;
/** Events older than this are gone from the feed (docs/api-contract.md, Events feed). */
export const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** Page size bounds of every list endpoint. */
export const PAGE_LIMIT_MAX = 100;
export const PAGE_LIMIT_DEFAULT = 50;
/** `POST /customers/batch` takes at most this many customers (docs/api-contract.md, Records). */
export const BATCH_MAX = 100;

export type AuthStyle = 'x-api-key' | 'bearer';
/** The signature schemes a preset or a caller can choose. */
export const SIGNATURE_SCHEMES = ['timestamped', 'body', 'standard-webhooks'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];
/** Requests are counted against one of these buckets; a preset maps both to one bucket when the API has a single budget. */
export type BucketKind = 'read' | 'write';

/** Tools that may own a subscription (docs/api-contract.md, Webhook subscriptions); others cannot change its URL or events. */
export const MANAGED_BY = ['zapier', 'n8n', 'make', 'eventsync'] as const;
export type ManagedBy = (typeof MANAGED_BY)[number];

export type Scope = 'events:read' | 'webhooks:read' | 'webhooks:write' | 'records:write';
export const SCOPES: readonly Scope[] = ['events:read', 'webhooks:read', 'webhooks:write', 'records:write'];

/** A rate-limit policy such as `read:60/1m`: at most `limit` requests in any rolling `windowMs`. */
export interface RateLimitPolicy {
  /** Bucket name as the API reports it in the 429 `policy` field. Two kinds with the same name share one budget. */
  readonly bucket: string;
  readonly limit: number;
  readonly windowMs: number;
}

const WINDOW_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `read:60/1m`, `tenant:500/10m`, `read:5/500ms` or `60/1m` (then `defaultBucket` names it). */
export function parsePolicy(text: string, defaultBucket = 'read'): RateLimitPolicy {
  const match = /^(?:([a-z][a-z0-9_-]*):)?(\d+)\/(\d*)(ms|s|m|h)$/i.exec(text.trim());
  if (!match) {
    throw new ConfigError(`rate-limit policy "${text}" is not of the form bucket:N/window, e.g. read:60/1m`, 'policy');
  }
  const [, bucket, limit, count, unit] = match;
  const windowMs = Number(count || '1') * (WINDOW_UNITS[unit!.toLowerCase()] ?? 0);
  const limitNumber = Number(limit);
  if (limitNumber < 1 || windowMs <= 0) {
    throw new ConfigError(`rate-limit policy "${text}" needs a limit and a window above zero`, 'policy');
  }
  return { bucket: bucket ?? defaultBucket, limit: limitNumber, windowMs };
}

export function formatPolicy(policy: RateLimitPolicy): string {
  const { windowMs } = policy;
  const window =
    windowMs % 3_600_000 === 0
      ? `${windowMs / 3_600_000}h`
      : windowMs % 60_000 === 0
        ? `${windowMs / 60_000}m`
        : windowMs % 1000 === 0
          ? `${windowMs / 1000}s`
          : `${windowMs}ms`;
  return `${policy.bucket}:${policy.limit}/${window}`;
}

/** Header names and signing rules of one webhook signature scheme (docs/api-contract.md, Signatures). */
export interface SignatureSettings {
  readonly scheme: SignatureScheme;
  /** Header carrying the signature(s). */
  readonly signatureHeader: string;
  /** Header carrying unix seconds; unused by the `body` scheme. */
  readonly timestampHeader: string;
  /** Header carrying the delivery id (stable across retries). */
  readonly deliveryIdHeader: string;
  /** Header carrying the event type. */
  readonly eventTypeHeader: string;
  /** Replay window in seconds, both directions; 0 means the scheme has none (dedupe by id instead). */
  readonly toleranceSeconds: number;
}

export const SIGNATURE_DEFAULTS: Record<SignatureScheme, SignatureSettings> = {
  timestamped: {
    scheme: 'timestamped',
    signatureHeader: 'X-Webhook-Signature',
    timestampHeader: 'X-Webhook-Timestamp',
    deliveryIdHeader: 'X-Webhook-Id',
    eventTypeHeader: 'X-Webhook-Event',
    toleranceSeconds: 300,
  },
  body: {
    scheme: 'body',
    signatureHeader: 'X-Webhook-Signature',
    timestampHeader: 'X-Webhook-Timestamp',
    deliveryIdHeader: 'X-Webhook-Id',
    eventTypeHeader: 'X-Webhook-Event',
    toleranceSeconds: 0,
  },
  'standard-webhooks': {
    scheme: 'standard-webhooks',
    signatureHeader: 'webhook-signature',
    timestampHeader: 'webhook-timestamp',
    deliveryIdHeader: 'webhook-id',
    eventTypeHeader: 'X-Webhook-Event',
    toleranceSeconds: 300,
  },
};

/** Everything that distinguishes one vendor variant from another (docs/api-contract.md, Variants). */
export interface Preset {
  readonly name: PresetName;
  readonly description: string;
  readonly basePath: string;
  readonly authStyle: AuthStyle;
  readonly requestIdHeader: string;
  /** Prefix of API keys, `<prefix>_live_...` / `<prefix>_test_...`. */
  readonly keyPrefix: string;
  /** Policy per bucket kind; a single shared budget maps both kinds to the same bucket name. */
  readonly policies: Readonly<Record<BucketKind, RateLimitPolicy>>;
  /** Whose budget a request spends: each key its own, or the whole tenant's (the `psa` variant; docs/api-contract.md, Rate limits). */
  readonly budgetPer: 'key' | 'tenant';
  /** Path of the subscriptions collection under the base path. */
  readonly subscriptionsPath: string;
  /** What this vendor calls the `records:write` scope, for messages that name it. */
  readonly recordsScopeName: string;
  readonly signature: SignatureSettings;
  /** Delays between webhook delivery attempts, in ms (docs/api-contract.md, Deliveries). */
  readonly retryScheduleMs: readonly number[];
}

export const PRESET_NAMES = ['integration', 'ventryx', 'psa', 'partner'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
export const DEFAULT_PRESET: PresetName = 'integration';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEFAULT_POLICIES = { read: parsePolicy('read:60/1m'), write: parsePolicy('write:30/1m') } as const;
/** The partner API's retry schedule, which most variants share: 1m, 5m, 30m, 2h, 6h, 24h. */
const FULL_RETRY_SCHEDULE = [MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR, 24 * HOUR];

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  integration: {
    name: 'integration',
    description: 'Integration API (the default): key in X-Api-Key, base path /api/v1, timestamped signatures',
    basePath: '/api/v1',
    authStyle: 'x-api-key',
    requestIdHeader: 'X-Request-Id',
    keyPrefix: 'wlcro',
    policies: DEFAULT_POLICIES,
    budgetPer: 'key',
    subscriptionsPath: '/webhooks/subscriptions',
    recordsScopeName: 'integrations:write',
    signature: SIGNATURE_DEFAULTS.timestamped,
    retryScheduleMs: FULL_RETRY_SCHEDULE,
  },
  ventryx: {
    name: 'ventryx',
    description: 'Ventryx: Bearer key, base path /v1, Ventryx-Request-Id, sha256= body signatures',
    basePath: '/v1',
    authStyle: 'bearer',
    requestIdHeader: 'Ventryx-Request-Id',
    keyPrefix: 'vtx',
    policies: DEFAULT_POLICIES,
    budgetPer: 'key',
    subscriptionsPath: '/webhooks',
    recordsScopeName: 'records:write',
    signature: {
      ...SIGNATURE_DEFAULTS.body,
      signatureHeader: 'Ventryx-Signature',
      deliveryIdHeader: 'Ventryx-Delivery',
      eventTypeHeader: 'Ventryx-Event',
    },
    // Ventryx retries "up to 5 attempts over ~2 hours".
    retryScheduleMs: [MINUTE, 5 * MINUTE, 30 * MINUTE, 90 * MINUTE],
  },
  psa: {
    name: 'psa',
    description: 'PSA platform: Bearer key, one budget of 500 calls per 10 minutes for the whole tenant, batch writes of 100',
    basePath: '/api/v1',
    authStyle: 'bearer',
    requestIdHeader: 'X-Request-Id',
    keyPrefix: 'psa',
    policies: { read: parsePolicy('tenant:500/10m'), write: parsePolicy('tenant:500/10m') },
    budgetPer: 'tenant',
    subscriptionsPath: '/webhooks/subscriptions',
    recordsScopeName: 'records:write',
    signature: SIGNATURE_DEFAULTS.timestamped,
    retryScheduleMs: FULL_RETRY_SCHEDULE,
  },
  partner: {
    name: 'partner',
    description: 'Partner API: Bearer key, base path /api/v1/partner, X-VC-Timestamp/X-VC-Signature, 5-minute replay window',
    basePath: '/api/v1/partner',
    authStyle: 'bearer',
    requestIdHeader: 'X-Request-Id',
    keyPrefix: 'vc',
    policies: DEFAULT_POLICIES,
    budgetPer: 'key',
    subscriptionsPath: '/webhooks',
    recordsScopeName: 'records:write',
    signature: {
      ...SIGNATURE_DEFAULTS.timestamped,
      signatureHeader: 'X-VC-Signature',
      timestampHeader: 'X-VC-Timestamp',
    },
    retryScheduleMs: FULL_RETRY_SCHEDULE,
  },
};

export function isPresetName(value: string): value is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(value);
}

export function getPreset(name: string = DEFAULT_PRESET): Preset {
  if (!isPresetName(name)) {
    throw new ConfigError(`unknown preset "${name}"; choose one of ${PRESET_NAMES.join(', ')}`, 'preset');
  }
  return PRESETS[name];
}

/**
 * The preset a settings form stored, for shells whose forms may hold nothing (a credential
 * saved before the field existed) or a stale value: the named preset, else the default.
 */
export function presetNameOrDefault(value: unknown): PresetName {
  const name = typeof value === 'string' ? value.trim() : '';
  return isPresetName(name) ? name : DEFAULT_PRESET;
}

/** The header that carries the API key, as the auth style says. The one place it is built. */
export function authHeaders(authStyle: AuthStyle, apiKey: string): Record<string, string> {
  return authStyle === 'bearer' ? { Authorization: `Bearer ${apiKey}` } : { 'X-Api-Key': apiKey };
}

/**
 * A base URL without a trailing `basePath`. People paste the API's full address
 * (`https://host/api/v1`, what the sandbox prints as its base URL) where the origin is asked
 * for; kept as is, the base path would be added twice and every call would be a 404.
 */
export function withoutBasePath(baseUrl: string, basePath: string): string {
  const url = baseUrl.trim().replace(/\/+$/, '');
  const path = basePath.trim().replace(/\/+$/, '');
  return path !== '' && url.endsWith(path) ? url.slice(0, -path.length) : url;
}

/** How the client retries; every field has a default (see `resolveConfig`). */
export interface RetryOptions {
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  /** First back-off delay for 5xx, 503 without Retry-After and network errors. */
  readonly baseDelayMs: number;
  /** Cap of one back-off delay. */
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the call fails with the RateLimitError instead. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 10 * MINUTE,
};

/** What a caller gives to build a client. Only `baseUrl` and `apiKey` are required. */
export interface ClientConfig {
  /** Origin of the API, e.g. `https://api.example.com`. A path here is kept in front of the base path. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Named variant; every field below overrides it. Default `integration`. */
  readonly preset?: PresetName;
  readonly basePath?: string;
  readonly authStyle?: AuthStyle;
  readonly requestIdHeader?: string;
  /** Policies per bucket kind, as objects or as `read:60/1m` strings. */
  readonly policies?: Partial<Record<BucketKind, RateLimitPolicy | string>>;
  readonly signature?: Partial<SignatureSettings>;
  readonly retry?: Partial<RetryOptions>;
  /** Per-request timeout handed to the transport. */
  readonly timeoutMs?: number;
  /** Sent as User-Agent where the transport allows it. */
  readonly userAgent?: string;
}

/** A ClientConfig with every default filled in and checked. */
export interface ResolvedConfig {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly preset: Preset;
  readonly basePath: string;
  readonly authStyle: AuthStyle;
  readonly requestIdHeader: string;
  readonly policies: Readonly<Record<BucketKind, RateLimitPolicy>>;
  readonly signature: SignatureSettings;
  readonly retry: RetryOptions;
  readonly timeoutMs: number;
  readonly userAgent: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const USER_AGENT = 'eventsync/0.1.0';

/** Throws a ConfigError unless `apiKey` is a key as issued: text, not empty, no white space. */
export function checkApiKey(apiKey: unknown): asserts apiKey is string {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new ConfigError('an API key is required', 'apiKey');
  }
  if (/\s/.test(apiKey)) {
    // Keys "copied incorrectly (truncated or extra spaces)" are a classic 401.
    throw new ConfigError('the API key contains white space; re-copy it from where it was issued', 'apiKey');
  }
}

export function resolveConfig(config: ClientConfig): ResolvedConfig {
  const preset = getPreset(config.preset ?? DEFAULT_PRESET);
  const baseUrl = normaliseBaseUrl(config.baseUrl);
  checkApiKey(config.apiKey);
  const basePath = normaliseBasePath(config.basePath ?? preset.basePath);
  const policies = {
    read: toPolicy(config.policies?.read, preset.policies.read, 'read'),
    write: toPolicy(config.policies?.write, preset.policies.write, 'write'),
  };
  const signature = resolveSignature(preset.signature, config.signature);
  return {
    baseUrl,
    apiKey: config.apiKey,
    preset,
    basePath,
    authStyle: config.authStyle ?? preset.authStyle,
    requestIdHeader: config.requestIdHeader ?? preset.requestIdHeader,
    policies,
    signature,
    retry: { ...DEFAULT_RETRY, ...config.retry },
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    userAgent: config.userAgent ?? USER_AGENT,
  };
}

/** Applies an override to a preset's signature settings: a scheme given without header names takes that scheme's standard names. */
export function resolveSignature(base: SignatureSettings, override: Partial<SignatureSettings> | undefined): SignatureSettings {
  if (!override) return base;
  const start = override.scheme !== undefined && override.signatureHeader === undefined ? SIGNATURE_DEFAULTS[override.scheme] : base;
  return { ...start, ...override };
}

function toPolicy(given: RateLimitPolicy | string | undefined, fallback: RateLimitPolicy, kind: BucketKind): RateLimitPolicy {
  if (given === undefined) return fallback;
  return typeof given === 'string' ? parsePolicy(given, kind) : given;
}

function normaliseBaseUrl(raw: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new ConfigError('a base URL is required', 'baseUrl');
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`base URL "${raw}" is not a URL; expected something like https://api.example.com`, 'baseUrl');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`base URL "${raw}" must start with https:// (or http:// for a local sandbox)`, 'baseUrl');
  }
  if (url.username || url.password) {
    throw new ConfigError('the base URL must not carry credentials; pass the API key separately', 'baseUrl');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function normaliseBasePath(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** `live`, `test` or `unknown`, from the `<prefix>_live_` / `<prefix>_test_` key format (docs/api-contract.md, Authentication and scopes). */
export function keyMode(apiKey: string): 'live' | 'test' | 'unknown' {
  if (/^[a-z0-9]+_live_/i.test(apiKey)) return 'live';
  if (/^[a-z0-9]+_test_/i.test(apiKey)) return 'test';
  return 'unknown';
}

/** The only way a key is ever shown: its last four characters. */
export function keyHint(apiKey: string): string {
  return apiKey.length <= 4 ? '…' : `…${apiKey.slice(-4)}`;
}
