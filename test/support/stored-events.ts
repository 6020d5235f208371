/** Events as a storage receives them, made up in bulk for storage tests and benchmarks. */
import type { Channel, StoredEvent } from '@eventsync/core';

export interface MadeEvents {
  /** Number of the first event; ids are `evt_<number>` padded to 8 digits. */
  readonly from?: number;
  /** created_at of the first event; each next one is 1 ms later. Default 2026-11-01T00:00:00.000Z. */
  readonly startMs?: number;
  readonly channel?: Channel;
  /** Characters of filler in each event's data. */
  readonly pad?: number;
}

export const FIRST_CREATED_AT = Date.parse('2026-11-01T00:00:00.000Z');

export function madeEvents(count: number, { from = 0, startMs = FIRST_CREATED_AT, channel = 'poll', pad = 0 }: MadeEvents = {}): StoredEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const number = from + index;
    return {
      channel,
      event: {
        id: `evt_${String(number).padStart(8, '0')}`,
        type: number % 3 === 0 ? 'customer.created' : 'note.created',
        created_at: new Date(startMs + index).toISOString(),
        data: { customer_id: `cus_${number % 97}`, nested: { n: number, tags: ['a', 'b'] }, ...(pad > 0 ? { pad: 'x'.repeat(pad) } : {}) },
      },
    };
  });
}
