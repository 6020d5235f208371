/**
 * When to try a request again, and after how long: pure decisions, no sleeping here.
 *
 * - 429 waits exactly what Retry-After says (seconds or an HTTP date); the server knows
 *   when the bucket frees a slot, and guessing shorter only earns another 429.
 * - 503 is contention, not a limit: honour Retry-After when given, else back off.
 * - Other 5xx and network failures back off exponentially with jitter.
 * - A POST is retried only when it carries an Idempotency-Key: without one, a retry after
 *   a lost answer could create the record twice.
 */
import type { RetryOptions } from './config.js';
import { NetworkError, RateLimitError, UnavailableError, type EventsyncError } from './errors.js';

export type RetryDecision = { readonly retry: false } | { readonly retry: true; readonly delayMs: number };

export interface RetryContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly error: EventsyncError;
  readonly method: string;
  readonly hasIdempotencyKey: boolean;
  readonly options: RetryOptions;
  /** In [0, 1). */
  readonly random: () => number;
}

const NO_RETRY: RetryDecision = { retry: false };

export function decideRetry(context: RetryContext): RetryDecision {
  const { attempt, error, method, hasIdempotencyKey, options } = context;
  if (attempt >= options.maxAttempts) return NO_RETRY;
  if (method === 'POST' && !hasIdempotencyKey) return NO_RETRY;

  if (error instanceof RateLimitError) {
    const wait = error.retryAfterMs ?? backoffDelay(context);
    return wait > options.maxRetryAfterMs ? NO_RETRY : { retry: true, delayMs: wait };
  }
  if (error instanceof UnavailableError && error.retryAfterMs !== undefined) {
    return error.retryAfterMs > options.maxRetryAfterMs ? NO_RETRY : { retry: true, delayMs: error.retryAfterMs };
  }
  if (error instanceof NetworkError || (error.status !== undefined && error.status >= 500)) {
    return { retry: true, delayMs: backoffDelay(context) };
  }
  return NO_RETRY;
}

/**
 * Exponential back-off with "equal jitter": half the delay is fixed, half random, so
 * retries spread out yet never come back sooner than half the nominal delay.
 */
export function backoffDelay({ attempt, options, random }: Pick<RetryContext, 'attempt' | 'options' | 'random'>): number {
  const nominal = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
