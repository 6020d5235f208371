/**
 * What a caller can set, and the defaults that make `startSandbox()` with no arguments a
 * working server. Every preset-dependent default comes from core's preset table.
 */
import {
  ConfigError,
  EVENT_TYPES,
  SCOPES,
  SIGNATURE_DEFAULTS,
  SIGNATURE_SCHEMES,
  resolveSignature,
  VISIBILITY_LAG_MS,
  getPreset,
  parsePolicy,
  type BucketKind,
  type EventType,
  type Preset,
  type PresetName,
  type RateLimitPolicy,
  type Scope,
  type SignatureScheme,
  type SignatureSettings,
} from '@eventsync/core';
import { base62, Random, streamSeed } from './random.js';
import { resolveTenants, type ResolvedTenant } from './tenant-options.js';
import { checkDuration } from './time.js';
import { checkWebhookFaults, type WebhookFaultOptions } from './webhook-faults.js';

export interface FaultOptions {
  /** Added before answering: a fixed delay or a uniform range [min, max]. */
  latencyMs?: number | [number, number];
  /** Share of requests answered 503 `unavailable` (0..1). */
  unavailableRate?: number;
  /** When set, 503s carry this Retry-After. */
  unavailableRetryAfterSeconds?: number;
  /** Share of requests answered 429 regardless of the remaining budget. */
  rateLimitStormRate?: number;
  /** Retry-After of storm 429s, default 1. */
  stormRetryAfterSeconds?: number;
  /** Share of requests whose socket is destroyed without an answer. */
  resetRate?: number;
}

export interface WebhookOptions {
  /** Multiplies the preset's retry schedule: default 1; 0.001 turns 1 m into 60 ms. */
  timeScale?: number;
  /** An attempt with no answer within this is a failure; default 10 s (docs/api-contract.md, Deliveries). */
  deliveryTimeoutMs?: number;
  /** Failures in a row that turn a subscription off; default 20 (docs/api-contract.md, Deliveries). */
  circuitBreakerThreshold?: number;
  faults?: WebhookFaultOptions;
}

export interface GeneratorOptions {
  ratePerSecond: number;
  types?: EventType[];
}

export interface SandboxKey {
  key: string;
  name?: string;
  scopes?: Scope[];
}

export interface SandboxOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `integration`: base path, auth style, request-id header, policies, key prefix. */
  preset?: PresetName;
  /** Default `<keyPrefix>_<environment>_` + 24 seeded base62 characters. Not with `tenants`. */
  apiKey?: string;
  /** Scopes of `apiKey` (with `tenants`: of every tenant's key), default all four. */
  scopes?: Scope[];
  /** More keys the server accepts, all of the one tenant. Not with `tenants`. */
  keys?: SandboxKey[];
  /**
   * Serve this many tenants from the one server (1..100000), each with one seeded key of its
   * own, its own feed, records, subscriptions, deliveries and generator; the key a request
   * carries picks the tenant. Slugs are `tenant-0001`, `tenant-0002`, ... (wider past 9999).
   * Without it: one tenant, `sandbox-<preset>`, with `apiKey` and `keys`.
   */
  tenants?: number;
  /** With `tenants`: a backlog count for some tenants by slug (e.g. `{ 'tenant-0001': 500000 }`); the rest take `backlog`. */
  backlogs?: Record<string, number>;
  /** Default `test`. In `live`, `_test_` keys are refused (docs/api-contract.md, Authentication and scopes). */
  environment?: 'test' | 'live';
  /** Default 1. */
  seed?: number;
  /** Epoch milliseconds, default Date.now. */
  now?: () => number;
  /** Upper bound of the random commit delay of live events, default core's VISIBILITY_LAG_MS. */
  visibilityLagMs?: number;
  /** Default the preset's; `false` turns rate limiting (and its headers) off. */
  policies?: Partial<Record<BucketKind, RateLimitPolicy | string>> | false;
  /** How a 429's Retry-After is written, default `seconds`. */
  retryAfterFormat?: 'seconds' | 'http-date';
  /** Events created in the past and already visible when the server starts (with `tenants`: in each tenant's feed). */
  backlog?: { count: number; spanMs?: number; types?: EventType[] };
  /** Steady live events, default off (with `tenants`: each tenant at this rate). */
  generator?: GeneratorOptions | false;
  faults?: FaultOptions;
  /** Default true: mounts the unauthenticated `/_sandbox/*` control routes (loopback only). */
  admin?: boolean;
  /** Webhook delivery timing, circuit breaker and faults. */
  webhooks?: WebhookOptions;
  /**
   * Overrides the preset's signature settings (e.g. `{ scheme: 'standard-webhooks' }`); a
   * scheme without header names takes that scheme's standard names, as core's config does.
   */
  signature?: Partial<SignatureSettings>;
}

export interface ResolvedKey {
  readonly key: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Index of the tenant the key belongs to (ResolvedOptions.tenants). */
  readonly tenant: number;
}

export type ResolvedBacklog = { readonly count: number; readonly spanMs: number; readonly types: readonly EventType[] } | null;

export interface ResolvedWebhookOptions {
  readonly timeScale: number;
  readonly deliveryTimeoutMs: number;
  readonly circuitBreakerThreshold: number;
  readonly faults: WebhookFaultOptions;
}

export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly preset: Preset;
  /** The first tenant's first key. */
  readonly apiKey: string;
  /** Every key of every tenant. */
  readonly keys: readonly ResolvedKey[];
  readonly tenants: readonly ResolvedTenant[];
  /** `tenants` was given: the tenants are `tenant-0001`... rather than the one `sandbox-<preset>`. */
  readonly multiTenant: boolean;
  readonly environment: 'test' | 'live';
  readonly seed: number;
  readonly now: () => number;
  readonly visibilityLagMs: number;
  readonly policies: Readonly<Record<BucketKind, RateLimitPolicy>> | null;
  readonly retryAfterFormat: 'seconds' | 'http-date';
  /** The backlog a tenant gets unless `backlogs` names it (ResolvedTenant.backlog is the one used). */
  readonly backlog: ResolvedBacklog;
  readonly generator: { readonly ratePerSecond: number; readonly types: readonly EventType[] } | null;
  readonly faults: FaultOptions;
  readonly admin: boolean;
  readonly webhooks: ResolvedWebhookOptions;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_SEED = 1;
export const DEFAULT_BACKLOG_SPAN_MS = 60 * 60 * 1000;
export const DEFAULT_KEY_NAME = 'Sandbox key';
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
export const DEFAULT_CIRCUIT_BREAKER_THRESHOLD = 20;

export function resolveOptions(options: SandboxOptions = {}): ResolvedOptions {
  const preset = withSignature(getPreset(options.preset), options.signature);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isFinite(seed)) throw new ConfigError(`seed must be a number, got ${String(seed)}`, 'seed');
  const environment = options.environment ?? 'test';
  if (environment !== 'test' && environment !== 'live') {
    throw new ConfigError(`environment must be "test" or "live", got "${String(environment)}"`, 'environment');
  }
  const scopes = checkScopes(options.scopes ?? SCOPES, 'scopes');
  const backlog = resolveBacklog(options.backlog);
  const tenants =
    options.tenants === undefined
      ? [singleTenant(options, preset, environment, seed, scopes, backlog)]
      : resolveTenants(options, {
          preset,
          environment,
          seed,
          scopes,
          backlog,
          backlogWithCount: (count) => resolveBacklog({ ...(options.backlog || {}), count }),
        });
  const keys = tenants.flatMap((tenant) => tenant.keys);
  const visibilityLagMs = options.visibilityLagMs ?? VISIBILITY_LAG_MS;
  checkNonNegative(visibilityLagMs, 'visibilityLagMs');
  const retryAfterFormat = options.retryAfterFormat ?? 'seconds';
  if (retryAfterFormat !== 'seconds' && retryAfterFormat !== 'http-date') {
    throw new ConfigError(`retryAfterFormat must be "seconds" or "http-date"`, 'retryAfterFormat');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`port must be 0..65535`, 'port');
  return {
    port,
    host: options.host ?? DEFAULT_HOST,
    preset,
    apiKey: keys[0]!.key,
    keys,
    tenants,
    multiTenant: options.tenants !== undefined,
    environment,
    seed,
    now: options.now ?? Date.now,
    visibilityLagMs,
    policies: resolvePolicies(preset, options.policies),
    retryAfterFormat,
    backlog,
    generator: options.generator ? resolveGenerator(options.generator) : null,
    faults: checkFaults(options.faults ?? {}),
    admin: options.admin ?? true,
    webhooks: resolveWebhooks(options.webhooks ?? {}),
  };
}

/** The preset with its signature settings overridden: everything that signs reads `preset.signature`. */
function withSignature(preset: Preset, given: Partial<SignatureSettings> | undefined): Preset {
  if (given === undefined) return preset;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError('signature must be an object', 'signature');
  const scheme = given.scheme;
  const schemes = SIGNATURE_SCHEMES;
  if (scheme !== undefined && !schemes.includes(scheme)) {
    throw new ConfigError(`signature.scheme must be one of ${schemes.join(', ')}`, 'signature.scheme');
  }
  const signature = resolveSignature(preset.signature, given);
  for (const name of ['signatureHeader', 'timestampHeader', 'deliveryIdHeader', 'eventTypeHeader'] as const) {
    if (typeof signature[name] !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(signature[name])) {
      throw new ConfigError(`signature.${name} must be a header name`, `signature.${name}`);
    }
  }
  checkNonNegative(signature.toleranceSeconds, 'signature.toleranceSeconds');
  return { ...preset, signature };
}

function resolveWebhooks(given: WebhookOptions): ResolvedWebhookOptions {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError('webhooks must be an object', 'webhooks');
  const timeScale = given.timeScale ?? 1;
  checkNonNegative(timeScale, 'webhooks.timeScale');
  const deliveryTimeoutMs = given.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  if (!(typeof deliveryTimeoutMs === 'number' && Number.isFinite(deliveryTimeoutMs) && deliveryTimeoutMs > 0)) {
    throw new ConfigError('webhooks.deliveryTimeoutMs must be a number of ms above 0', 'webhooks.deliveryTimeoutMs');
  }
  const circuitBreakerThreshold = given.circuitBreakerThreshold ?? DEFAULT_CIRCUIT_BREAKER_THRESHOLD;
  if (!Number.isInteger(circuitBreakerThreshold) || circuitBreakerThreshold < 1) {
    throw new ConfigError('webhooks.circuitBreakerThreshold must be a whole number of at least 1', 'webhooks.circuitBreakerThreshold');
  }
  return { timeScale, deliveryTimeoutMs, circuitBreakerThreshold, faults: checkWebhookFaults(given.faults ?? {}) };
}

function resolvePolicies(preset: Preset, given: SandboxOptions['policies']): ResolvedOptions['policies'] {
  if (given === false) return null;
  const pick = (kind: BucketKind): RateLimitPolicy => {
    const value = given?.[kind];
    if (value === undefined) return preset.policies[kind];
    return typeof value === 'string' ? parsePolicy(value, kind) : value;
  };
  return { read: pick('read'), write: pick('write') };
}

/** The one tenant of a sandbox started without `tenants`: the keys the caller gave, the seed itself. */
function singleTenant(
  options: SandboxOptions,
  preset: Preset,
  environment: 'test' | 'live',
  seed: number,
  scopes: readonly Scope[],
  backlog: ResolvedBacklog,
): ResolvedTenant {
  if (options.backlogs !== undefined) throw new ConfigError('backlogs names tenants by slug: it needs tenants', 'backlogs');
  const apiKey = options.apiKey ?? `${preset.keyPrefix}_${environment}_${base62(new Random(streamSeed(seed, 'api-key')), 24)}`;
  const keys: ResolvedKey[] = [
    { key: apiKey, name: DEFAULT_KEY_NAME, scopes, tenant: 0 },
    ...(options.keys ?? []).map((extra, index) => ({
      key: extra.key,
      name: extra.name ?? `Key ${index + 2}`,
      scopes: checkScopes(extra.scopes ?? SCOPES, `keys[${index}].scopes`),
      tenant: 0,
    })),
  ];
  for (const entry of keys) {
    if (typeof entry.key !== 'string' || entry.key === '' || /\s/.test(entry.key)) {
      throw new ConfigError('every API key must be a non-empty string without white space', 'keys');
    }
  }
  const id = `ten_${base62(new Random(streamSeed(seed, 'tenant')), 16)}`;
  return { index: 0, id, slug: `sandbox-${preset.name}`, seed, keys, backlog };
}

export function resolveBacklog(backlog: SandboxOptions['backlog']): ResolvedBacklog {
  if (!backlog || backlog.count === 0) return null;
  if (!Number.isInteger(backlog.count) || backlog.count < 0) {
    throw new ConfigError('backlog.count must be a whole number', 'backlog');
  }
  const spanMs = backlog.spanMs ?? DEFAULT_BACKLOG_SPAN_MS;
  checkNonNegative(spanMs, 'backlog.spanMs');
  return { count: backlog.count, spanMs, types: checkTypes(backlog.types, 'backlog.types') };
}

export function resolveGenerator(generator: GeneratorOptions): NonNullable<ResolvedOptions['generator']> {
  checkNonNegative(generator.ratePerSecond, 'generator.ratePerSecond');
  return { ratePerSecond: generator.ratePerSecond, types: checkTypes(generator.types, 'generator.types') };
}

export function checkTypes(types: readonly string[] | undefined, setting: string): readonly EventType[] {
  if (types === undefined) return EVENT_TYPES;
  if (!Array.isArray(types) || types.length === 0) throw new ConfigError(`${setting} must list at least one event type`, setting);
  for (const type of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError(`${setting}: "${String(type)}" is not an event type; use one of ${EVENT_TYPES.join(', ')}`, setting);
    }
  }
  return types as readonly EventType[];
}

function checkScopes(scopes: readonly Scope[], setting: string): readonly Scope[] {
  for (const scope of scopes) {
    if (!SCOPES.includes(scope)) throw new ConfigError(`${setting}: unknown scope "${String(scope)}"; use ${SCOPES.join(', ')}`, setting);
  }
  return [...scopes];
}

/** Throws a ConfigError naming the knob, so a typo in a benchmark's fault JSON is loud. */
export function checkFaults(faults: FaultOptions): FaultOptions {
  if (typeof faults !== 'object' || faults === null || Array.isArray(faults)) {
    throw new ConfigError('faults must be an object', 'faults');
  }
  const known = new Set([
    'latencyMs',
    'unavailableRate',
    'unavailableRetryAfterSeconds',
    'rateLimitStormRate',
    'stormRetryAfterSeconds',
    'resetRate',
  ]);
  for (const name of Object.keys(faults)) {
    if (!known.has(name)) throw new ConfigError(`unknown fault "${name}"; use ${[...known].join(', ')}`, `faults.${name}`);
  }
  for (const name of ['unavailableRate', 'rateLimitStormRate', 'resetRate'] as const) {
    const rate = faults[name];
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
      throw new ConfigError(`faults.${name} must be a share between 0 and 1`, `faults.${name}`);
    }
  }
  for (const name of ['unavailableRetryAfterSeconds', 'stormRetryAfterSeconds'] as const) {
    const seconds = faults[name];
    if (seconds !== undefined) checkNonNegative(seconds, `faults.${name}`);
  }
  checkDuration(faults.latencyMs, 'faults.latencyMs');
  return { ...faults };
}

function checkNonNegative(value: unknown, setting: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${setting} must be a number of at least 0`, setting);
  }
}
