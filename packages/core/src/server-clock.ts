/**
 * The API's clock as seen from here. What the feed shows is decided by the server's clock
 * (an event is visible up to the lag after its `created_at`, on that clock), so a sync that
 * judged visibility by its own clock would lose events whenever the two disagree: a client
 * 30 s ahead would move its watermark past events the server has not shown yet.
 *
 * Every response carries a `Date` header: the server's clock, cut to the whole second, read
 * while the request was between being sent and being answered. Each one bounds the offset
 * (server minus local):
 *
 *     offset >= date - answeredAt          (the server read at least `date`, at the latest at answeredAt)
 *     offset <  date + 1 s - sentAt        (it read less than date + 1 s, at the earliest at sentAt)
 *
 * The bounds of successive answers are intersected, which narrows the estimate to about a
 * round trip. An answer whose bounds do not meet the current ones means a clock was stepped
 * (NTP): the estimate starts again from that answer.
 *
 * Safety never rests on the estimate: the watermark's horizon uses each page's own `Date`
 * (a true lower bound of the server's time when it served the page). The estimate serves
 * what only needs to be close: the end of each query window, the "complete up to" target of
 * a drain (its upper bound, so the drain never stops short), and lag figures.
 */

export interface ClockBounds {
  /** The server's clock minus the local one, in ms: at least `low`, below `high`. */
  readonly low: number;
  readonly high: number;
}

/** The `Date` header's resolution: the server's reading was cut to the second. */
const DATE_RESOLUTION_MS = 1_000;

export class ServerClock {
  private bounds: ClockBounds | undefined;

  constructor(private readonly localNow: () => number) {}

  /** Whether any answer carried a usable `Date` header. */
  get known(): boolean {
    return this.bounds !== undefined;
  }

  /** The current bounds on (server - local), or undefined before the first `Date`. */
  get offset(): ClockBounds | undefined {
    return this.bounds;
  }

  /** The best estimate of the server's clock now: the local clock when nothing is known yet. */
  now(): number {
    const local = this.localNow();
    return this.bounds ? local + (this.bounds.low + this.bounds.high) / 2 : local;
  }

  /** A time the server's clock has certainly not reached yet (the local clock when nothing is known). */
  upperBound(): number {
    const local = this.localNow();
    return this.bounds ? local + this.bounds.high : local;
  }

  /**
   * Local milliseconds until an answer's `Date` header is certain to read at least `serverMs`
   * (the server's clock has passed the first whole second at or after it); Infinity while no
   * `Date` has been seen.
   */
  msUntilDateReads(serverMs: number): number {
    if (!this.bounds) return Number.POSITIVE_INFINITY;
    const firstReading = Math.ceil(serverMs / DATE_RESOLUTION_MS) * DATE_RESOLUTION_MS;
    return Math.max(0, firstReading - (this.localNow() + this.bounds.low));
  }

  /**
   * Reads an answer's `Date` header; returns the server time it proves (the server's clock
   * had reached it when it answered), or undefined when there is none or it does not parse.
   */
  observe(dateHeader: string | undefined, sentAt: number, answeredAt: number): number | undefined {
    if (dateHeader === undefined) return undefined;
    const date = Date.parse(dateHeader);
    if (!Number.isFinite(date)) return undefined;
    const sample: ClockBounds = { low: date - answeredAt, high: date + DATE_RESOLUTION_MS - sentAt };
    const current = this.bounds;
    if (current && sample.low < current.high && current.low < sample.high) {
      this.bounds = { low: Math.max(current.low, sample.low), high: Math.min(current.high, sample.high) };
    } else {
      this.bounds = sample;
    }
    return date;
  }
}
