/**
 * Rate limiting per bucket, shaped by what the API tells us.
 *
 * - A rolling window, as the API counts it: a request may go when fewer than N were sent in
 *   the last window. That allows a burst up to N, then paces at the rate slots free up, and
 *   never puts N+1 in any window. The log entry of a request moves to the moment its answer
 *   arrives: the server counted it no later than that, so however late a loaded event loop
 *   really sent it, the log errs on the safe side. (Bottleneck's own reservoir refreshes on a fixed clock and
 *   lets 2N through across a boundary; its `updateSettings` even stops the refresh, #185.)
 * - Bottleneck holds the queue: FIFO order, a cap on requests in flight, and the pause. A
 *   429 drops its reservoir to 0 for Retry-After, so every queued caller waits, not just the
 *   one that was refused.
 * - The policy is learned: a 429's `policy` (`read:10/2s`) or `X-RateLimit-Limit` replaces
 *   the configured one, and `X-RateLimit-Remaining: 0` while this process has not used the
 *   budget means another process shares the key: the bucket waits for the reset.
 * - Shared by every process on the key when given a `SharedRateLog` (Redis): the same rule
 *   runs there, atomically, and a 429 pauses the bucket for all of them.
 * - Bottleneck costs a few milliseconds per job (it hops through `setTimeout(0)`), which
 *   would dominate an unthrottled drain. A bucket that is idle, unpaused and has a free slot
 *   therefore sends straight away; both paths record sends in the same log.
 */
import Bottleneck from 'bottleneck';
import { parsePolicy, type RateLimitPolicy } from '../config.js';
import type { Limiter, RateLimitObservation } from '../transport.js';
import type { SharedRateLog } from './redis-rate-log.js';

export interface BottleneckLimiterOptions {
  /** Starting policies; buckets not listed here are unthrottled until the API names a policy. */
  readonly policies: readonly RateLimitPolicy[];
  /** The window is stretched by this share, and at least 25 ms, against network jitter. Default 0.02. */
  readonly safetyMargin?: number;
  /** Requests in flight per bucket. Default 4. */
  readonly maxConcurrent?: number;
  readonly now?: () => number;
  /**
   * Keep the window in a store every process using the key shares (Redis), instead of in
   * this process. When the store fails, the limiter falls back to its own log and says so.
   */
  readonly shared?: SharedRateLog;
  readonly onSharedError?: (error: unknown) => void;
}

export interface BucketStatus {
  readonly policy: RateLimitPolicy | undefined;
  readonly pausedUntil: number;
  /** Requests this process sent (or has claimed a slot for) within the current window. */
  readonly sentInWindow: number;
}

interface SendRecord {
  at: number;
}

interface Bucket {
  policy: RateLimitPolicy | undefined;
  readonly bottleneck: Bottleneck;
  pausedUntil: number;
  resumeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Jobs handed to Bottleneck and not yet finished; while any exist, new calls queue behind them. */
  queued: number;
  /** Claimed slots, moved to the answer's arrival once it comes; not kept in order. */
  sent: SendRecord[];
}

export class BottleneckLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly margin: number;
  private readonly now: () => number;

  constructor(private readonly options: BottleneckLimiterOptions) {
    this.margin = options.safetyMargin ?? 0.02;
    // Sub-millisecond: with Date.now's whole milliseconds, a slot could come up to 1 ms early.
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    for (const policy of options.policies) this.bucket(policy.bucket, policy);
  }

  schedule<T>(name: string, task: () => Promise<T>): Promise<T> {
    const bucket = this.bucket(name);
    const now = this.now();
    const shared = this.options.shared !== undefined && bucket.policy !== undefined;
    if (!shared && bucket.queued === 0 && this.nextSlot(bucket, now) <= now) return this.settle(this.record(bucket, now), task);
    bucket.queued++;
    return bucket.bottleneck
      .schedule(async () => {
        const settle = shared ? await this.sharedSlot(name, bucket) : await this.localSlot(bucket);
        try {
          return await task();
        } finally {
          settle();
        }
      })
      .finally(() => {
        bucket.queued--;
      });
  }

  observe(name: string, observation: RateLimitObservation): void {
    const bucket = this.bucket(name);
    if (observation.policy) {
      this.learn(bucket, safeParse(observation.policy, name));
    } else if (observation.limit !== undefined && observation.limit > 0 && bucket.policy && observation.limit !== bucket.policy.limit) {
      this.learn(bucket, { ...bucket.policy, limit: observation.limit });
    }
    if (observation.status === 429) {
      const ms = observation.retryAfterMs ?? observation.resetMs ?? 1_000;
      this.pause(bucket, ms);
      this.options.shared?.pause(name, ms).catch((error: unknown) => this.options.onSharedError?.(error));
      return;
    }
    if (observation.remaining === 0 && observation.resetMs !== undefined && bucket.policy) {
      // Spent, yet not by us: another process shares this key and its budget.
      if (this.sentInWindow(bucket, this.now()) < bucket.policy.limit) this.pause(bucket, observation.resetMs);
    }
  }

  status(name: string): BucketStatus {
    const bucket = this.bucket(name);
    return { policy: bucket.policy, pausedUntil: bucket.pausedUntil, sentInWindow: this.sentInWindow(bucket, this.now()) };
  }

  /** Clears pause timers; queued jobs stay queued. */
  stop(): void {
    for (const bucket of this.buckets.values()) clearTimeout(bucket.resumeTimer);
  }

  private bucket(name: string, policy?: RateLimitPolicy): Bucket {
    let bucket = this.buckets.get(name);
    if (!bucket) {
      bucket = {
        policy,
        bottleneck: new Bottleneck({ maxConcurrent: this.options.maxConcurrent ?? 4 }),
        pausedUntil: 0,
        resumeTimer: undefined,
        queued: 0,
        sent: [],
      };
      this.buckets.set(name, bucket);
    }
    return bucket;
  }

  /** Claims the next slot of this process's own log and waits for it; returns what to call once the answer is in. */
  private async localSlot(bucket: Bucket): Promise<() => void> {
    // Claimed before waiting, so concurrent jobs line up behind each other.
    const slot = this.nextSlot(bucket, this.now());
    const record = this.record(bucket, slot);
    await this.waitUntil(slot);
    return () => this.answered(record);
  }

  /** Claims a slot in the shared log, waiting as long as it says; falls back to the local log if the store fails. */
  private async sharedSlot(name: string, bucket: Bucket): Promise<() => void> {
    const shared = this.options.shared!;
    for (;;) {
      await this.waitUntil(bucket.pausedUntil);
      let claim: Awaited<ReturnType<SharedRateLog['claim']>>;
      try {
        claim = await shared.claim(name, bucket.policy!, this.window(bucket.policy!));
      } catch (error) {
        this.options.onSharedError?.(error);
        return this.localSlot(bucket);
      }
      if (claim.granted) {
        return () => void shared.settle(name, claim.id).catch((error: unknown) => this.options.onSharedError?.(error));
      }
      await this.waitUntil(this.now() + claim.waitMs);
    }
  }

  private async waitUntil(at: number): Promise<void> {
    // libuv timers may fire up to a millisecond early (its loop clock is cached): re-check after waking.
    for (let wait = at - this.now(); wait > 0; wait = at - this.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
    }
  }

  /** Runs the request; when its answer (or failure) arrives, its log entry moves to that moment. */
  private async settle<T>(record: SendRecord | undefined, task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      this.answered(record);
    }
  }

  /** The server counted the request no later than its answer arrived. */
  private answered(record: SendRecord | undefined): void {
    if (record) record.at = Math.max(record.at, this.now());
  }

  /** Only a bucket with a policy keeps a log; an unthrottled one would grow it without bound. */
  private record(bucket: Bucket, at: number): SendRecord | undefined {
    if (!bucket.policy) return undefined;
    const record = { at };
    bucket.sent.push(record);
    return record;
  }

  /** The earliest moment a request may go: after any pause, and once the window holds fewer than N sends. */
  private nextSlot(bucket: Bucket, now: number): number {
    const earliest = Math.max(now, bucket.pausedUntil);
    const { policy } = bucket;
    if (!policy) return earliest;
    const window = this.window(policy);
    bucket.sent = bucket.sent.filter((record) => record.at > now - window);
    if (bucket.sent.length < policy.limit) return earliest;
    // The N-th most recent send must leave the window first.
    const newestFirst = bucket.sent.map((record) => record.at).sort((a, b) => b - a);
    return Math.max(earliest, newestFirst[policy.limit - 1]! + window);
  }

  private sentInWindow(bucket: Bucket, now: number): number {
    const window = bucket.policy ? this.window(bucket.policy) : 0;
    return bucket.sent.filter((record) => record.at > now - window).length;
  }

  private window(policy: RateLimitPolicy): number {
    return policy.windowMs + Math.max(25, policy.windowMs * this.margin);
  }

  private learn(bucket: Bucket, policy: RateLimitPolicy | undefined): void {
    if (!policy) return;
    bucket.policy = policy;
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
}

function safeParse(text: string, bucket: string): RateLimitPolicy | undefined {
  try {
    return parsePolicy(text, bucket);
  } catch {
    return undefined;
  }
}
