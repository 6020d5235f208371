/**
 * What each key sent, per bucket: totals by answer, requests per second, and the most
 * requests that arrived within any one window of the bucket's policy. A test of clients that
 * share a key (two connections, one budget) reads it to prove that together they kept to the
 * policy. The proof must come from what arrived, not from what was admitted: the limiter
 * never admits more than the limit, whatever the clients do.
 *
 * Counted: every request that authenticated with the key and reached the budget, whatever
 * its answer (admitted, a 429 from the budget, a storm 429). Not counted: requests the 503 and
 * reset faults took before the key was read, and 401s.
 */
import { formatPolicy, type RateLimitPolicy } from '@eventsync/core';
import { SlidingLog } from './rate-limit.js';

export type UsageOutcome = 'admitted' | 'rateLimited' | 'storm';

export interface SecondCount {
  /** Epoch seconds on the sandbox clock. */
  readonly second: number;
  readonly requests: number;
}

export interface BucketUsage {
  /** The bucket's name (`read`, `write`, `tenant`, ...). */
  readonly bucket: string;
  /** The policy the window is measured against, e.g. `read:60/1m`. */
  readonly policy: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly requests: number;
  readonly admitted: number;
  /** 429s from the budget. */
  readonly rateLimited: number;
  /** 429s from the storm fault. */
  readonly storms: number;
  /** The most requests that arrived within any window of `windowMs` (as the limiter counts: (t - window, t]). */
  readonly maxInWindow: number;
  /** Requests per second, oldest first, seconds without any left out; the last PER_SECOND_KEPT seconds with traffic. */
  readonly perSecond?: readonly SecondCount[];
}

/** Seconds with traffic kept per key and bucket: an hour of a busy key. */
export const PER_SECOND_KEPT = 3600;

class BucketTally {
  requests = 0;
  admitted = 0;
  rateLimited = 0;
  storms = 0;
  maxInWindow = 0;
  private readonly window = new SlidingLog();
  private readonly seconds: number[] = [];
  private readonly counts: number[] = [];

  constructor(
    readonly policy: RateLimitPolicy,
    private readonly policyText: string,
  ) {}

  count(at: number, outcome: UsageOutcome): void {
    this.requests++;
    if (outcome === 'admitted') this.admitted++;
    else if (outcome === 'rateLimited') this.rateLimited++;
    else this.storms++;
    this.window.prune(at - this.policy.windowMs);
    this.window.push(at);
    this.maxInWindow = Math.max(this.maxInWindow, this.window.size);
    this.countSecond(Math.floor(at / 1000));
  }

  view(perSecond: boolean): BucketUsage {
    const { bucket, limit, windowMs } = this.policy;
    const { requests, admitted, rateLimited, storms, maxInWindow } = this;
    const usage: BucketUsage = { bucket, policy: this.policyText, limit, windowMs, requests, admitted, rateLimited, storms, maxInWindow };
    if (!perSecond) return usage;
    return { ...usage, perSecond: this.seconds.map((second, i) => ({ second, requests: this.counts[i]! })) };
  }

  private countSecond(second: number): void {
    const last = this.seconds.length - 1;
    if (last >= 0 && this.seconds[last] === second) {
      this.counts[last]!++;
      return;
    }
    if (last >= 0 && this.seconds[last]! > second) {
      // A clock moved back (a test's manual clock): count it where it belongs, if still kept.
      const at = this.seconds.indexOf(second);
      if (at >= 0) this.counts[at]!++;
      return;
    }
    if (this.seconds.length >= PER_SECOND_KEPT) {
      this.seconds.splice(0, PER_SECOND_KEPT / 10);
      this.counts.splice(0, PER_SECOND_KEPT / 10);
    }
    this.seconds.push(second);
    this.counts.push(1);
  }
}

export class KeyUsage {
  private readonly byKey = new Map<string, Map<string, BucketTally>>();

  /** One request of `key` in the bucket `policy` names, at `at` on the sandbox clock. */
  count(key: string, policy: RateLimitPolicy, at: number, outcome: UsageOutcome): void {
    let buckets = this.byKey.get(key);
    if (!buckets) {
      buckets = new Map();
      this.byKey.set(key, buckets);
    }
    let tally = buckets.get(policy.bucket);
    if (!tally) {
      tally = new BucketTally(policy, formatPolicy(policy));
      buckets.set(policy.bucket, tally);
    }
    tally.count(at, outcome);
  }

  /** The key's buckets in the order first used; empty when it sent nothing. */
  buckets(key: string, perSecond: boolean): BucketUsage[] {
    return [...(this.byKey.get(key)?.values() ?? [])].map((tally) => tally.view(perSecond));
  }
}

/** One key's usage as the controls and `/_sandbox/usage` report it: the key by its tenant, name and last four characters. */
export interface KeyUsageReport {
  /** The tenant's slug. */
  readonly tenant: string;
  readonly keyName: string;
  /** `…` + the key's last four characters. */
  readonly keyHint: string;
  readonly revoked: boolean;
  /** Empty until the key sends a request that reaches the budget. */
  readonly buckets: readonly BucketUsage[];
}
