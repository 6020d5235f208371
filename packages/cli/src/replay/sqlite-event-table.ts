/**
 * The SQLite sink's events table (packages/core/src/node/sqlite-schema.ts), opened read-only
 * for replay: SQLite itself refuses any write on this connection, so the checkpoint and
 * writer rows a running sync keeps cannot be touched. Times are stored as `toISOString` text,
 * so they compare and sort as text, and an ISO time from the selection compares as it is.
 *
 * Every query is short (better-sqlite3 is synchronous): in WAL mode a reader never waits for
 * the sync's commits, and a read finished before the next page leaves the WAL free to be
 * checkpointed.
 */
import { existsSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { StorageError } from '@eventsync/core';
import { sqliteFailure, sqliteTableNames } from '@eventsync/core/node';
import type { EventTable, RowKey, TableRow } from './event-table-reader.js';
import type { ReplaySelection } from './sink-readers.js';

/** How long a query waits for a lock (a WAL reader meets one only while the file is being recovered). */
const BUSY_TIMEOUT_MS = 5_000;
const AFTER = 'Replay only reads the database: nothing in it was changed.';

interface EventRow {
  readonly id: string;
  readonly type: string;
  readonly created_at: string;
  readonly data: string;
}

/** @throws StorageError when the file or the table is missing, or SQLite cannot read it. */
export async function openSqliteEventTable(path: string, tablePrefix: string): Promise<EventTable> {
  if (!existsSync(path)) throw new StorageError(`there is no SQLite database at ${path}: name the sync's database with --sink sqlite:<path>`, path, 'ENOENT');
  const events = sqliteTableNames(tablePrefix).events;
  const fail = (thrown: unknown): StorageError => sqliteFailure(thrown, { file: path, doing: 'read events from', after: AFTER, busyTimeoutMs: BUSY_TIMEOUT_MS });
  const { default: Driver } = await import('better-sqlite3');
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Driver(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    if (!db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(events)) {
      throw new StorageError(
        `the SQLite database ${path} has no table ${events}: pass the --table-prefix the sync wrote with (default eventsync_), or check --sink`,
        path,
        undefined,
      );
    }
  } catch (thrown) {
    db?.close();
    throw fail(thrown);
  }
  return new SqliteEventTable(db, path, events, fail);
}

class SqliteEventTable implements EventTable {
  readonly description: string;
  readonly namedBy = '--table-prefix';
  /** Statements by their text: a replay runs the same few over and over. */
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    path: string,
    private readonly events: string,
    private readonly fail: (thrown: unknown) => StorageError,
  ) {
    this.description = `${path} (table ${events})`;
  }

  async holds(source: string): Promise<boolean> {
    return this.run(() => this.statement(`SELECT 1 FROM "${this.events}" WHERE source = ? LIMIT 1`).get(source) !== undefined);
  }

  async sources(limit: number): Promise<string[]> {
    // One index seek per source (the index on (source, created_at)), however many rows each has.
    const sql = `WITH RECURSIVE found(source) AS (
        SELECT min(source) FROM "${this.events}"
        UNION ALL SELECT (SELECT min(source) FROM "${this.events}" WHERE source > found.source) FROM found WHERE found.source IS NOT NULL)
      SELECT source FROM found WHERE source IS NOT NULL LIMIT ?`;
    return this.run(() => (this.statement(sql).pluck().all(limit) as string[]));
  }

  async extent(source: string, selection: ReplaySelection): Promise<{ count: number; last: RowKey | undefined }> {
    const [where, parameters] = selected(source, selection);
    return this.run(() => {
      const { count } = this.statement(`SELECT count(*) AS count FROM "${this.events}" WHERE ${where}`).get(...parameters) as { count: number };
      const last = this.statement(`SELECT created_at AS at, id FROM "${this.events}" WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT 1`).get(...parameters) as
        | RowKey
        | undefined;
      return { count, last };
    });
  }

  async page(source: string, selection: ReplaySelection, after: RowKey, last: RowKey, limit: number): Promise<TableRow[]> {
    // Bounded by the keys alone (`after` starts at --since, `last` is within --until): with a
    // second lower bound beside `created_at >= ?` SQLite may range the index from --since,
    // and every page would scan all the rows before it again (reading 1M rows: 80 s, not 3 s).
    const [types, typeParameters] = ofTypes(selection.types);
    const sql = `SELECT id, type, created_at, data FROM "${this.events}"
      WHERE source = ? AND created_at >= ? AND (created_at > ? OR id > ?) AND created_at <= ? AND (created_at < ? OR id <= ?)${types}
      ORDER BY created_at, id LIMIT ?`;
    const parameters = [source, after.at, after.at, after.id, last.at, last.at, last.id, ...typeParameters, limit];
    const rows = this.run(() => this.statement(sql).all(...parameters) as EventRow[]);
    return rows.map((row) => ({
      event: { id: row.id, type: row.type, created_at: row.created_at, data: JSON.parse(row.data) as Record<string, unknown> },
      key: { at: row.created_at, id: row.id },
    }));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private run<T>(query: () => T): T {
    try {
      return query();
    } catch (thrown) {
      throw this.fail(thrown);
    }
  }
}

/** The selection as a WHERE clause on the source's rows, and its parameters. */
function selected(source: string, { since, until, types }: ReplaySelection): [string, unknown[]] {
  let where = 'source = ? AND created_at >= ?';
  const parameters: unknown[] = [source, new Date(since).toISOString()];
  if (until !== undefined) {
    where += ' AND created_at < ?';
    parameters.push(new Date(until).toISOString());
  }
  const [clause, typeParameters] = ofTypes(types);
  return [where + clause, [...parameters, ...typeParameters]];
}

/** ` AND type IN (...)` and its parameters; nothing for all types. */
function ofTypes(types: readonly string[]): [string, string[]] {
  return types.length === 0 ? ['', []] : [` AND type IN (${types.map(() => '?').join(', ')})`, [...types]];
}
