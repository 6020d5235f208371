/**
 * The record of every request answered (or reset). Tests read it to prove what a client
 * did on the wire, e.g. that nothing entered a bucket during a Retry-After.
 */

export interface RequestRecord {
  /** Sandbox clock when the request was handled. */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Bucket name (`read`, `tenant`, ...) the request belongs to, whatever its answer; null outside the API's routes or with rate limiting off. */
  bucket: string | null;
  /** 0 when the socket was reset without an answer. */
  status: number;
  /** The wait a 429 or 503 asked for, as its Retry-After said it. */
  retryAfterMs?: number;
  /** `reset`, `unavailable` or `storm` when a fault decided the answer. */
  fault?: string;
}

/** At most this many records are kept (oldest dropped), so a long-running sandbox stays bounded. */
export const REQUEST_LOG_MAX = 200_000;

export class RequestLog {
  readonly records: RequestRecord[] = [];
  private readonly statusCounts = new Map<number, number>();

  add(entry: RequestRecord): void {
    if (this.records.length >= REQUEST_LOG_MAX) this.records.splice(0, REQUEST_LOG_MAX / 10);
    this.records.push(entry);
    this.statusCounts.set(entry.status, (this.statusCounts.get(entry.status) ?? 0) + 1);
  }

  /** Counts by status since the start (not limited by the cap), status 0 being resets. */
  byStatus(): Record<string, number> {
    return Object.fromEntries([...this.statusCounts].sort((a, b) => a[0] - b[0]));
  }
}
