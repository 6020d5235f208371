/**
 * One writer per source in a SQLite file: a row of `<prefix>writers` names the process that
 * may write a source (a random token, its pid and host, a heartbeat). Why a row and not a lock,
 * and why it cannot let two writers interleave, is in sqlite-storage.ts's header.
 *
 * A claim is refused while the row's holder is alive: its heartbeat is younger than LEASE_MS,
 * unless it ran on this host and its pid is gone (a `kill -9` frees the source at once).
 * Every commit checks, inside its own write transaction, that the row still holds this
 * process's token; a holder that lost its claim (suspended past LEASE_MS, then taken over)
 * finds out there and commits nothing.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type BetterSqlite3 from 'better-sqlite3';
import { StorageError } from '../errors.js';

/** A holder whose heartbeat is older than this is taken for dead. */
export const LEASE_MS = 30_000;
/** Three heartbeats per lease: one slow or failed write does not lose it. */
export const HEARTBEAT_MS = LEASE_MS / 3;

interface Holder {
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly started_at: string;
  readonly heartbeat_at: string;
}

export class WriterLease {
  private readonly token = randomUUID();
  private readonly host = hostname();
  private readonly read: BetterSqlite3.Statement<[string], Holder>;
  private readonly upsert: BetterSqlite3.Statement<[string, string, number, string, string, string]>;
  private readonly beat: BetterSqlite3.Statement<[string, string, string]>;
  private readonly remove: BetterSqlite3.Statement<[string, string]>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: BetterSqlite3.Database,
    table: string,
    private readonly source: string,
    private readonly file: string,
  ) {
    this.read = db.prepare(`SELECT token, pid, host, started_at, heartbeat_at FROM "${table}" WHERE source = ?`);
    this.upsert = db.prepare(
      `INSERT INTO "${table}" (source, token, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
         started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    );
    this.beat = db.prepare(`UPDATE "${table}" SET heartbeat_at = ? WHERE source = ? AND token = ?`);
    this.remove = db.prepare(`DELETE FROM "${table}" WHERE source = ? AND token = ?`);
  }

  /**
   * Takes the source for this process and starts the heartbeat.
   * @throws StorageError naming the live holder and what to do.
   */
  claim(): void {
    this.db
      .transaction(() => {
        const holder = this.read.get(this.source);
        if (holder && this.alive(holder)) throw this.refusal(holder);
        const now = new Date().toISOString();
        this.upsert.run(this.source, this.token, process.pid, this.host, now, now);
      })
      .immediate();
    // A lapsed heartbeat loses nothing by itself (the commit checks); unref so it never keeps a process alive.
    this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_MS).unref();
  }

  /** Call inside the commit's write transaction: throws when another process has taken the source. */
  assertHeld(): void {
    const holder = this.read.get(this.source);
    if (holder?.token === this.token) return;
    const who = holder ? `another sync (${describe(holder)}) took it over` : 'its writer row was deleted';
    throw new StorageError(
      `could not commit to the SQLite database ${this.file}: this process no longer holds source "${this.source}": ${who} after this ` +
        `process's heartbeat lapsed (none for ${LEASE_MS / 1000} s: was it suspended?). Nothing of this commit was kept; stop one of the two syncs.`,
      this.file,
      undefined,
    );
  }

  /** Gives the source up; a failure to delete the row is harmless (this pid is gone soon, which frees it). */
  release(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    try {
      this.remove.run(this.source, this.token);
    } catch {
      // A full disk or a lock: the row stays, and is stale as soon as this process exits.
    }
  }

  private heartbeat(): void {
    try {
      this.beat.run(new Date().toISOString(), this.source, this.token);
    } catch {
      // The next beat tries again; should the lease lapse meanwhile, the next commit says so.
    }
  }

  private alive(holder: Holder): boolean {
    if (Date.now() - Date.parse(holder.heartbeat_at) > LEASE_MS) return false;
    return holder.host !== this.host || processExists(holder.pid);
  }

  private refusal(holder: Holder): StorageError {
    return new StorageError(
      `could not open the SQLite database ${this.file}: another sync is writing source "${this.source}" (${describe(holder)}), ` +
        'and two writers of one source must not interleave. Stop that one first, or give this one another source. ' +
        `Should it have died on another host, its claim lapses ${LEASE_MS / 1000} s after its last heartbeat.`,
      this.file,
      undefined,
    );
  }
}

function describe(holder: Holder): string {
  const ago = Math.max(0, Math.round((Date.now() - Date.parse(holder.heartbeat_at)) / 1000));
  return `pid ${holder.pid} on host ${holder.host}, since ${holder.started_at}, last heartbeat ${ago} s ago`;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    // EPERM: it exists but belongs to another user.
    return (thrown as NodeJS.ErrnoException).code === 'EPERM';
  }
}
