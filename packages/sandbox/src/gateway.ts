/**
 * The API's door: the checks a real API gateway makes before a handler runs, in its order:
 *
 *   faults (reset, 503) → route (404/405) → auth (401) → storm 429 → rate limit (429)
 *   → scope (403) → handler
 *
 * so a 401 never spends budget, a refused request never spends budget, and every answer
 * from a bucket carries that bucket's X-RateLimit-* headers. Decisions are made when the
 * request arrives; configured latency only delays the answer. The fault draws come in a
 * fixed order (latency, reset, 503, storm), so a seed replays the same faults.
 */
import type { BucketKind, RateLimitPolicy, Scope } from '@eventsync/core';
import type { KeyRing } from './auth.js';
import { ApiFailure, insufficientScope } from './errors.js';
import type { Exchange, Headers } from './exchange.js';
import type { FaultInjector } from './faults.js';
import type { KeyUsage, UsageOutcome } from './key-usage.js';
import type { ResolvedKey, ResolvedOptions } from './options.js';
import { rateLimited, rateLimitHeaders, retryAfter } from './rate-limit-answers.js';
import type { RateLimiter } from './rate-limit.js';
import { isUnder, routeFailure, type Route, type Router } from './router.js';
import type { TenantParts } from './tenant-parts.js';

export interface GatewayParts {
  readonly options: ResolvedOptions;
  /** Indexed by ResolvedKey.tenant. */
  readonly tenants: readonly TenantParts[];
  readonly keyRing: KeyRing;
  readonly usage: KeyUsage;
  /** null: rate limiting off. */
  readonly limiter: RateLimiter | null;
  readonly faults: FaultInjector;
  readonly api: Router;
}

/** A request every check let through: what the handler needs, and the headers its answer carries. */
export interface Admitted {
  readonly route: Route;
  readonly params: Record<string, string>;
  /** The path under the base path. */
  readonly path: string;
  readonly key: ResolvedKey;
  /** The key's tenant: the handler works on its stores. */
  readonly tenant: TenantParts;
  readonly limitHeaders: Headers;
}

const UNAVAILABLE_MESSAGE = 'the service is under load (system contention, not a rate limit); retry shortly with back-off';

export class Gateway {
  constructor(private readonly parts: GatewayParts) {}

  /** The request admitted, or undefined when a check has already answered it (or reset it). */
  admit(exchange: Exchange, delayMs: number): Admitted | undefined {
    exchange.entry.bucket = this.bucketName(exchange.request.method === 'GET' ? 'read' : 'write');
    if (this.injectFault(exchange, delayMs)) return undefined;
    const admitted = this.check(exchange);
    if (admitted instanceof ApiFailure) {
      exchange.fail(delayMs, admitted);
      return undefined;
    }
    return admitted;
  }

  /** The reset and 503 faults, which strike before the API looks at the request. True when one did. */
  private injectFault(exchange: Exchange, delayMs: number): boolean {
    const { faults } = this.parts;
    if (faults.reset()) {
      exchange.reset(delayMs);
      return true;
    }
    const unavailable = faults.unavailable();
    if (!unavailable) return false;
    exchange.entry.fault = 'unavailable';
    const headers: Record<string, string> = {};
    if (unavailable.retryAfterSeconds !== undefined) {
      headers['Retry-After'] = String(unavailable.retryAfterSeconds);
      exchange.entry.retryAfterMs = unavailable.retryAfterSeconds * 1000;
    }
    exchange.fail(delayMs, new ApiFailure(503, 'unavailable', UNAVAILABLE_MESSAGE, {}, headers));
    return true;
  }

  /** Route, key, storm, budget and scope, in that order: the first refusal is the answer. */
  private check(exchange: Exchange): Admitted | ApiFailure {
    const found = this.route(exchange);
    if (found instanceof ApiFailure) {
      exchange.entry.bucket = null;
      return found;
    }
    const { route } = found;
    const kind: BucketKind = route.bucket ?? (route.method === 'GET' ? 'read' : 'write');
    exchange.entry.bucket = this.bucketName(kind);
    const key = this.parts.keyRing.authenticate(exchange.req.headers);
    if (key instanceof ApiFailure) return key;
    const tenant = this.parts.tenants[key.tenant]!;
    const stormed = this.storm(exchange, kind, key, tenant);
    if (stormed) {
      this.countUsage(exchange, kind, key, 'storm');
      return stormed;
    }
    const limitHeaders = this.spend(exchange, kind, key, tenant);
    this.countUsage(exchange, kind, key, limitHeaders instanceof ApiFailure ? 'rateLimited' : 'admitted');
    if (limitHeaders instanceof ApiFailure) return limitHeaders;
    if (route.scope && !key.scopes.includes(route.scope)) return insufficientScope(this.scopeName(route.scope), limitHeaders);
    return { ...found, key, tenant, limitHeaders };
  }

  /** The route under the preset's base path, or the 404/405. */
  private route(exchange: Exchange): Pick<Admitted, 'route' | 'params' | 'path'> | ApiFailure {
    const { method, pathname } = exchange.request;
    const base = this.parts.options.preset.basePath;
    if (!isUnder(pathname, base)) return routeFailure({ kind: 'none' }, method, pathname, base);
    const path = pathname.slice(base.length);
    const match = this.parts.api.match(method, path);
    if (match.kind !== 'found') return routeFailure(match, method, pathname, base);
    return { route: match.route, params: match.params, path };
  }

  /** A storm 429 (a fault), which counts nothing against the budget; undefined when there is none. */
  private storm(exchange: Exchange, kind: BucketKind, key: ResolvedKey, tenant: TenantParts): ApiFailure | undefined {
    const stormSeconds = this.parts.faults.storm();
    if (stormSeconds === false) return undefined;
    const { limiter, options } = this.parts;
    exchange.entry.fault = 'storm';
    const wait = retryAfter(stormSeconds * 1000, exchange.at, options.retryAfterFormat);
    exchange.entry.retryAfterMs = wait.ms;
    const headers = limiter ? rateLimitHeaders(limiter.peek(this.budgetOwner(key, tenant), kind, exchange.at)) : {};
    return rateLimited(this.policy(kind), { ...headers, 'Retry-After': wait.header });
  }

  /** Spends one request of the budget: the X-RateLimit-* headers to answer with, or the 429. */
  private spend(exchange: Exchange, kind: BucketKind, key: ResolvedKey, tenant: TenantParts): Headers | ApiFailure {
    const { limiter, options } = this.parts;
    if (!limiter) return {};
    const limit = limiter.take(this.budgetOwner(key, tenant), kind, exchange.at);
    const headers = rateLimitHeaders(limit);
    if (limit.allowed) return headers;
    const wait = retryAfter(limit.retryAfterMs ?? 1000, exchange.at, options.retryAfterFormat);
    exchange.entry.retryAfterMs = wait.ms;
    return rateLimited(limit.policy, { ...headers, 'Retry-After': wait.header });
  }

  private bucketName(kind: BucketKind): string | null {
    return this.parts.limiter ? this.parts.limiter.policyFor(kind).bucket : null;
  }

  /** The bucket's policy; with rate limiting off, the preset's (usage is still measured against a window). */
  private policy(kind: BucketKind): RateLimitPolicy {
    const { limiter, options } = this.parts;
    return limiter ? limiter.policyFor(kind) : options.preset.policies[kind];
  }

  private countUsage(exchange: Exchange, kind: BucketKind, key: ResolvedKey, outcome: UsageOutcome): void {
    this.parts.usage.count(key.key, this.policy(kind), exchange.at, outcome);
  }

  /** The psa variant counts one budget per tenant, the others one per key (docs/api-contract.md, Rate limits). */
  private budgetOwner(key: ResolvedKey, tenant: TenantParts): string {
    return this.parts.options.preset.budgetPer === 'tenant' ? tenant.state.tenant.id : key.key;
  }

  private scopeName(scope: Scope): string {
    return scope === 'records:write' ? this.parts.options.preset.recordsScopeName : scope;
  }
}
