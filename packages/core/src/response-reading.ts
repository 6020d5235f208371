/**
 * One reading of an answer, shared by everything that learns from it: the limiter (the
 * `X-RateLimit-*` headers, a 429's Retry-After and policy) and the typed error (the error
 * body, Retry-After). Each header and the body are parsed here once.
 */
import { parseRetryAfter } from './retry.js';
import type { HttpResponse, RateLimitObservation } from './transport.js';
import type { ErrorBody } from './types.js';

export interface ResponseReading {
  /** What the limiter learns from the answer. */
  readonly rateLimit: RateLimitObservation;
  /** The `{ error: ... }` body of a non-2xx answer, when it has one. */
  readonly error: ErrorBody['error'] | undefined;
  /** Retry-After in ms (seconds or an HTTP date), when present. */
  readonly retryAfterMs: number | undefined;
}

export function readResponse(response: HttpResponse, now: number): ResponseReading {
  const failed = response.status < 200 || response.status >= 300;
  const error = failed ? parseErrorBody(response.body) : undefined;
  const retryAfterMs = failed ? parseRetryAfter(response.headers['retry-after'], now) : undefined;
  const reset = headerNumber(response, 'x-ratelimit-reset');
  const rateLimit: RateLimitObservation = {
    status: response.status,
    limit: headerNumber(response, 'x-ratelimit-limit'),
    remaining: headerNumber(response, 'x-ratelimit-remaining'),
    resetMs: reset === undefined ? undefined : reset * 1000,
    ...(response.status === 429 ? { retryAfterMs, policy: typeof error?.policy === 'string' ? error.policy : undefined } : {}),
  };
  return { rateLimit, error, retryAfterMs };
}

function headerNumber(response: HttpResponse, name: string): number | undefined {
  const value = response.headers[name];
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function parseErrorBody(text: string): ErrorBody['error'] | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBody> | null;
    return parsed && typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}
