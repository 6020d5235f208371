/**
 * Fault injection: the ways a real API misbehaves that a client must survive. Draws come
 * from their own seeded stream, so a seed gives the same fault sequence run after run, and
 * a rate of exactly 0 or 1 draws nothing (1.0 is how tests make a fault certain).
 */
import { checkFaults, type FaultOptions } from './options.js';
import { Random, streamSeed } from './random.js';

export class FaultInjector {
  private faults: FaultOptions;
  private readonly random: Random;

  constructor(seed: number, faults: FaultOptions) {
    this.random = new Random(streamSeed(seed, 'faults'));
    this.faults = checkFaults(faults);
  }

  get current(): FaultOptions {
    return { ...this.faults };
  }

  /** Replaces every knob at once: a knob left out is off. */
  set(faults: FaultOptions): void {
    this.faults = checkFaults(faults);
  }

  latencyMs(): number {
    return this.random.duration(this.faults.latencyMs);
  }

  reset(): boolean {
    return this.random.chance(this.faults.resetRate ?? 0);
  }

  /** Seconds of Retry-After for a 503 (undefined: none), or false when this request is not refused. */
  unavailable(): { retryAfterSeconds: number | undefined } | false {
    if (!this.random.chance(this.faults.unavailableRate ?? 0)) return false;
    return { retryAfterSeconds: this.faults.unavailableRetryAfterSeconds };
  }

  /** Seconds of Retry-After for a storm 429, or false. */
  storm(): number | false {
    if (!this.random.chance(this.faults.rateLimitStormRate ?? 0)) return false;
    return this.faults.stormRetryAfterSeconds ?? 1;
  }
}
