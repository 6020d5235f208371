/** In-memory stand-ins for the sync's store and sink, for unit tests of the SyncEngine. */
import type { CursorStore, EventEnvelope, Sink, SyncState } from '@eventsync/core';

export class MemoryStore implements CursorStore<SyncState<number>> {
  state: SyncState<number> | undefined;
  saves = 0;
  async load() {
    return this.state && structuredClone(this.state);
  }
  async save(state: SyncState<number>) {
    this.saves++;
    this.state = structuredClone(state);
  }
}

export class Crash extends Error {}

/** An append-only log whose position is its length; it may "crash" part-way through a write. */
export class MemorySink implements Sink<number> {
  readonly lines: EventEnvelope[] = [];
  crashRate = 0;
  constructor(private readonly random: () => number) {}
  async recover(position: number | undefined) {
    this.lines.length = position ?? 0;
  }
  async write(events: readonly EventEnvelope[]) {
    if (this.random() < this.crashRate) {
      this.lines.push(...events.slice(0, Math.floor(this.random() * events.length)));
      throw new Crash('killed mid-write');
    }
    this.lines.push(...events);
    return this.lines.length;
  }
  async close() {}
}
