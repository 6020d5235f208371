/**
 * Where synced events live, together with the checkpoint that says how far they reach. A
 * storage owns its checkpoint: `commit` makes the new events and the new watermark durable
 * together, or neither, so the checkpoint can never point past what is stored, nor what is
 * stored lie outside it.
 *
 * The checkpoint is a watermark W plus the ids stored at or after it (checkpoint.ts). A
 * storage persists W; the ids it can recover from the events it holds (a database selects
 * them, the NDJSON file reads its tail), so a commit costs what its events cost, not what
 * the checkpoint holds. Storages that cannot read their events back (stdout, a forwarding
 * handler) keep the ids beside W and promise at-least-once instead.
 */
import type { EventEnvelope } from './types.js';

/** How an event reached the storage. */
export type Channel = 'poll' | 'webhook';

export interface StoredEvent {
  readonly event: EventEnvelope;
  readonly channel: Channel;
}

/** What a storage has committed: the checkpoint, and what it belongs to. */
export interface CommittedState {
  /** ISO 8601: every event created before it is stored; null before the first page. */
  readonly watermark: string | null;
  /** `[id, created_at]` of the stored events whose `created_at >= watermark`. */
  readonly seen: ReadonlyArray<readonly [string, string]>;
  /** What the committed state belongs to (API origin, base path, types), as first committed; undefined when nothing was. */
  readonly fingerprint: Readonly<Record<string, unknown>> | undefined;
}

/**
 * `exactly-once`: every event is stored once, whatever crashes when. `at-least-once`: after a
 * crash, events since the last commit may be stored again (they cannot be taken back).
 */
export type StorageGuarantee = 'exactly-once' | 'at-least-once';

export interface EventStorage {
  readonly guarantee: StorageGuarantee;
  /** Where the events go, for messages: a path, a database and table, stdout. Never a password. */
  readonly description: string;
  /**
   * Makes the storage ready and returns what it has committed: takes the single-writer lock
   * for this source (failing with a StorageError that names the other writer when it cannot),
   * creates or migrates what it needs, and undoes whatever a crash left past the last commit.
   */
  open(): Promise<CommittedState>;
  /**
   * Stores `events` (never committed before: the caller filters them) and moves the
   * watermark, durably and together. `fingerprint` is kept with the checkpoint. When it
   * throws, nothing of it counts: call `recover` before the next commit.
   */
  commit(events: readonly StoredEvent[], watermark: string | null, fingerprint?: Readonly<Record<string, unknown>>): Promise<void>;
  /** After a failed commit: undoes what it left and returns the committed state again. */
  recover(): Promise<CommittedState>;
  /** Releases the lock and connections; commits nothing. */
  close(): Promise<void>;
}
