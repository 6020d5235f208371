/**
 * Watches the sync's own subscription. The circuit breaker disables it silently after 20
 * failed deliveries (the only way to learn of it is by polling); the watch notices,
 * says so loudly, re-enables it, and wakes the engine so the gap is filled from the
 * checkpoint at once rather than at the next slow poll.
 */
import { NotFoundError } from './errors.js';
import type { Subscriptions } from './subscriptions.js';
import type { Subscription } from './types.js';

export type HealthOutcome =
  | { readonly state: 'healthy'; readonly subscription: Subscription }
  | { readonly state: 're-enabled'; readonly subscription: Subscription; readonly was: Subscription }
  | { readonly state: 'missing' };

export interface SubscriptionHealthOptions {
  readonly subscriptions: Pick<Subscriptions, 'get' | 'enable'>;
  readonly subscriptionId: () => string;
  /** Called when the webhooks missed events, so polling fills the gap now. */
  readonly onGap: () => void;
  readonly onAlert: (message: string) => void;
}

export class SubscriptionHealth {

  constructor(private readonly options: SubscriptionHealthOptions) {}

  async check(): Promise<HealthOutcome> {
    const id = this.options.subscriptionId();
    let subscription: Subscription;
    try {
      subscription = await this.options.subscriptions.get(id);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      this.options.onAlert(`webhook subscription ${id} is gone (deleted outside eventsync?); polling carries on alone`);
      this.options.onGap();
      return { state: 'missing' };
    }
    if (subscription.active) return { state: 'healthy', subscription };
    const cause = subscription.auto_disabled_at
      ? `the API's circuit breaker disabled it at ${subscription.auto_disabled_at} after ${subscription.consecutive_failures} failed deliveries`
      : 'it was disabled';
    this.options.onAlert(`webhook subscription ${id} was inactive: ${cause}. Re-enabling it; polling fills the gap from the checkpoint.`);
    let enabled: Subscription;
    try {
      enabled = await this.options.subscriptions.enable(id);
    } finally {
      // Whether or not the enable went through: polling fills the gap either way.
      this.options.onGap();
    }
    return { state: 're-enabled', subscription: enabled, was: subscription };
  }
}
