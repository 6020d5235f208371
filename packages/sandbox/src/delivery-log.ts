/**
 * A list of delivery attempts with a cap: the oldest tenth goes when it is full, so a
 * long-running sandbox stays bounded. Each tenant's engine keeps one; a sandbox with
 * `tenants` also keeps one of every tenant's attempts together (`sandbox.deliveries`).
 */
import type { DeliveryRecord } from './deliveries.js';

/** At most this many records are kept in `sandbox.deliveries` (oldest dropped). */
export const DELIVERY_LOG_MAX = 200_000;

export class DeliveryLog {
  readonly records: DeliveryRecord[] = [];

  constructor(private readonly max = DELIVERY_LOG_MAX) {}

  add(entry: DeliveryRecord): void {
    if (this.records.length >= this.max) this.records.splice(0, Math.ceil(this.max / 10));
    this.records.push(entry);
  }
}
