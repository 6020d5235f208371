/**
 * Webhook subscriptions (docs/api-contract.md, Webhook subscriptions) and each one's
 * failures audit. Only storage: the routes validate, the delivery engine updates counters.
 * Subscriptions list oldest first by a creation sequence; failures list newest first by
 * their own sequence, so paging stays stable while new ones are added.
 */
import type { CreatedSubscription, DeliveryFailure, ManagedBy, Subscription } from '@eventsync/core';
import { isoTime } from './time.js';

/** The API's views, from core: the sandbox stores more (secret, counters' history) but shows these. */
export type SubscriptionView = Subscription;
export type SubscriptionWithSecret = CreatedSubscription;
export { MANAGED_BY as MANAGERS, type DeliveryFailure, type ManagedBy } from '@eventsync/core';

export interface StoredSubscription {
  readonly id: string;
  /** Creation order: listing and "events created after the subscription" both use it. */
  readonly seq: number;
  readonly secret: string;
  readonly createdMs: number;
  url: string;
  events: string[];
  description: string | null;
  readonly managedBy: ManagedBy | null;
  active: boolean;
  consecutiveFailures: number;
  autoDisabledMs: number | null;
  readonly failures: FailureRow[];
}

interface FailureRow {
  readonly seq: number;
  readonly failure: DeliveryFailure;
}

export interface NewSubscription {
  readonly id: string;
  readonly secret: string;
  readonly url: string;
  readonly events: string[];
  readonly description: string | null;
  readonly managedBy: ManagedBy | null;
  readonly createdMs: number;
}

/** Failed attempts kept per subscription (oldest dropped), so a dead endpoint costs bounded memory. */
export const FAILURES_KEPT = 1000;

export class SubscriptionStore {
  private readonly byId = new Map<string, StoredSubscription>();
  private created = 0;
  private failureSeq = 0;

  get size(): number {
    return this.byId.size;
  }

  /** How many subscriptions were ever created: the `seq` the next one will get. */
  get nextSeq(): number {
    return this.created;
  }

  add(input: NewSubscription): StoredSubscription {
    const stored: StoredSubscription = {
      id: input.id,
      seq: this.created++,
      secret: input.secret,
      createdMs: input.createdMs,
      url: input.url,
      events: [...input.events],
      description: input.description,
      managedBy: input.managedBy,
      active: true,
      consecutiveFailures: 0,
      autoDisabledMs: null,
      failures: [],
    };
    this.byId.set(stored.id, stored);
    return stored;
  }

  get(id: string): StoredSubscription | undefined {
    return this.byId.get(id);
  }

  delete(id: string): boolean {
    return this.byId.delete(id);
  }

  /** Every subscription, oldest first. */
  all(): StoredSubscription[] {
    return [...this.byId.values()];
  }

  /** Oldest first, strictly after creation sequence `after` (-1: from the start). */
  page(after: number, limit: number): { items: StoredSubscription[]; hasMore: boolean } {
    const items: StoredSubscription[] = [];
    for (const subscription of this.byId.values()) {
      if (subscription.seq <= after) continue;
      if (items.length === limit) return { items, hasMore: true };
      items.push(subscription);
    }
    return { items, hasMore: false };
  }

  addFailure(subscription: StoredSubscription, failure: DeliveryFailure): void {
    if (subscription.failures.length >= FAILURES_KEPT) subscription.failures.splice(0, FAILURES_KEPT / 10);
    subscription.failures.push({ seq: this.failureSeq++, failure });
  }

  /** Newest first, strictly older than failure sequence `before` (undefined: from the newest). */
  failurePage(
    subscription: StoredSubscription,
    before: number | undefined,
    limit: number,
  ): { items: DeliveryFailure[]; hasMore: boolean; lastSeq: number | undefined } {
    const rows = subscription.failures;
    let index = rows.length - 1;
    if (before !== undefined) {
      // Rows are sorted by seq: find the last one below `before`.
      let low = 0;
      let high = rows.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (rows[mid]!.seq < before) low = mid + 1;
        else high = mid;
      }
      index = low - 1;
    }
    const items: DeliveryFailure[] = [];
    let lastSeq: number | undefined;
    for (; index >= 0 && items.length < limit; index--) {
      items.push(rows[index]!.failure);
      lastSeq = rows[index]!.seq;
    }
    return { items, hasMore: index >= 0, lastSeq };
  }
}

export function view(subscription: StoredSubscription): SubscriptionView {
  return {
    id: subscription.id,
    url: subscription.url,
    events: [...subscription.events],
    description: subscription.description,
    managed_by: subscription.managedBy,
    active: subscription.active,
    consecutive_failures: subscription.consecutiveFailures,
    auto_disabled_at: subscription.autoDisabledMs === null ? null : isoTime(subscription.autoDisabledMs),
    created_at: isoTime(subscription.createdMs),
  };
}

export function viewWithSecret(subscription: StoredSubscription): SubscriptionWithSecret {
  return { ...view(subscription), secret: subscription.secret };
}

/** Whether an event of `type` goes to this subscription (its list, or `*`). */
export function subscribesTo(subscription: StoredSubscription, type: string): boolean {
  return subscription.events.includes('*') || subscription.events.includes(type);
}
