/**
 * Tool-managed webhook subscriptions (docs/api-contract.md, Webhook subscriptions). The
 * secret comes back from `create` once, to the caller and nowhere else: the API never
 * shows it again.
 */
import type { ApiClient } from './client.js';
import { PAGE_LIMIT_MAX } from './config.js';
import { InvalidInputError, NotFoundError } from './errors.js';
import type { WriteOptions } from './records.js';
import type { ManagedBy } from './config.js';
import type { CreatedSubscription, DeliveryFailure, Page, Subscription, TestDelivery } from './types.js';

export interface SubscriptionInput {
  readonly url: string;
  /** Event types, or `['*']` for all. */
  readonly events: readonly string[];
  readonly description?: string;
  /** The tool that owns it; others then cannot change its URL or events. */
  readonly managedBy?: ManagedBy;
}

export interface SubscriptionPatch {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly description?: string;
  readonly active?: boolean;
}

export interface ListOptions {
  readonly limit?: number;
  readonly cursor?: string | null;
}

export class Subscriptions {
  constructor(private readonly api: ApiClient) {}

  private get path(): string {
    return this.api.config.preset.subscriptionsPath;
  }

  async create(input: SubscriptionInput, options: WriteOptions = {}): Promise<CreatedSubscription> {
    if (input.events.length === 0) throw new InvalidInputError('a subscription needs at least one event type, or ["*"] for all', 'events');
    return this.api.request<CreatedSubscription>({
      method: 'POST',
      path: this.path,
      body: {
        url: input.url,
        events: input.events,
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.managedBy === undefined ? {} : { managed_by: input.managedBy }),
      },
      ...options,
    });
  }

  async list(options: ListOptions = {}): Promise<Page<Subscription>> {
    return this.api.request<Page<Subscription>>({ method: 'GET', path: this.path, query: pageQuery(options) });
  }

  /** Every subscription, across pages. */
  async *iterate(): AsyncGenerator<Subscription> {
    yield* paginate((cursor) => this.list({ limit: PAGE_LIMIT_MAX, cursor }));
  }

  async get(id: string): Promise<Subscription> {
    return this.api.request<Subscription>({ method: 'GET', path: `${this.path}/${pathId(id)}` });
  }

  async update(id: string, patch: SubscriptionPatch): Promise<Subscription> {
    return this.api.request<Subscription>({ method: 'PATCH', path: `${this.path}/${pathId(id)}`, body: patch });
  }

  /** Re-enabling also resets the failure count and the circuit breaker's `auto_disabled_at`. */
  async enable(id: string): Promise<Subscription> {
    return this.update(id, { active: true });
  }

  async disable(id: string): Promise<Subscription> {
    return this.update(id, { active: false });
  }

  /** Deletes it; a 404 counts as success, since what the caller wanted is true: it is gone. */
  async delete(id: string): Promise<{ readonly deleted: boolean }> {
    try {
      await this.api.request<void>({ method: 'DELETE', path: `${this.path}/${pathId(id)}` });
      return { deleted: true };
    } catch (error) {
      if (error instanceof NotFoundError) return { deleted: false };
      throw error;
    }
  }

  /** Sends a `webhook.test` delivery now and reports how the endpoint answered. */
  async test(id: string): Promise<TestDelivery> {
    return this.api.request<TestDelivery>({ method: 'POST', path: `${this.path}/${pathId(id)}/test`, body: {} });
  }

  async failures(id: string, options: ListOptions = {}): Promise<Page<DeliveryFailure>> {
    return this.api.request<Page<DeliveryFailure>>({ method: 'GET', path: `${this.path}/${pathId(id)}/failures`, query: pageQuery(options) });
  }

  /** Every recorded failure, newest first, across pages. */
  async *iterateFailures(id: string): AsyncGenerator<DeliveryFailure> {
    yield* paginate((cursor) => this.failures(id, { limit: PAGE_LIMIT_MAX, cursor }));
  }
}

async function* paginate<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const page: Page<T> = await fetchPage(cursor);
    yield* page.data;
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
}

function pageQuery(options: ListOptions): Record<string, string | number | undefined> {
  return options.cursor ? { cursor: options.cursor } : { limit: options.limit };
}

function pathId(id: string): string {
  if (typeof id !== 'string' || id.trim() === '') throw new InvalidInputError('a subscription id is required', 'id');
  return encodeURIComponent(id);
}
