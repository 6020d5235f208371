/**
 * A bounded set of event ids: remembers the newest `capacity` ids and forgets the oldest.
 * It catches a webhook retry or a delivery that the poller also fetched; the checkpoint's
 * own id set covers the feed's look-back.
 */
export interface DedupeStore {
  /** True when the id is new (and now remembered); false when it was seen before. */
  add(id: string): boolean;
  has(id: string): boolean;
}

export class BoundedIdSet implements DedupeStore {
  // A Map keeps insertion order, so the first key is always the oldest.
  private readonly ids = new Map<string, true>();

  constructor(readonly capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive whole number, got ${capacity}`);
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
    return true;
  }
}
