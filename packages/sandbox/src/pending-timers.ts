/** Delayed answers, remembered so that stop() can cancel the ones not yet written. */
export class PendingTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Runs `action` after `delayMs`; at once when there is no delay. */
  later(delayMs: number, action: () => void): void {
    if (delayMs <= 0) {
      action();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
