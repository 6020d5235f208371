/**
 * The API's failures audit for the sync's subscription, read every health interval: how
 * many deliveries failed since the previous reading. The audit is where failed deliveries
 * show (docs/api-contract.md, Webhook subscriptions); nothing tells the handler otherwise. One request per interval, the
 * newest page; a page that is all new counts as its length, a lower bound.
 */
import { PAGE_LIMIT_MAX, type Subscriptions } from '@eventsync/core';

export interface DeliveryFailureAuditOptions {
  readonly subscriptions: Pick<Subscriptions, 'failures'>;
  readonly subscriptionId: () => string | undefined;
  /** Now on the API's clock, which stamps `attempted_at`. */
  readonly apiNow: () => number;
  readonly intervalMs: number;
  readonly onCount: (failures: number) => void;
}

export class DeliveryFailureAudit {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readingSince: number;
  private reading = false;

  constructor(private readonly options: DeliveryFailureAuditOptions) {
    this.readingSince = options.apiNow();
  }

  start(): void {
    this.timer = setInterval(() => void this.read(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async read(): Promise<void> {
    const id = this.options.subscriptionId();
    if (this.reading || id === undefined) return;
    this.reading = true;
    const readAt = this.options.apiNow();
    try {
      const page = await this.options.subscriptions.failures(id, { limit: PAGE_LIMIT_MAX });
      const since = this.readingSince;
      const attempts = page.data.map((failure) => Date.parse(failure.attempted_at));
      this.options.onCount(attempts.filter((at) => at > since).length);
      // What this page showed is counted: the next reading starts after the newest of it.
      this.readingSince = Math.max(readAt, ...attempts);
    } catch {
      // The health check and readiness already report an API that does not answer; this figure just waits.
    } finally {
      this.reading = false;
    }
  }
}
