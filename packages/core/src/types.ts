/** The shapes on the wire (docs/api-contract.md), shared by client and sandbox. */
import type { ManagedBy, Scope } from './config.js';

/** The event envelope, identical in the feed and in webhook deliveries. */
export interface EventEnvelope<T = Record<string, unknown>> {
  readonly id: string;
  readonly type: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly created_at: string;
  readonly data: T;
}

export interface Page<T> {
  readonly data: T[];
  readonly has_more: boolean;
  readonly next_cursor: string | null;
}

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly request_id?: string;
    readonly required_scope?: string;
    readonly policy?: string;
    readonly field?: string;
    readonly managed_by?: string | null;
    readonly [extra: string]: unknown;
  };
}

export interface Me {
  readonly key: { readonly name: string; readonly last4: string; readonly scopes: Scope[] };
  readonly tenant: { readonly id: string; readonly slug: string };
}

export interface Customer {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly phone: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface Lead {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly source: string | null;
  readonly created_at: string;
}

export interface Note {
  readonly id: string;
  readonly customer_id: string;
  readonly body: string;
  readonly created_at: string;
}

export interface CustomerInput {
  readonly email: string;
  readonly name: string;
  readonly phone?: string | null;
}

export interface LeadInput {
  readonly email: string;
  readonly name: string;
  readonly source?: string | null;
}

export type CustomerPatch = Partial<CustomerInput>;

export interface BatchResult {
  readonly data: Customer[];
}

/** `GET /events` parameters (docs/api-contract.md, Events feed). */
export interface EventQuery {
  /** Inclusive, ISO 8601. */
  readonly since?: string;
  /** Exclusive, ISO 8601. */
  readonly until?: string;
  readonly types?: readonly string[];
  /** 1..100, default 50. */
  readonly limit?: number;
  readonly order?: 'asc' | 'desc';
}

/** A webhook subscription as the API shows it (docs/api-contract.md, Webhook subscriptions): everything but the secret. */
export interface Subscription {
  readonly id: string;
  readonly url: string;
  readonly events: string[];
  readonly description: string | null;
  readonly managed_by: ManagedBy | null;
  readonly active: boolean;
  readonly consecutive_failures: number;
  readonly auto_disabled_at: string | null;
  readonly created_at: string;
}

/** The create answer, the only one that carries the signing secret. */
export interface CreatedSubscription extends Subscription {
  readonly secret: string;
}

/** `POST .../{id}/test`. */
export interface TestDelivery {
  readonly delivery_id: string;
  readonly http_status: number | null;
  readonly duration_ms: number;
  readonly ok: boolean;
}

/** One failed attempt in the failures audit, newest first. */
export interface DeliveryFailure {
  readonly delivery_id: string;
  readonly event_id: string;
  readonly attempt: number;
  readonly http_status: number | null;
  readonly error: string;
  readonly attempted_at: string;
}
