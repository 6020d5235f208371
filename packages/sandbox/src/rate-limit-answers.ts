/**
 * How a bucket's budget shows on the wire (docs/api-contract.md, Rate limits): the
 * X-RateLimit-* headers on every answer from a bucket, Retry-After in the configured format,
 * and the 429 body naming the policy.
 */
import { formatPolicy, type RateLimitPolicy } from '@eventsync/core';
import { ApiFailure } from './errors.js';
import type { Headers } from './exchange.js';
import type { ResolvedOptions } from './options.js';
import type { RateLimitState } from './rate-limit.js';

export function rateLimitHeaders(limit: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(limit.limit),
    'X-RateLimit-Remaining': String(limit.remaining),
    'X-RateLimit-Reset': String(limit.resetSeconds),
  };
}

/** A wait of at least one second, written as Retry-After; `ms` is the wait the header really asks for. */
export function retryAfter(waitMs: number, at: number, format: ResolvedOptions['retryAfterFormat']): { header: string; ms: number } {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  if (format === 'seconds') return { header: String(seconds), ms: seconds * 1000 };
  // HTTP dates have whole-second resolution: round up so a client never comes back early.
  const when = Math.ceil((at + seconds * 1000) / 1000) * 1000;
  return { header: new Date(when).toUTCString(), ms: when - at };
}

export function rateLimited(policy: RateLimitPolicy, headers: Headers): ApiFailure {
  const text = formatPolicy(policy);
  const message = `rate limit ${text} exceeded for this API key; send nothing more into this bucket until Retry-After has passed`;
  return new ApiFailure(429, 'rate_limited', message, { policy: text }, headers);
}
