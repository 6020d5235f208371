/**
 * Rate limiting per bucket, shaped by what the API tells us. One queue per bucket and one
 * timer: the first waiting request goes as soon as the bucket allows it, and whatever
 * changes the answer (a 429, a learned policy, an answer arriving, a stop) asks again at once.
 *
 * - A rolling window, as the API counts it: a request may go when fewer than N of this
 *   process's sends are in the last window (send-log.ts: a send counts while it is on the
 *   wire and for one window after its answer, which covers however late within its round
 *   trip the server counted it). That allows a burst up to N, then paces at the rate slots
 *   free up. The window is the policy's, all but exactly (`window()` says why).
 * - A 429 pauses the whole bucket until its Retry-After ends: `pausedUntil` is part of when
 *   the next request may go, so every caller not yet sent waits it out, including those
 *   already waiting for a slot. Requests on the wire are not held back; nothing can be.
 * - FIFO order, and at most `maxConcurrent` requests in flight per bucket.
 * - The policy is learned: a 429's `policy` (`read:10/2s`) or `X-RateLimit-Limit` replaces
 *   the configured one, and `X-RateLimit-Remaining: 0` when this process had fewer than N
 *   sends in the window as that request went means another process shares the key: the
 *   bucket waits for the reset.
 * - Shared by every process on the key when given a `SharedRateLog` (Redis): each request
 *   also claims its slot there (same rule, atomically), and a 429 pauses the bucket there
 *   for all of them. A slot granted while a 429 was landing here is given back unused.
 * - `stop()` rejects every request not yet sent with `StoppedError`, at once, and so does
 *   every later `schedule()` and `sleep()`; requests on the wire finish as they will. A
 *   caller's own signal (`schedule(bucket, task, signal)`) takes just its request out.
 * - An idle bucket with a free slot sends synchronously inside `schedule()`: no timer, no
 *   extra tick, so an unthrottled drain runs at the transport's speed.
 *
 * Bottleneck (the house plan's limiter) is not used: it paces with a fixed spacing (`minTime`) or a reservoir refreshed on a fixed
 * clock, neither of which is a rolling window (spacing loses the burst; the reservoir lets 2N
 * through across a boundary), its jobs hop through `setTimeout(0)` (milliseconds each), and a
 * job waiting inside it for a slot of ours could not see a later 429.
 */
import { parsePolicy, type RateLimitPolicy } from '../config.js';
import { ConfigError, StoppedError } from '../errors.js';
import type { Limiter, RateLimitObservation } from '../transport.js';
import type { SharedRateLog } from './redis-rate-log.js';
import { stoppableSleep } from './stoppable-sleep.js';
import { SendLog } from './send-log.js';

export interface RollingWindowLimiterOptions {
  /** Starting policies; buckets not listed here are unthrottled until the API names a policy. */
  readonly policies: readonly RateLimitPolicy[];
  /** Requests in flight per bucket. Default 4. */
  readonly maxConcurrent?: number;
  /**
   * The share of each policy this limiter may use, in (0, 1]: every system on a key shares
   * its budget, so a sync that takes it all starves the others. Default 1.
   */
  readonly budgetShare?: number;
  readonly now?: () => number;
  /**
   * Keep the window in a store every process using the key shares (Redis), as well as in
   * this process. When the store fails, the limiter goes by its own log and says so.
   */
  readonly shared?: SharedRateLog;
  readonly onSharedError?: (error: unknown) => void;
}

export interface BucketStatus {
  readonly policy: RateLimitPolicy | undefined;
  readonly pausedUntil: number;
  /** Requests this process sent within the current window, those in flight included. */
  readonly sentInWindow: number;
}

/** A caller of `schedule()` whose request has not been sent. */
interface Waiter {
  /** Sends the request; `done` runs once its answer (or failure) is in. */
  start(done: () => void): void;
  stop(error: StoppedError): void;
  /** Set when the shared store failed for this request: it goes by this process's log alone. */
  local: boolean;
}

interface Bucket {
  readonly name: string;
  policy: RateLimitPolicy | undefined;
  pausedUntil: number;
  readonly log: SendLog;
  /**
   * When the request answered last was sent. Its `X-RateLimit-*` reading dates from between
   * then and its answer; what this process had in the window is judged as of then.
   */
  lastAnswerSentAt: number | undefined;
  readonly waiting: Waiter[];
  inFlight: number;
  /** A claim in the shared store is on its way for the first waiter. */
  claiming: boolean;
  /** Wakes the queue when the first waiter's slot comes. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class RollingWindowLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxConcurrent: number;
  private readonly budgetShare: number;
  private readonly now: () => number;
  private readonly stopping = new AbortController();

  constructor(private readonly options: RollingWindowLimiterOptions) {
    this.maxConcurrent = options.maxConcurrent ?? 4;
    this.budgetShare = options.budgetShare ?? 1;
    if (!(this.budgetShare > 0 && this.budgetShare <= 1)) {
      throw new ConfigError(`budgetShare is the share of the rate limit to use, above 0 and at most 1; got ${String(options.budgetShare)}`, 'budgetShare');
    }
    // Sub-millisecond: with Date.now's whole milliseconds, a slot could come up to 1 ms early.
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    for (const policy of options.policies) this.bucket(policy.bucket, policy);
  }

  /** Sends `task` when the bucket allows; `signal` (a caller's stop) takes it out of the queue with `StoppedError`. */
  schedule<T>(name: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.stopping.signal.aborted || signal?.aborted) return Promise.reject(new StoppedError());
    const bucket = this.bucket(name);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const index = bucket.waiting.indexOf(waiter);
        if (index < 0) return; // already sent: the transport sees the same signal
        bucket.waiting.splice(index, 1);
        reject(new StoppedError());
        this.pump(bucket);
      };
      const waiter: Waiter = {
        local: false,
        stop: reject,
        start: (done) => {
          signal?.removeEventListener('abort', onAbort);
          let running: Promise<T>;
          try {
            running = Promise.resolve(task());
          } catch (error) {
            running = Promise.reject(error);
          }
          // The log learns of the answer before the caller does, so its next request sees it.
          running.finally(done).then(resolve, reject);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      bucket.waiting.push(waiter);
      this.pump(bucket);
    });
  }

  observe(name: string, observation: RateLimitObservation): void {
    const bucket = this.bucket(name);
    if (observation.policy) {
      bucket.policy = safeParse(observation.policy, name) ?? bucket.policy;
    } else if (observation.limit !== undefined && observation.limit > 0 && bucket.policy && observation.limit !== bucket.policy.limit) {
      bucket.policy = { ...bucket.policy, limit: observation.limit };
    }
    const now = this.now();
    if (observation.status === 429) {
      const ms = observation.retryAfterMs ?? observation.resetMs ?? 1_000;
      bucket.pausedUntil = Math.max(bucket.pausedUntil, now + ms);
      if (this.options.shared) this.reportShared(this.options.shared.pause(name, ms));
    } else if (observation.remaining === 0 && observation.resetMs !== undefined && bucket.policy) {
      // Spent, yet not by us: another process shares this key and its budget.
      if (bucket.log.count(this.window(bucket.policy), bucket.lastAnswerSentAt ?? now) < bucket.policy.limit) {
        bucket.pausedUntil = Math.max(bucket.pausedUntil, now + observation.resetMs);
      }
    }
    // A pause, a tighter or a looser policy: whoever waits for a slot waits for a different moment now.
    this.pump(bucket);
  }

  status(name: string): BucketStatus {
    const bucket = this.bucket(name);
    const sentInWindow = bucket.policy ? bucket.log.count(this.window(bucket.policy), this.now()) : 0;
    return { policy: bucket.policy, pausedUntil: bucket.pausedUntil, sentInWindow };
  }

  /** Waits `ms` (a retry's back-off or Retry-After); rejects with `StoppedError` as soon as the limiter stops or `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return stoppableSleep(ms, this.stopping.signal, signal);
  }

  /** Rejects every request not yet sent, and every later one, with `StoppedError`. */
  stop(): void {
    this.stopping.abort();
    for (const bucket of this.buckets.values()) {
      clearTimeout(bucket.timer);
      bucket.timer = undefined;
      for (const waiter of bucket.waiting.splice(0)) waiter.stop(new StoppedError());
    }
  }

  private bucket(name: string, policy?: RateLimitPolicy): Bucket {
    let bucket = this.buckets.get(name);
    if (!bucket) {
      bucket = {
        name,
        policy,
        pausedUntil: 0,
        log: new SendLog(),
        lastAnswerSentAt: undefined,
        waiting: [],
        inFlight: 0,
        claiming: false,
        timer: undefined,
      };
      this.buckets.set(name, bucket);
    }
    return bucket;
  }

  /** Sends waiting requests while the bucket allows; otherwise sets the one timer for when it will. */
  private pump(bucket: Bucket): void {
    clearTimeout(bucket.timer);
    bucket.timer = undefined;
    while (bucket.waiting.length > 0 && !bucket.claiming && bucket.inFlight < this.maxConcurrent) {
      const now = this.now();
      const at = this.nextSlot(bucket, now);
      if (at > now) {
        this.wakeAt(bucket, at);
        return;
      }
      const first = bucket.waiting[0]!;
      if (this.options.shared && bucket.policy && !first.local) {
        this.claimShared(bucket, first, this.options.shared, bucket.policy);
        return;
      }
      bucket.waiting.shift();
      this.send(bucket, first);
    }
  }

  /** Asks the shared store for the first waiter's slot; sends it, or waits as long as the store says. */
  private claimShared(bucket: Bucket, first: Waiter, shared: SharedRateLog, policy: RateLimitPolicy): void {
    bucket.claiming = true;
    shared.claim(bucket.name, { ...policy, limit: this.allowed(policy) }, this.window(policy)).then(
      (claim) => {
        bucket.claiming = false;
        if (!claim.granted) {
          this.wakeAt(bucket, this.now() + claim.waitMs);
          return;
        }
        const now = this.now();
        if (bucket.waiting[0] !== first || this.nextSlot(bucket, now) > now) {
          // Stopped, or a 429 landed here while the store answered: the slot goes back unused.
          this.reportShared(shared.release(bucket.name, claim.id));
          this.pump(bucket);
          return;
        }
        bucket.waiting.shift();
        this.send(bucket, first, () => this.reportShared(shared.settle(bucket.name, claim.id)));
        this.pump(bucket);
      },
      (error: unknown) => {
        bucket.claiming = false;
        this.options.onSharedError?.(error);
        first.local = true;
        this.pump(bucket);
      },
    );
  }

  private send(bucket: Bucket, waiter: Waiter, onAnswer?: () => void): void {
    // Only a bucket with a policy keeps a log; an unthrottled one would grow it without bound.
    const logged = bucket.policy !== undefined;
    if (logged) bucket.log.sent();
    const sentAt = this.now();
    bucket.inFlight++;
    waiter.start(() => {
      bucket.inFlight--;
      bucket.lastAnswerSentAt = sentAt;
      if (logged) bucket.log.answered(this.now());
      onAnswer?.();
      this.pump(bucket);
    });
  }

  private wakeAt(bucket: Bucket, at: number): void {
    clearTimeout(bucket.timer);
    bucket.timer = undefined;
    // Infinity: the slot waits for an answer, and every answer pumps the queue.
    if (this.stopping.signal.aborted || bucket.waiting.length === 0 || at === Number.POSITIVE_INFINITY) return;
    // libuv timers may fire up to a millisecond early (its loop clock is cached): `pump` checks again.
    bucket.timer = setTimeout(() => this.pump(bucket), Math.max(1, Math.ceil(at - this.now())));
  }

  /** The earliest moment the next request may go: after any pause, and once the window has room. */
  private nextSlot(bucket: Bucket, now: number): number {
    const earliest = Math.max(now, bucket.pausedUntil);
    if (!bucket.policy) return earliest;
    return Math.max(earliest, bucket.log.nextSlot(this.allowed(bucket.policy), this.window(bucket.policy), now));
  }

  /** Requests this limiter may have in one window: its share of the policy, and at least one. */
  private allowed(policy: RateLimitPolicy): number {
    return Math.max(1, Math.floor(policy.limit * this.budgetShare));
  }

  /**
   * The policy's window, plus 0.1 % for a server clock that ticks slightly faster than ours
   * (NTP slews a clock by up to 0.05 %) and 1 ms for servers that count whole milliseconds.
   * No margin for the network: the log already counts each send until its answer.
   */
  private window(policy: RateLimitPolicy): number {
    return policy.windowMs * 1.001 + 1;
  }

  private reportShared(call: Promise<void>): void {
    call.catch((error: unknown) => this.options.onSharedError?.(error));
  }
}

function safeParse(text: string, bucket: string): RateLimitPolicy | undefined {
  try {
    return parsePolicy(text, bucket);
  } catch {
    return undefined;
  }
}
