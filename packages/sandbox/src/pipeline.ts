/**
 * One request's path through the server: read it, give it an id and a log entry, send it
 * through the API's gateway (or, under /_sandbox, the loopback-only admin door), then run
 * its handler and answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_PREFIX } from './admin.js';
import type { KeyRing } from './auth.js';
import { ApiFailure } from './errors.js';
import { Exchange, readRequest, type ExchangeOutlet, type Headers } from './exchange.js';
import type { FaultInjector } from './faults.js';
import { Gateway } from './gateway.js';
import type { KeyUsage } from './key-usage.js';
import { isLoopback } from './http.js';
import { idempotentReply, type IdempotencyStore } from './idempotency.js';
import type { ResolvedKey, ResolvedOptions } from './options.js';
import { Random, streamSeed, ulid } from './random.js';
import type { RateLimiter } from './rate-limit.js';
import type { RequestLog } from './request-log.js';
import { isUnder, routeFailure, type RequestContext, type Route, type Router } from './router.js';
import type { TenantParts } from './tenant-parts.js';

export interface PipelineParts {
  readonly options: ResolvedOptions;
  /** Indexed by ResolvedKey.tenant. */
  readonly tenants: readonly TenantParts[];
  readonly keyRing: KeyRing;
  readonly usage: KeyUsage;
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

const ADMIN_KEY: ResolvedKey = { key: '', name: 'admin', scopes: [], tenant: 0 };

export function createPipeline(parts: PipelineParts): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { options, faults, idempotency, admin } = parts;
  const requestIds = new Random(streamSeed(options.seed, 'request-ids'));
  const outlet: ExchangeOutlet = { log: parts.log, now: options.now, requestIdHeader: options.preset.requestIdHeader, later: parts.later };
  const gateway = new Gateway(parts);

  return async function handle(req, res) {
    const request = await readRequest(req);
    const at = options.now();
    const exchange = new Exchange(req, res, request, at, `req_${ulid(at, requestIds)}`, outlet);
    if (admin && isUnder(request.pathname, ADMIN_PREFIX)) {
      handleAdmin(exchange, admin, idempotency, parts.tenants[0]!);
      return;
    }
    const delayMs = faults.latencyMs();
    const admitted = gateway.admit(exchange, delayMs);
    if (!admitted) return;
    const { route, params, key, tenant, path, limitHeaders } = admitted;
    void runHandler(exchange, route, exchange.context(route, params, key, tenant, path), delayMs, limitHeaders, idempotency);
  };
}

/** The unauthenticated control routes: loopback clients only, no faults, no budget. */
function handleAdmin(exchange: Exchange, admin: Router, idempotency: IdempotencyStore, first: TenantParts): void {
  const { method, pathname } = exchange.request;
  if (!isLoopback(exchange.req.socket.remoteAddress)) {
    exchange.fail(0, new ApiFailure(403, 'insufficient_scope', 'the /_sandbox control routes answer loopback clients only'));
    return;
  }
  const path = pathname.slice(ADMIN_PREFIX.length);
  const match = admin.match(method, path);
  if (match.kind !== 'found') {
    exchange.fail(0, routeFailure(match, method, pathname, ADMIN_PREFIX));
    return;
  }
  void runHandler(exchange, match.route, exchange.context(match.route, match.params, ADMIN_KEY, first, path), 0, {}, idempotency);
}

/** Runs the handler (with Idempotency-Key replay where the route honours it) and answers. Never rejects. */
async function runHandler(
  exchange: Exchange,
  route: Route,
  context: RequestContext,
  delayMs: number,
  headers: Headers,
  idempotency: IdempotencyStore,
): Promise<void> {
  try {
    const reply = await idempotentReply(route, context, idempotency);
    exchange.answer(delayMs, { ...reply, headers: { ...headers, ...reply.headers } });
  } catch (error) {
    if (error instanceof ApiFailure) {
      exchange.fail(delayMs, error, headers);
      return;
    }
    const message = `internal error in the sandbox: ${error instanceof Error ? error.message : String(error)}`;
    exchange.fail(delayMs, new ApiFailure(500, 'internal', message), headers);
  }
}
