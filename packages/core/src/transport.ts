/**
 * What the pure core needs from its host, injected so that it runs under Node (axios + a
 * rolling-window limiter), n8n (httpRequestWithAuthentication + sleep) and Zapier (z.request) alike,
 * and so that tests control time.
 */
import { StoppedError, type EventsyncError, type NetworkFailure } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: HttpMethod;
  /** Absolute URL with the query string. */
  readonly url: string;
  /** Header names as the API documents them; includes auth. */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text, when the request has a body. */
  readonly body?: string;
  readonly timeoutMs: number;
  /** Aborted when the caller stops: the transport gives up the request at once. */
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as text; the core parses it. */
  readonly body: string;
}

/** Sends one request. Resolves for every HTTP status; rejects only with a TransportFailure. */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * How a transport reports that no HTTP answer came back. Transports must throw this (or
 * anything else, which is treated as `other`) and must not attach request headers to it:
 * those hold the API key.
 */
export class TransportFailure extends Error {
  constructor(
    message: string,
    readonly failure: NetworkFailure,
  ) {
    super(message);
    this.name = 'TransportFailure';
  }
}

/** What a limiter learns from each answer of the API. */
export interface RateLimitObservation {
  readonly status: number;
  /** `X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds), when present. */
  readonly limit?: number;
  readonly remaining?: number;
  readonly resetMs?: number;
  /** Set on a 429: nothing may enter the bucket before this much time has passed. */
  readonly retryAfterMs?: number;
  /** The 429 body's `policy`, e.g. `read:60/1m`. */
  readonly policy?: string;
}

/**
 * Schedules requests per bucket. The Node runtime's is `RollingWindowLimiter`; the pure default lets
 * everything through, which is right for hosts that throttle on their own (Zapier).
 */
export interface Limiter {
  /** Runs `task` when the bucket allows; rejects with StoppedError, without running it, once `signal` aborts. */
  schedule<T>(bucket: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  observe(bucket: string, observation: RateLimitObservation): void;
}

export const UNLIMITED: Limiter = {
  schedule: (_bucket, task, signal) => (signal?.aborted ? Promise.reject(new StoppedError()) : task()),
  observe: () => undefined,
};

/** Clock, sleep and randomness: injected so the replay window, look-back and back-off are tested without waiting. */
export interface Runtime {
  readonly transport: Transport;
  /** Waits `ms`; when `signal` aborts first, rejects with StoppedError at once. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** In [0, 1); used for back-off jitter. */
  readonly random?: () => number;
  readonly limiter?: Limiter;
  /** Idempotency keys for POSTs; defaults to `crypto.randomUUID`. */
  readonly newIdempotencyKey?: () => string;
  /** Told of every attempt once it has an outcome (metrics, readiness). An observer: what it throws is ignored. */
  readonly onRequest?: (observation: RequestObservation) => void;
  /**
   * Asked once per call after a 401: the key to use now, when it has changed since the
   * client was built (a key file replaced by a rotation). A new key is tried at once.
   */
  readonly refreshApiKey?: () => string | undefined | Promise<string | undefined>;
}

/** One attempt as an observer sees it; never carries the key. */
export interface RequestObservation {
  /** The rate-limit bucket it counted against, e.g. `read`. */
  readonly bucket: string;
  readonly method: HttpMethod;
  /** Path under the base path, e.g. `/events`. */
  readonly path: string;
  /** The HTTP status; undefined when no answer came back (refused, reset, timed out). */
  readonly status: number | undefined;
  /** From sending to the answer: time spent waiting for the limiter is not in it. */
  readonly durationMs: number;
  /** The typed error the attempt ended in, when it failed. */
  readonly error?: EventsyncError;
}

/**
 * What kind of "no answer" an error from an HTTP library is, from its `code` (or its
 * cause's) and its message. Every transport (axios, n8n's helpers, z.request) reads its
 * failures through this, so the same outage gets the same message everywhere.
 */
export function networkFailureOf(thrown: unknown): NetworkFailure {
  const withCode = thrown as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  const code = String(withCode?.code ?? withCode?.cause?.code ?? '');
  const text = `${code} ${thrown instanceof Error ? `${thrown.name} ${thrown.message}` : ''}`;
  if (/ECONNREFUSED/i.test(text)) return 'refused';
  if (/ENOTFOUND|EAI_AGAIN/i.test(text)) return 'dns';
  if (/ECONNRESET|EPIPE|socket hang up/i.test(text)) return 'reset';
  if (/ECONNABORTED|ETIMEDOUT|ESOCKETTIMEDOUT|ERR_SOCKET_CONNECTION_TIMEOUT|timeout|timed out|AbortError/i.test(text)) return 'timeout';
  return 'other';
}

/** Response headers as the core wants them: names lower-cased, repeated values joined. Takes a fetch `Headers` or a plain object. */
export function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const flat: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return flat;
  const iterable = headers as { forEach?: (callback: (value: string, name: string) => void) => void };
  if (typeof iterable.forEach === 'function' && !Array.isArray(headers)) {
    iterable.forEach((value, name) => {
      flat[name.toLowerCase()] = String(value);
    });
    return flat;
  }
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value !== undefined && value !== null) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}
