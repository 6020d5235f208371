/**
 * Numbered batches of events for the SQLite storage's tests and benchmark: batch n holds
 * `size` events created within second n after BASE, and committing it moves the watermark to
 * second n + 1. So a recovered watermark says exactly which batches are committed.
 */
import type { StoredEvent } from '../../src/storage.js';

const BASE_MS = Date.parse('2026-11-01T00:00:00.000Z');
const BATCH_MS = 1_000;

export function batch(n: number, size = 16, padding = 0): StoredEvent[] {
  return Array.from({ length: size }, (_, i) => ({
    event: {
      id: `evt_${n}_${i}`,
      type: 'customer.created',
      created_at: new Date(BASE_MS + n * BATCH_MS + i).toISOString(),
      data: { n, i, pad: 'x'.repeat(padding) },
    },
    channel: i % 2 === 0 ? 'poll' : 'webhook',
  }));
}

/** The watermark once batch n is committed: every batch before n + 1 is stored. */
export function watermarkAfter(n: number): string {
  return new Date(BASE_MS + (n + 1) * BATCH_MS).toISOString();
}

/** How many batches a watermark says are committed. */
export function batchesBelow(watermark: string | null): number {
  return watermark === null ? 0 : (Date.parse(watermark) - BASE_MS) / BATCH_MS;
}

/** The ids of batches 0 .. count - 1, sorted. */
export function idsOfBatches(count: number, size = 16): string[] {
  return Array.from({ length: count }, (_, n) => batch(n, size).map(({ event }) => event.id))
    .flat()
    .sort();
}
