/**
 * What the pure core needs from its host, injected so that it runs under Node (axios +
 * Bottleneck), n8n (httpRequestWithAuthentication + sleep) and Zapier (z.request) alike,
 * and so that tests control time.
 */
import type { NetworkFailure } from './errors.js';

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
 * Schedules requests per bucket. The Node runtime's is Bottleneck; the pure default lets
 * everything through, which is right for hosts that throttle on their own (Zapier).
 */
export interface Limiter {
  schedule<T>(bucket: string, task: () => Promise<T>): Promise<T>;
  observe(bucket: string, observation: RateLimitObservation): void;
}

export const UNLIMITED: Limiter = {
  schedule: (_bucket, task) => task(),
  observe: () => undefined,
};

/** Clock, sleep and randomness: injected so the replay window, look-back and back-off are tested without waiting. */
export interface Runtime {
  readonly transport: Transport;
  readonly sleep: (ms: number) => Promise<void>;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** In [0, 1); used for back-off jitter. */
  readonly random?: () => number;
  readonly limiter?: Limiter;
  /** Idempotency keys for POSTs; defaults to `crypto.randomUUID`. */
  readonly newIdempotencyKey?: () => string;
}
