/**
 * One request's path through the server, in the order a real API gateway applies it:
 *
 *   faults (reset, 503) → route (404/405) → auth (401) → storm 429 → rate limit (429)
 *   → scope (403) → idempotency → handler
 *
 * so a 401 never spends budget, a refused request never spends budget, and every answer
 * from a bucket carries that bucket's X-RateLimit-* headers. Decisions are made when the
 * request arrives; configured latency only delays the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatPolicy, type BucketKind, type RateLimitPolicy, type Scope } from '@eventsync/core';
import { ADMIN_PREFIX } from './admin.js';
import type { KeyRing } from './auth.js';
import { ApiFailure, errorBody, invalidParameter } from './errors.js';
import type { FaultInjector } from './faults.js';
import { isLoopback, MAX_BODY_BYTES, readBody, writeJson } from './http.js';
import { fingerprint, type IdempotencyStore } from './idempotency.js';
import type { ResolvedKey } from './options.js';
import { Random, streamSeed, ulid } from './random.js';
import type { RateLimiter, RateLimitState } from './rate-limit.js';
import type { RequestLog, RequestRecord } from './request-log.js';
import type { Match, Reply, RequestContext, Route, Router } from './router.js';
import type { SandboxState } from './state.js';

export interface PipelineParts {
  readonly state: SandboxState;
  readonly keyRing: KeyRing;
  /** null: rate limiting off. */
  readonly limiter: RateLimiter | null;
  readonly faults: FaultInjector;
  readonly idempotency: IdempotencyStore;
  readonly api: Router;
  /** null: admin routes not mounted. */
  readonly admin: Router | null;
  readonly log: RequestLog;
  /** Runs `action` after `delayMs` (tracked so that stop() can cancel it). */
  readonly later: (delayMs: number, action: () => void) => void;
}

const MAX_IDEMPOTENCY_KEY = 255;
const ADMIN_KEY: ResolvedKey = { key: '', name: 'admin', scopes: [] };

export function createPipeline(parts: PipelineParts): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { state, keyRing, limiter, faults, idempotency, api, admin, log, later } = parts;
  const { preset, now } = state;
  const { retryAfterFormat } = state.options;
  const requestIds = new Random(streamSeed(state.options.seed, 'request-ids'));
  // The psa variant counts one budget per tenant, the others one per key (docs/api-contract.md, Rate limits).
  const budgetOwner = (key: string): string => (preset.budgetPer === 'tenant' ? state.tenant.id : key);

  function retryAfter(ms: number, at: number): { header: string; ms: number } {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    if (retryAfterFormat === 'seconds') return { header: String(seconds), ms: seconds * 1000 };
    // HTTP dates have whole-second resolution: round up so a client never comes back early.
    const when = Math.ceil((at + seconds * 1000) / 1000) * 1000;
    return { header: new Date(when).toUTCString(), ms: when - at };
  }

  return async function handle(req, res) {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const pathname = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1));
    let rawBody = '';
    let tooLarge = false;
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
      const text = await readBody(req);
      if (text === undefined) tooLarge = true;
      else rawBody = text;
    }
    const at = now();
    const requestId = `req_${ulid(at, requestIds)}`;
    const entry: RequestRecord = { at, method, path: pathname, bucket: null, status: 0 };

    const answer = (delayMs: number, reply: Reply): void => {
      entry.status = reply.status;
      log.add(entry);
      const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      const headers = { ...reply.headers, [preset.requestIdHeader]: requestId };
      // The Date header reads the sandbox's clock, as a real API's reads its own: clients learn it from there.
      later(delayMs, () => writeJson(res, reply.status, text, { ...headers, Date: new Date(now()).toUTCString() }));
    };
    const fail = (delayMs: number, failure: ApiFailure, headers: Readonly<Record<string, string>> = {}): void => {
      answer(delayMs, { status: failure.status, text: errorBody(failure, requestId), headers: { ...headers, ...failure.headers } });
    };
    const context = (route: Route, params: Record<string, string>, key: ResolvedKey, path: string): RequestContext => ({
      method: route.method,
      path,
      params,
      query,
      headers: req.headers,
      key,
      requestId,
      now: at,
      rawBody,
      body: () => parseBody(rawBody, tooLarge),
    });

    if (admin && (pathname === ADMIN_PREFIX || pathname.startsWith(`${ADMIN_PREFIX}/`))) {
      if (!isLoopback(req.socket.remoteAddress)) {
        fail(0, new ApiFailure(403, 'insufficient_scope', 'the /_sandbox control routes answer loopback clients only'));
        return;
      }
      const path = pathname.slice(ADMIN_PREFIX.length);
      const match = admin.match(method, path);
      if (match.kind !== 'found') {
        fail(0, routeFailure(match, method, pathname, ADMIN_PREFIX));
        return;
      }
      void run(match.route, context(match.route, match.params, ADMIN_KEY, path), 0, {}, answer, fail);
      return;
    }

    const delayMs = faults.latencyMs();
    entry.bucket = limiter ? limiter.policyFor(method === 'GET' ? 'read' : 'write').bucket : null;

    if (faults.reset()) {
      entry.fault = 'reset';
      log.add(entry);
      later(delayMs, () => req.socket.destroy());
      return;
    }
    const unavailable = faults.unavailable();
    if (unavailable) {
      entry.fault = 'unavailable';
      const headers: Record<string, string> = {};
      if (unavailable.retryAfterSeconds !== undefined) {
        headers['Retry-After'] = String(unavailable.retryAfterSeconds);
        entry.retryAfterMs = unavailable.retryAfterSeconds * 1000;
      }
      const message = 'the service is under load (system contention, not a rate limit); retry shortly with back-off';
      fail(delayMs, new ApiFailure(503, 'unavailable', message), headers);
      return;
    }

    const base = preset.basePath;
    const underBase = pathname === base || pathname.startsWith(`${base}/`);
    const path = underBase ? pathname.slice(base.length) : pathname;
    const match: Match = underBase ? api.match(method, path) : { kind: 'none' };
    if (match.kind !== 'found') {
      entry.bucket = null;
      fail(delayMs, routeFailure(match, method, pathname, base));
      return;
    }
    const { route } = match;
    const kind: BucketKind = route.bucket ?? (route.method === 'GET' ? 'read' : 'write');
    entry.bucket = limiter ? limiter.policyFor(kind).bucket : null;

    const key = keyRing.authenticate(req.headers);
    if (key instanceof ApiFailure) {
      fail(delayMs, key);
      return;
    }

    const stormSeconds = faults.storm();
    if (stormSeconds !== false) {
      entry.fault = 'storm';
      const wait = retryAfter(stormSeconds * 1000, at);
      entry.retryAfterMs = wait.ms;
      const policy = limiter ? limiter.policyFor(kind) : preset.policies[kind];
      const headers = limiter ? rateLimitHeaders(limiter.peek(budgetOwner(key.key), kind, at)) : {};
      fail(delayMs, rateLimited(policy), { ...headers, 'Retry-After': wait.header });
      return;
    }

    let limitHeaders: Record<string, string> = {};
    if (limiter) {
      const limit = limiter.take(budgetOwner(key.key), kind, at);
      limitHeaders = rateLimitHeaders(limit);
      if (!limit.allowed) {
        const wait = retryAfter(limit.retryAfterMs ?? 1000, at);
        entry.retryAfterMs = wait.ms;
        fail(delayMs, rateLimited(limit.policy), { ...limitHeaders, 'Retry-After': wait.header });
        return;
      }
    }

    if (route.scope && !key.scopes.includes(route.scope)) {
      fail(delayMs, insufficientScope(scopeName(route.scope)), limitHeaders);
      return;
    }

    void run(route, context(route, match.params, key, path), delayMs, limitHeaders, answer, fail);
  };

  /** The handler, wrapped in Idempotency-Key replay for routes that honour it. Never rejects. */
  async function run(
    route: Route,
    context: RequestContext,
    delayMs: number,
    headers: Readonly<Record<string, string>>,
    answer: (delayMs: number, reply: Reply) => void,
    fail: (delayMs: number, failure: ApiFailure, headers?: Readonly<Record<string, string>>) => void,
  ): Promise<void> {
    try {
      const idempotencyKey = route.idempotent ? headerValue(context, 'idempotency-key') : undefined;
      if (idempotencyKey === undefined) {
        const reply = await route.handle(context);
        answer(delayMs, { ...reply, headers: { ...headers, ...reply.headers } });
        return;
      }
      if (idempotencyKey.length > MAX_IDEMPOTENCY_KEY) {
        throw invalidParameter('Idempotency-Key', `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY} characters`);
      }
      const print = fingerprint(context.method, context.path, context.rawBody);
      const earlier = idempotency.lookup(context.key.key, idempotencyKey, context.now);
      if (earlier) {
        if (earlier.fingerprint !== print) {
          throw new ApiFailure(
            409,
            'conflict',
            'this Idempotency-Key was already used for a different request in the last 24 hours; use a new key for a new request',
          );
        }
        answer(delayMs, { status: earlier.status, text: earlier.text, headers: { ...headers, 'Idempotent-Replayed': 'true' } });
        return;
      }
      const reply = await route.handle(context);
      const text = reply.text ?? JSON.stringify(reply.body);
      if (reply.status >= 200 && reply.status < 300) {
        idempotency.store(context.key.key, idempotencyKey, { fingerprint: print, status: reply.status, text }, context.now);
      }
      answer(delayMs, { status: reply.status, text, headers: { ...headers, ...reply.headers } });
    } catch (error) {
      if (error instanceof ApiFailure) {
        fail(delayMs, error, headers);
        return;
      }
      const message = `internal error in the sandbox: ${error instanceof Error ? error.message : String(error)}`;
      fail(delayMs, new ApiFailure(500, 'internal', message), headers);
    }
  }

  function scopeName(scope: Scope): string {
    return scope === 'records:write' ? preset.recordsScopeName : scope;
  }
}

function rateLimitHeaders(limit: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(limit.limit),
    'X-RateLimit-Remaining': String(limit.remaining),
    'X-RateLimit-Reset': String(limit.resetSeconds),
  };
}

function rateLimited(policy: RateLimitPolicy): ApiFailure {
  const text = formatPolicy(policy);
  const message = `rate limit ${text} exceeded for this API key; send nothing more into this bucket until Retry-After has passed`;
  return new ApiFailure(429, 'rate_limited', message, { policy: text });
}

function insufficientScope(name: string): ApiFailure {
  const message = `this API key lacks the ${name} scope; scopes cannot be added to a key, create a new key that has it`;
  return new ApiFailure(403, 'insufficient_scope', message, { required_scope: name });
}

function routeFailure(match: Exclude<Match, { kind: 'found' }>, method: string, pathname: string, base: string): ApiFailure {
  if (match.kind === 'wrong-method') {
    const allowed = match.allowed.join(', ');
    return new ApiFailure(405, 'method_not_allowed', `${method} is not allowed on ${pathname}; allowed: ${allowed}`, {}, { Allow: allowed });
  }
  const underBase = pathname === base || pathname.startsWith(`${base}/`);
  const hint = underBase ? '' : `; this API's paths start with ${base}`;
  return new ApiFailure(404, 'not_found', `no route ${method} ${pathname}${hint}`);
}

function parseBody(rawBody: string, tooLarge: boolean): Record<string, unknown> {
  if (tooLarge) throw invalidParameter('body', `the request body is larger than ${MAX_BODY_BYTES / (1024 * 1024)} MB`);
  if (rawBody.trim() === '') throw invalidParameter('body', 'a JSON object body is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch (error) {
    throw invalidParameter('body', `the body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidParameter('body', 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function headerValue(context: RequestContext, name: string): string | undefined {
  const value = context.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

