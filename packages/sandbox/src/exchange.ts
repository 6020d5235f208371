/**
 * One request in flight: what it asked for, the id and log entry it was given on arrival,
 * and the only ways to end it (an answer, a failure, a reset socket). Every answer is
 * logged when it is decided and written after the configured latency.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiFailure, errorBody, invalidParameter } from './errors.js';
import { MAX_BODY_BYTES, readBody, writeJson } from './http.js';
import type { ResolvedKey } from './options.js';
import type { RequestLog, RequestRecord } from './request-log.js';
import type { Reply, RequestContext, Route } from './router.js';
import type { TenantParts } from './tenant-parts.js';

export type Headers = Readonly<Record<string, string>>;

/** Where a finished exchange goes: the log, the clock that stamps Date, the delayed writer. */
export interface ExchangeOutlet {
  readonly log: RequestLog;
  readonly now: () => number;
  readonly requestIdHeader: string;
  /** Runs `action` after `delayMs` (tracked so that stop() can cancel it). */
  readonly later: (delayMs: number, action: () => void) => void;
}

/** The request line and body, read once. */
export interface IncomingRequest {
  readonly method: string;
  readonly pathname: string;
  readonly query: URLSearchParams;
  /** '' when the method carries no body or the body was too large. */
  readonly rawBody: string;
  readonly tooLarge: boolean;
}

export class Exchange {
  readonly entry: RequestRecord;

  constructor(
    readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly request: IncomingRequest,
    readonly at: number,
    readonly requestId: string,
    private readonly outlet: ExchangeOutlet,
  ) {
    this.entry = { at, method: request.method, path: request.pathname, bucket: null, status: 0 };
  }

  answer(delayMs: number, reply: Reply): void {
    const { log, now, requestIdHeader, later } = this.outlet;
    this.entry.status = reply.status;
    log.add(this.entry);
    const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    const headers = { ...reply.headers, [requestIdHeader]: this.requestId };
    // The Date header reads the sandbox's clock, as a real API's reads its own: clients learn it from there.
    later(delayMs, () => writeJson(this.res, reply.status, text, { ...headers, Date: new Date(now()).toUTCString() }));
  }

  /** Answers with the error body; the failure's own headers win over `headers`. */
  fail(delayMs: number, failure: ApiFailure, headers: Headers = {}): void {
    this.answer(delayMs, { status: failure.status, text: errorBody(failure, this.requestId), headers: { ...headers, ...failure.headers } });
  }

  /** Drops the connection without an answer, as a struggling network does. */
  reset(delayMs: number): void {
    this.entry.fault = 'reset';
    this.outlet.log.add(this.entry);
    this.outlet.later(delayMs, () => this.req.socket.destroy());
  }

  /** What a route's handler sees. */
  context(route: Route, params: Record<string, string>, key: ResolvedKey, tenant: TenantParts, path: string): RequestContext {
    const { query, rawBody, tooLarge } = this.request;
    return {
      method: route.method,
      path,
      params,
      query,
      headers: this.req.headers,
      key,
      tenant,
      requestId: this.requestId,
      now: this.at,
      rawBody,
      body: () => parseBody(rawBody, tooLarge),
    };
  }
}

/** Splits the URL and reads the body of the methods that carry one. Rejects only when the client goes away mid-body. */
export async function readRequest(req: IncomingMessage): Promise<IncomingRequest> {
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const pathname = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1));
  if (method !== 'POST' && method !== 'PATCH' && method !== 'PUT') return { method, pathname, query, rawBody: '', tooLarge: false };
  const text = await readBody(req);
  return { method, pathname, query, rawBody: text ?? '', tooLarge: text === undefined };
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
