/**
 * The rolling-window log of a bucket kept in Redis, so that every process using one API key
 * shares one budget (docs/api-contract.md, Rate limits: every system on a key counts toward the same limit).
 * Same rule as the in-process log (send-log.ts): a request may go when fewer than N were sent
 * in the last window; an entry moves to its answer's arrival. One difference: while a request
 * is on the wire its entry is dated from its claim rather than held open, so a process that
 * dies mid-request cannot hold a slot forever. Claims are Lua scripts, so claims from many
 * processes cannot interleave, and time is Redis's own clock, so machines whose clocks
 * disagree still agree on the window. A 429 seen by any process pauses the bucket for all.
 *
 * Bottleneck's own Redis clustering would be the obvious tool, but it fails on Redis 7
 * (`ERR SETTINGS_KEY_NOT_FOUND`, its issue #205).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RateLimitPolicy } from '../config.js';

/** Answers of `claim`: the slot is ours, or how long to wait before asking again. */
export type Claim = { readonly granted: true; readonly id: string } | { readonly granted: false; readonly waitMs: number };

export interface SharedRateLog {
  claim(bucket: string, policy: RateLimitPolicy, windowMs: number): Promise<Claim>;
  /** Moves a granted send to now (its answer has arrived). */
  settle(bucket: string, id: string): Promise<void>;
  /** Gives back a granted slot that will not be used (the bucket was paused or stopped meanwhile). */
  release(bucket: string, id: string): Promise<void>;
  /** Nobody sharing the key sends into the bucket for `ms`. */
  pause(bucket: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

// KEYS: log, pause. ARGV: window ms, limit, member. Returns {granted (1/0), wait ms}.
const CLAIM = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused} end
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window * 2)
  return {1, 0}
end
local nth = redis.call('ZREVRANGE', KEYS[1], limit - 1, limit - 1, 'WITHSCORES')
return {0, math.max(1, tonumber(nth[2]) + window - now)}
`;

// KEYS: log. ARGV: member. Moves the entry to now, never backwards.
const SETTLE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) < now then redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1]) end
return 0
`;

export class RedisRateLog implements SharedRateLog {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly connecting: Promise<void>;

  /**
   * @param url e.g. `redis://127.0.0.1:6379`
   * @param apiKey Budgets are per key: the key is hashed, never stored.
   */
  constructor(url: string, apiKey: string) {
    // No offline queue: while Redis is away, calls fail at once and the limiter uses its own log,
    // rather than requests waiting on a queue; reconnection goes on in the background.
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
    });
    // An unreachable Redis is reported by the calls that fail; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => undefined);
    this.connecting = this.redis.connect().catch(() => undefined);
    this.prefix = `eventsync:ratelimit:${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
    this.redis.defineCommand('eventsyncClaim', { numberOfKeys: 2, lua: CLAIM });
    this.redis.defineCommand('eventsyncSettle', { numberOfKeys: 1, lua: SETTLE });
  }

  async claim(bucket: string, policy: RateLimitPolicy, windowMs: number): Promise<Claim> {
    await this.ready();
    const id = randomUUID();
    const [granted, waitMs] = (await (this.redis as unknown as ScriptCommands).eventsyncClaim(
      this.logKey(bucket),
      this.pauseKey(bucket),
      // Redis keeps whole milliseconds (PEXPIRE refuses fractions); rounding up errs on the safe side.
      Math.ceil(windowMs),
      policy.limit,
      id,
    )) as [number, number];
    return granted === 1 ? { granted: true, id } : { granted: false, waitMs };
  }

  async settle(bucket: string, id: string): Promise<void> {
    await this.ready();
    await (this.redis as unknown as ScriptCommands).eventsyncSettle(this.logKey(bucket), id);
  }

  async release(bucket: string, id: string): Promise<void> {
    await this.ready();
    await this.redis.zrem(this.logKey(bucket), id);
  }

  async pause(bucket: string, ms: number): Promise<void> {
    await this.ready();
    // PX with the longer of an existing pause and this one: a shorter 429 must not cut a longer pause short.
    const current = await this.redis.pttl(this.pauseKey(bucket));
    if (current < ms) await this.redis.set(this.pauseKey(bucket), '1', 'PX', Math.ceil(ms));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** Waits for the first connection attempt; after that, fails at once whenever the connection is down. */
  private async ready(): Promise<void> {
    await this.connecting;
    if (this.redis.status !== 'ready') throw new Error(`Redis is not connected (${this.redis.status})`);
  }

  private logKey(bucket: string): string {
    return `${this.prefix}:${bucket}:log`;
  }

  private pauseKey(bucket: string): string {
    return `${this.prefix}:${bucket}:pause`;
  }
}

interface ScriptCommands {
  eventsyncClaim(log: string, pause: string, windowMs: number, limit: number, member: string): Promise<unknown>;
  eventsyncSettle(log: string, member: string): Promise<unknown>;
}
