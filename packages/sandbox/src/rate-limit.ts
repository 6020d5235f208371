/**
 * Sliding-log rate limiting per (key, bucket): the exact rolling window the API counts in
 * (docs/api-contract.md, Rate limits), so a client that bursts across a window boundary is
 * caught the way a real API would catch it (a fixed window would let twice the limit
 * through). Kinds that name the same bucket (psa's `tenant:500/10m`) share one log and so
 * one budget.
 */
import { formatPolicy, type BucketKind, type RateLimitPolicy } from '@eventsync/core';

export interface RateLimitState {
  readonly policy: RateLimitPolicy;
  /** `policy` as the 429 body and logs name it, e.g. `read:60/1m`. */
  readonly policyText: string;
  readonly allowed: boolean;
  readonly limit: number;
  /** Left in the window after this request. */
  readonly remaining: number;
  /** Whole seconds until the oldest entry leaves the window; 0 when the log is empty. */
  readonly resetSeconds: number;
  /** When refused: ms until a slot frees. */
  readonly retryAfterMs?: number;
}

/** Timestamps (of admitted requests here; of every arrival in key-usage.ts), oldest first; `head` skips expired ones without shifting. */
export class SlidingLog {
  private times: number[] = [];
  private head = 0;

  prune(cutoff: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head++;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.times.length - this.head;
  }

  /** The i-th oldest entry in the window. */
  at(i: number): number {
    return this.times[this.head + i]!;
  }

  push(time: number): void {
    this.times.push(time);
  }
}

export class RateLimiter {
  private readonly logs = new Map<string, SlidingLog>();
  private readonly texts: Record<BucketKind, string>;

  constructor(private readonly policies: Readonly<Record<BucketKind, RateLimitPolicy>>) {
    this.texts = { read: formatPolicy(policies.read), write: formatPolicy(policies.write) };
  }

  policyFor(kind: BucketKind): RateLimitPolicy {
    return this.policies[kind];
  }

  /** Admits and counts the request, or refuses it without counting. */
  take(key: string, kind: BucketKind, now: number): RateLimitState {
    return this.evaluate(key, kind, now, true);
  }

  /** The state as it stands, counting nothing (for answers that are not admitted, e.g. storm 429s). */
  peek(key: string, kind: BucketKind, now: number): RateLimitState {
    return this.evaluate(key, kind, now, false);
  }

  private evaluate(key: string, kind: BucketKind, now: number, count: boolean): RateLimitState {
    const policy = this.policies[kind];
    const policyText = this.texts[kind];
    const logKey = `${key}\u0000${policy.bucket}`;
    let log = this.logs.get(logKey);
    if (!log) {
      log = new SlidingLog();
      this.logs.set(logKey, log);
    }
    log.prune(now - policy.windowMs);
    const used = log.size;
    if (used >= policy.limit) {
      // A slot frees when enough entries leave that fewer than `limit` remain.
      const retryAfterMs = Math.max(1, log.at(used - policy.limit) + policy.windowMs - now);
      return {
        policy,
        policyText,
        allowed: false,
        limit: policy.limit,
        remaining: 0,
        resetSeconds: Math.ceil(retryAfterMs / 1000),
        retryAfterMs,
      };
    }
    if (count) log.push(now);
    const size = log.size;
    return {
      policy,
      policyText,
      allowed: true,
      limit: policy.limit,
      remaining: policy.limit - size,
      resetSeconds: size === 0 ? 0 : Math.ceil((log.at(0) + policy.windowMs - now) / 1000),
    };
  }
}
