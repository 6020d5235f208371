/**
 * Events and their checkpoint in one SQLite file (better-sqlite3): exactly once, with the
 * database as the only state.
 *
 * A commit is one `BEGIN IMMEDIATE` transaction: check that this process still holds the
 * source, insert the new events (`ON CONFLICT DO NOTHING`, one prepared statement), upsert the
 * source's checkpoint row. It commits whole or not at all, whatever fails (a full disk, a lock,
 * a `kill -9`). Its cost is its events plus one row: the ids at or after the watermark are not
 * written with the checkpoint, they are selected from the events on open (storage.ts).
 *
 * Durability: WAL mode with `synchronous = FULL`, so each commit fsyncs the WAL before it
 * returns, and a commit that returned survives power loss. With `NORMAL` the WAL is fsynced
 * only at checkpoints: the file stays consistent (a lost commit takes its checkpoint with it,
 * and the next run fetches those events from the feed again), but rows that a user's query or
 * a downstream job has already read could vanish on power loss and come back later, and
 * after a long outage the feed may no longer hold them. One fsync per commit is the price;
 * commits are pages and webhook groups, not single events.
 *
 * One writer per source: SQLite's lock is per file, held only for a transaction, and several
 * sources may share a file, so it cannot say "this source is being synced". Holding a write
 * transaction open for the whole sync would say it, but would stop every other source (and
 * every other writer) in the file. A lock file per source would need a file beside the
 * database for each source, and a lock's holder cannot be named in the message. So each
 * source has a row in `<prefix>writers`: pid, host and heartbeat of its writer, claimed in a
 * `BEGIN IMMEDIATE` transaction and refused while another live holder has it (see
 * sqlite-lease.ts for "live"). A row can outlive a crash, which is why liveness is judged by
 * pid on this host and by heartbeat elsewhere; and since a suspended process could lose its
 * claim without knowing, every commit checks the token inside its own transaction, so two
 * writers can never interleave, even then.
 *
 * better-sqlite3 is synchronous: a commit holds the event loop for its fsync (0.4 to 2.5 ms a
 * commit on this project's machines, bench/sqlite-storage.ts), and a lock held elsewhere for
 * up to the busy timeout. The module is loaded when a storage opens, so code that never uses
 * SQLite never loads it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../errors.js';
import type { CommittedState, EventStorage, StoredEvent } from '../storage.js';
import { checkDirectory, sqliteFailure, type FailureContext } from './sqlite-failure.js';
import { assertPeerInstalled } from './optional-peer.js';
import { WriterLease } from './sqlite-lease.js';
import { migrate } from './sqlite-schema.js';
import { tableNames, type Tables } from './sqlite-tables.js';

export interface SqliteStorageOptions {
  /** The database file; created when missing (its directory must exist). */
  readonly path: string;
  /** The connection's name: the `source` of every row this storage writes and reads. */
  readonly source: string;
  /** Default `eventsync_`: tables `eventsync_events`, `eventsync_checkpoints`, ... Letters, digits and `_`. */
  readonly tablePrefix?: string;
  /** How long to wait for a lock another connection holds before failing. Default 5 s. */
  readonly busyTimeoutMs?: number;
}

/** The checkpoint column's JSON: the watermark and what it belongs to. Ids come from the events. */
interface CheckpointRow {
  readonly watermark: string | null;
  readonly fingerprint?: Readonly<Record<string, unknown>>;
}

type EventRow = [source: string, id: string, type: string, createdAt: string, data: string, channel: string, receivedAt: string];

/** What exists only while the storage is open. */
interface Open {
  readonly db: BetterSqlite3.Database;
  readonly lease: WriterLease;
  readonly commit: (events: readonly StoredEvent[], checkpoint: string, receivedAt: string) => void;
  readonly checkpoint: BetterSqlite3.Statement<[string], { checkpoint: string }>;
  readonly seen: BetterSqlite3.Statement<[string, string], [string, string]>;
}

const PREFIX = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `toISOString`'s spelling, in which the API sends times: kept as they are. */
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A time spelled one way (`toISOString`'s), so that times sort and compare as text. The
 * spelling is checked first: parsing and printing every event's time took a tenth of the
 * time of a 100-event commit (bench/sqlite-storage.ts).
 */
function timeText(time: string): string {
  return CANONICAL_TIME.test(time) ? time : new Date(time).toISOString();
}

/**
 * Switches the file to WAL mode (a no-op once it is), waiting up to `timeoutMs` for other
 * connections as SQLite's busy timeout would. SQLite cannot use the busy timeout here: the
 * switch reads the file, then needs it to itself, and a connection that holds a read lock
 * and waits for another's write lock could wait forever (two processes switching a new file
 * at once), so SQLite fails it with SQLITE_BUSY at once. Releasing the read lock and trying
 * again is the way out it leaves to the caller.
 */
async function enterWalMode(db: BetterSqlite3.Database, timeoutMs: number): Promise<void> {
  // The monotonic clock: a wall clock stepped by NTP meanwhile would stretch or cut the wait.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (thrown) {
      if ((thrown as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw thrown;
    }
    // Jittered, so that two processes that collided do not collide again in step.
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

export class SqliteStorage implements EventStorage {
  readonly guarantee = 'exactly-once';
  readonly description: string;
  private readonly path: string;
  private readonly source: string;
  private readonly tables: Tables;
  private readonly busyTimeoutMs: number;
  private state: Open | undefined;
  /** As first committed (storage.ts): later commits keep it. */
  private fingerprint: Readonly<Record<string, unknown>> | undefined;

  /** @throws ConfigError for an empty source or a table prefix SQL would need quoting for. */
  constructor(options: SqliteStorageOptions) {
    const prefix = options.tablePrefix ?? 'eventsync_';
    if (!PREFIX.test(prefix)) throw new ConfigError(`the table prefix must be letters, digits and _ (not starting with a digit), not ${JSON.stringify(prefix)}`, 'tablePrefix');
    if (!options.source) throw new ConfigError('the SQLite storage needs a source: the name its rows are kept under', 'source');
    assertPeerInstalled('better-sqlite3', 'a SQLite sink', 'path');
    this.path = options.path;
    this.source = options.source;
    this.tables = tableNames(prefix);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    this.description = `${this.path} (table ${this.tables.events}, source "${this.source}")`;
  }

  async open(): Promise<CommittedState> {
    if (this.state) throw new Error(`the SQLite storage ${this.description} is already open`);
    checkDirectory(this.path);
    const { default: Driver } = await import('better-sqlite3');
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Driver(this.path, { timeout: this.busyTimeoutMs });
      await enterWalMode(db, this.busyTimeoutMs);
      db.pragma('synchronous = FULL');
      migrate(db, this.tables, this.path, Driver);
      const lease = new WriterLease(db, this.tables.writers, this.source, this.path);
      const state = this.prepare(db, lease);
      lease.claim();
      this.state = state;
    } catch (thrown) {
      db?.close();
      throw this.failure(thrown, 'open', 'Nothing was written.');
    }
    try {
      return await this.recover();
    } catch (thrown) {
      await this.close();
      throw thrown;
    }
  }

  async commit(events: readonly StoredEvent[], watermark: string | null, fingerprint?: Readonly<Record<string, unknown>>): Promise<void> {
    const state = this.opened();
    const kept = this.fingerprint ?? fingerprint;
    const checkpoint: CheckpointRow = { watermark: watermark === null ? null : timeText(watermark), fingerprint: kept };
    try {
      state.commit(events, JSON.stringify(checkpoint), new Date().toISOString());
    } catch (thrown) {
      throw this.failure(thrown, 'commit to', 'Nothing of this commit was kept; fix that and run again to resume.');
    }
    this.fingerprint = kept;
  }

  /** A failed commit was rolled back whole, so there is nothing to undo: read the committed state again. */
  async recover(): Promise<CommittedState> {
    const state = this.opened();
    try {
      if (state.db.inTransaction) state.db.exec('ROLLBACK');
      const row = state.checkpoint.get(this.source);
      const checkpoint: CheckpointRow | undefined = row ? (JSON.parse(row.checkpoint) as CheckpointRow) : undefined;
      const watermark = checkpoint?.watermark ?? null;
      // Before the first watermark every stored event counts; '' sorts before any time.
      const seen = state.seen.all(this.source, watermark ?? '');
      this.fingerprint = checkpoint?.fingerprint;
      return { watermark, seen, fingerprint: this.fingerprint };
    } catch (thrown) {
      throw this.failure(thrown, 'read the committed state from', 'Nothing was written.');
    }
  }

  async close(): Promise<void> {
    const state = this.state;
    if (!state) return;
    this.state = undefined;
    state.lease.release();
    state.db.close();
  }

  private prepare(db: BetterSqlite3.Database, lease: WriterLease): Open {
    const { events, checkpoints } = this.tables;
    const insert = db.prepare<EventRow>(
      `INSERT INTO "${events}" (source, id, type, created_at, data, channel, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, id) DO NOTHING`,
    );
    const upsert = db.prepare<[string, string, string]>(
      `INSERT INTO "${checkpoints}" (source, checkpoint, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
    );
    const transaction = db.transaction((batch: readonly StoredEvent[], checkpoint: string, receivedAt: string) => {
      lease.assertHeld();
      for (const { event, channel } of batch) {
        insert.run(this.source, event.id, event.type, timeText(event.created_at), JSON.stringify(event.data ?? null), channel, receivedAt);
      }
      upsert.run(this.source, checkpoint, receivedAt);
    });
    return {
      db,
      lease,
      // IMMEDIATE: the write lock from the start, so the lease check holds for the whole transaction.
      commit: (batch, checkpoint, receivedAt) => transaction.immediate(batch, checkpoint, receivedAt),
      checkpoint: db.prepare<[string], { checkpoint: string }>(`SELECT checkpoint FROM "${checkpoints}" WHERE source = ?`),
      seen: db.prepare<[string, string], [string, string]>(`SELECT id, created_at FROM "${events}" WHERE source = ? AND created_at >= ?`).raw(),
    };
  }

  private opened(): Open {
    if (!this.state) throw new Error(`the SQLite storage ${this.description} is not open`);
    return this.state;
  }

  private failure(thrown: unknown, doing: FailureContext['doing'], after: string): Error {
    return sqliteFailure(thrown, { file: this.path, doing, after, busyTimeoutMs: this.busyTimeoutMs });
  }
}
