/**
 * Rate limiting per bucket with Bottleneck, shaped by what the API tells us.
 *
 * - Spacing, not bursts: a policy of N per window becomes one request every window/N
 *   (plus a small margin for network jitter). That bounds every rolling window, which a
 *   fixed-window reservoir does not (it lets 2N through across a window boundary).
 * - A 429 pauses the whole bucket for Retry-After: Bottleneck's reservoir drops to 0, so
 *   every queued caller waits, not just the one that was refused.
 * - The policy is learned: a 429's `policy` (`read:10/2s`) or `X-RateLimit-Limit`
 *   re-spaces the bucket, and `X-RateLimit-Remaining: 0` while this process has not used
 *   the budget means another process shares the key: the bucket waits for the reset.
 * - Bottleneck costs a few milliseconds per job (it hops through `setTimeout(0)`), which
 *   would dominate an unthrottled drain. A bucket that is idle, unpaused and past its next
 *   slot therefore sends straight away; both paths reserve slots from the same clock, so
 *   the spacing holds across them.
 */
import Bottleneck from 'bottleneck';
import { parsePolicy, type RateLimitPolicy } from '../config.js';
import type { Limiter, RateLimitObservation } from '../transport.js';

export interface BottleneckLimiterOptions {
  /** Starting policies; buckets not listed here are created unthrottled on first use. */
  readonly policies: readonly RateLimitPolicy[];
  /** Extra spacing on top of window/limit. Default 0.02 (2 %). */
  readonly safetyMargin?: number;
  /** Requests in flight per bucket. Default 4. */
  readonly maxConcurrent?: number;
  readonly now?: () => number;
}

export interface BucketStatus {
  readonly policy: RateLimitPolicy | undefined;
  readonly pausedUntil: number;
  /** Requests this process sent within the current window. */
  readonly sentInWindow: number;
}

interface Bucket {
  policy: RateLimitPolicy | undefined;
  readonly bottleneck: Bottleneck;
  spacingMs: number;
  nextSlotAt: number;
  pausedUntil: number;
  resumeTimer: ReturnType<typeof setTimeout> | undefined;
  queued: number;
  /** Send times within the policy window, oldest first. */
  readonly sent: number[];
}

export class BottleneckLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly margin: number;
  private readonly now: () => number;

  constructor(private readonly options: BottleneckLimiterOptions) {
    this.margin = options.safetyMargin ?? 0.02;
    // Sub-millisecond: with Date.now's whole milliseconds, spacing could come out up to 1 ms short.
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    for (const policy of options.policies) this.bucket(policy.bucket, policy);
  }

  schedule<T>(name: string, task: () => Promise<T>): Promise<T> {
    const bucket = this.bucket(name);
    const now = this.now();
    if (bucket.queued === 0 && now >= bucket.pausedUntil && now >= bucket.nextSlotAt) {
      this.claimSlot(bucket, now);
      return task();
    }
    bucket.queued++;
    return bucket.bottleneck
      .schedule(async () => {
        // Bottleneck does not see fast-path sends, and a pause may have begun while this job was queued.
        const slot = Math.max(bucket.nextSlotAt, bucket.pausedUntil, this.now());
        this.claimSlot(bucket, slot);
        // libuv timers may fire up to a millisecond early (its loop clock is cached): re-check after waking.
        for (let wait = slot - this.now(); wait > 0; wait = slot - this.now()) {
          await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
        }
        return task();
      })
      .finally(() => {
        bucket.queued--;
      });
  }

  observe(name: string, observation: RateLimitObservation): void {
    const bucket = this.bucket(name);
    if (observation.policy) {
      this.learn(bucket, safeParse(observation.policy, name));
    } else if (observation.limit !== undefined && bucket.policy && observation.limit !== bucket.policy.limit && observation.limit > 0) {
      this.learn(bucket, { ...bucket.policy, limit: observation.limit });
    }
    if (observation.status === 429) {
      this.pause(bucket, observation.retryAfterMs ?? observation.resetMs ?? 1_000);
      return;
    }
    if (observation.remaining === 0 && observation.resetMs !== undefined && bucket.policy) {
      this.trimLog(bucket);
      // Spent, yet not by us: another process shares this key and its budget.
      if (bucket.sent.length < bucket.policy.limit) this.pause(bucket, observation.resetMs);
    }
  }

  status(name: string): BucketStatus {
    const bucket = this.bucket(name);
    this.trimLog(bucket);
    return { policy: bucket.policy, pausedUntil: bucket.pausedUntil, sentInWindow: bucket.sent.length };
  }

  /** Clears pause timers; queued jobs stay queued. */
  stop(): void {
    for (const bucket of this.buckets.values()) clearTimeout(bucket.resumeTimer);
  }

  private bucket(name: string, policy?: RateLimitPolicy): Bucket {
    let bucket = this.buckets.get(name);
    if (!bucket) {
      const spacingMs = this.spacing(policy);
      bucket = {
        policy,
        bottleneck: new Bottleneck({ minTime: spacingMs, maxConcurrent: this.options.maxConcurrent ?? 4 }),
        spacingMs,
        nextSlotAt: 0,
        pausedUntil: 0,
        resumeTimer: undefined,
        queued: 0,
        sent: [],
      };
      this.buckets.set(name, bucket);
    }
    return bucket;
  }

  private claimSlot(bucket: Bucket, at: number): void {
    bucket.nextSlotAt = at + bucket.spacingMs;
    if (bucket.policy) {
      bucket.sent.push(at);
      this.trimLog(bucket);
    }
  }

  private trimLog(bucket: Bucket): void {
    const windowStart = this.now() - (bucket.policy?.windowMs ?? 0);
    while (bucket.sent.length > 0 && bucket.sent[0]! <= windowStart) bucket.sent.shift();
  }

  private learn(bucket: Bucket, policy: RateLimitPolicy | undefined): void {
    if (!policy || (bucket.policy && policy.limit === bucket.policy.limit && policy.windowMs === bucket.policy.windowMs)) return;
    bucket.policy = policy;
    bucket.spacingMs = this.spacing(policy);
    // Only minTime changes here; the reservoir is never refreshed, so Bottleneck's #185 does not bite.
    bucket.bottleneck.updateSettings({ minTime: bucket.spacingMs });
  }

  private pause(bucket: Bucket, ms: number): void {
    const until = this.now() + ms;
    if (until <= bucket.pausedUntil) return;
    bucket.pausedUntil = until;
    bucket.bottleneck.updateSettings({ reservoir: 0 });
    clearTimeout(bucket.resumeTimer);
    bucket.resumeTimer = setTimeout(() => {
      bucket.resumeTimer = undefined;
      bucket.bottleneck.updateSettings({ reservoir: null });
    }, ms);
  }

  private spacing(policy: RateLimitPolicy | undefined): number {
    if (!policy) return 0;
    const spacing = (policy.windowMs / policy.limit) * (1 + this.margin);
    // Sub-millisecond spacing is no throttle at all; rounding it up to 1 ms would invent one.
    return spacing < 1 ? 0 : Math.ceil(spacing);
  }
}

function safeParse(text: string, bucket: string): RateLimitPolicy | undefined {
  try {
    return parsePolicy(text, bucket);
  } catch {
    return undefined;
  }
}
