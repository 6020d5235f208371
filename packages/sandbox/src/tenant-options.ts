/**
 * The tenants of a sandbox started with `tenants: N`: one server, N tenants, one seeded key
 * each, so a test or a benchmark can run many connections against one port. Each tenant draws
 * everything random (event ids, data, subscription ids, secrets) from a seed of its own, so two
 * tenants never share an event id; and tenant n's key, id and seed depend on the sandbox seed
 * and n alone, so tenant-0001 has the same key whatever N is.
 */
import { ConfigError, type Preset, type Scope } from '@eventsync/core';
import type { ResolvedBacklog, ResolvedKey, SandboxOptions } from './options.js';
import { base62, Random, streamSeed } from './random.js';

export interface ResolvedTenant {
  /** Position in ResolvedOptions.tenants; keys point back at it. */
  readonly index: number;
  /** `ten_` + 16 seeded characters, as GET /me shows it. */
  readonly id: string;
  readonly slug: string;
  /** Every seeded stream of this tenant starts from it (the sandbox seed itself without `tenants`). */
  readonly seed: number;
  readonly keys: readonly ResolvedKey[];
  readonly backlog: ResolvedBacklog;
}

/** What every tenant shares, resolved once by resolveOptions. */
export interface TenantDefaults {
  readonly preset: Preset;
  readonly environment: 'test' | 'live';
  readonly seed: number;
  readonly scopes: readonly Scope[];
  readonly backlog: ResolvedBacklog;
  /** `backlog` with another count (a `backlogs` entry). */
  readonly backlogWithCount: (count: number) => ResolvedBacklog;
}

export const TENANTS_MAX = 100_000;
const SLUG_PREFIX = 'tenant-';
const SLUG_MIN_DIGITS = 4;

/** `tenant-0001` for n = 1: zero-padded to the width of the largest n (at least 4 digits), so slugs sort as numbers do. */
export function tenantSlug(n: number, count: number): string {
  const width = Math.max(SLUG_MIN_DIGITS, String(count).length);
  return `${SLUG_PREFIX}${String(n).padStart(width, '0')}`;
}

export function resolveTenants(options: SandboxOptions, defaults: TenantDefaults): ResolvedTenant[] {
  const count = options.tenants;
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > TENANTS_MAX) {
    throw new ConfigError(`tenants must be a whole number from 1 to ${TENANTS_MAX}; got ${String(count)}`, 'tenants');
  }
  if (options.apiKey !== undefined || options.keys !== undefined) {
    const setting = options.apiKey !== undefined ? 'apiKey' : 'keys';
    throw new ConfigError(`${setting} names the one tenant's keys; with tenants, every tenant gets a seeded key of its own (sandbox.tenants[i].apiKey)`, setting);
  }
  const overrides = checkBacklogs(options.backlogs, count as number);
  const { preset, environment, seed, scopes } = defaults;
  const keys = new Set<string>();
  const ids = new Set<string>();
  const tenants: ResolvedTenant[] = [];
  for (let n = 1; n <= (count as number); n++) {
    const slug = tenantSlug(n, count as number);
    const index = n - 1;
    const key = unique(keys, new Random(streamSeed(seed, `api-key:${n}`)), (random) => `${preset.keyPrefix}_${environment}_${base62(random, 24)}`);
    const id = unique(ids, new Random(streamSeed(seed, `tenant:${n}`)), (random) => `ten_${base62(random, 16)}`);
    const override = overrides.get(slug);
    tenants.push({
      index,
      id,
      slug,
      seed: streamSeed(seed, `tenant-seed:${n}`),
      keys: [{ key, name: `${slug} key`, scopes, tenant: index }],
      backlog: override === undefined ? defaults.backlog : defaults.backlogWithCount(override),
    });
  }
  return tenants;
}

/** Draws until the value is new: a collision of 24 base62 characters never happens in practice, but a key must pick one tenant. */
function unique(seen: Set<string>, random: Random, draw: (random: Random) => string): string {
  let value = draw(random);
  while (seen.has(value)) value = draw(random);
  seen.add(value);
  return value;
}

function checkBacklogs(backlogs: Record<string, number> | undefined, count: number): Map<string, number> {
  const overrides = new Map<string, number>();
  if (backlogs === undefined) return overrides;
  if (typeof backlogs !== 'object' || backlogs === null || Array.isArray(backlogs)) {
    throw new ConfigError('backlogs must be an object of tenant slug → event count', 'backlogs');
  }
  for (const [slug, backlogCount] of Object.entries(backlogs)) {
    const n = slug.startsWith(SLUG_PREFIX) ? Number(slug.slice(SLUG_PREFIX.length)) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > count || tenantSlug(n, count) !== slug) {
      throw new ConfigError(`backlogs: "${slug}" is not a tenant of this sandbox; its tenants are ${tenantSlug(1, count)} to ${tenantSlug(count, count)}`, `backlogs.${slug}`);
    }
    if (!Number.isInteger(backlogCount) || backlogCount < 0) {
      throw new ConfigError(`backlogs.${slug} must be a whole number of events`, `backlogs.${slug}`);
    }
    overrides.set(slug, backlogCount);
  }
  return overrides;
}
