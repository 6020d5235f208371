/**
 * One timer for every running generator. A sandbox with 1,000 tenants each generating events
 * would otherwise keep 1,000 intervals; this keeps one, at the shortest interval any running
 * generator asks for. Ticking a generator more often than it asked costs a clock read: each
 * tick creates only the events due by then (SteadyGenerator.tick).
 */

export interface Tickable {
  /** The longest wait between ticks this generator tolerates. */
  readonly intervalMs: number;
  tick(): void;
}

export class GeneratorTicker {
  private readonly running = new Set<Tickable>();
  private timer: NodeJS.Timeout | undefined;
  private intervalMs = 0;

  add(generator: Tickable): void {
    this.running.add(generator);
    this.rearm();
  }

  remove(generator: Tickable): void {
    if (this.running.delete(generator)) this.rearm();
  }

  /** Stops the timer and forgets every generator. */
  stop(): void {
    this.running.clear();
    this.rearm();
  }

  /** Re-arms only when the shortest interval changed, so starting 1,000 generators at one rate sets one timer. */
  private rearm(): void {
    let wanted = Infinity;
    for (const generator of this.running) wanted = Math.min(wanted, generator.intervalMs);
    if (this.timer && wanted === this.intervalMs) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.intervalMs = 0;
    if (wanted === Infinity) return;
    this.intervalMs = wanted;
    this.timer = setInterval(() => {
      for (const generator of this.running) generator.tick();
    }, wanted);
    this.timer.unref();
  }
}
