/**
 * The Postgres sink's events table (packages/core/src/node/postgres-layout.ts) read for
 * replay over one connection of its own, made read-only for the session
 * (`default_transaction_read_only`): only SELECTs run, and Postgres would refuse anything
 * else, so the checkpoint rows and the writer's advisory lock of a running sync are left alone.
 *
 * Times: the key of a row carries created_at to the microsecond as text (timestamptz can hold
 * more than the milliseconds the API sends), so the next page starts exactly after it; the
 * event's created_at is that time cut to milliseconds, as the API spells it. Ids compare
 * under the "C" collation, byte by byte, so the order does not depend on the database's
 * locale and is the SQLite sink's order too.
 *
 * Plans: a page must be an index scan on (source, created_at) from the cursor, with ties
 * sorted as they come (incremental sort), stopping after its rows. A table not yet analyzed
 * (a backfill just filled it, autovacuum has not come round) makes the planner guess a
 * handful of rows, and it then collects every row from the cursor to the end and sorts them,
 * for every page. Reading 1M rows (without sending them) took 62 s that way and 9 s by the
 * index, so this session turns bitmap scans and full sorts off.
 */
import type { Client } from 'pg';
import { DatabaseStorageError, StorageError, type EventEnvelope } from '@eventsync/core';
import { PostgresLayout, PostgresTarget, postgresFailure } from '@eventsync/core/node';
import type { EventTable, RowKey, TableRow } from './event-table-reader.js';
import type { ReplaySelection } from './sink-readers.js';

const AFTER = 'Replay only reads the database: nothing in it was changed.';
/** created_at in UTC to the microsecond, e.g. 2026-11-01T00:00:00.123456Z. */
const AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface PostgresTableOptions {
  readonly url: string;
  readonly schema: string;
  readonly tablePrefix: string;
}

/** @throws StorageError (a DatabaseStorageError when Postgres failed) when the table cannot be read, or is missing. */
export async function openPostgresEventTable(options: PostgresTableOptions): Promise<EventTable> {
  const target = new PostgresTarget(options.url);
  const layout = new PostgresLayout(options.schema, options.tablePrefix);
  const table = `${layout.schema}.${layout.names.events}`;
  const description = `${target.masked}, table ${table}`;
  const fail = (error: unknown): StorageError => {
    if (error instanceof StorageError) return error;
    if ((error as { code?: unknown }).code === '42501') {
      return new DatabaseStorageError(
        `user "${target.user}" may not read table ${table} in database "${target.database}" (42501). Grant it: GRANT USAGE ON SCHEMA "${layout.schema}" TO "${target.user}"; GRANT SELECT ON ${layout.events} TO "${target.user}"`,
        description,
        'permission',
        '42501',
      );
    }
    return postgresFailure(error, { target, where: description, after: AFTER });
  };
  const { Client } = await import('pg');
  const client = new Client({ connectionString: options.url, connectionTimeoutMillis: 10_000, keepAlive: true, application_name: 'eventsync replay' });
  // A socket that drops between queries would emit an 'error' nobody handles (a crash); the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SET default_transaction_read_only = on');
    // Index order, not a sort of everything after the cursor: see the header.
    await client.query('SET enable_bitmapscan = off; SET enable_sort = off');
    const { rows } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [layout.events]);
    if (!rows[0]!.found) {
      throw new StorageError(
        `there is no table ${table} at ${target.masked}: pass the --schema and --table-prefix the sync wrote with (default public and eventsync_), or check --sink`,
        description,
        undefined,
      );
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw fail(error);
  }
  return new PostgresEventTable(client, layout, description, fail);
}

class PostgresEventTable implements EventTable {
  readonly namedBy = '--schema and --table-prefix';

  constructor(
    private readonly client: Client,
    private readonly layout: PostgresLayout,
    readonly description: string,
    private readonly fail: (error: unknown) => StorageError,
  ) {}

  async holds(source: string): Promise<boolean> {
    const rows = await this.query<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${this.layout.events} WHERE source = $1) AS found`, [source]);
    return rows[0]!.found;
  }

  async sources(limit: number): Promise<string[]> {
    // One index seek per source (the index on (source, created_at)), however many rows each has.
    const events = this.layout.events;
    const rows = await this.query<{ source: string }>(
      `WITH RECURSIVE found(source) AS (
          SELECT min(source) FROM ${events}
          UNION ALL SELECT (SELECT min(source) FROM ${events} WHERE source > found.source) FROM found WHERE found.source IS NOT NULL)
        SELECT source FROM found WHERE source IS NOT NULL LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.source);
  }

  async extent(source: string, selection: ReplaySelection): Promise<{ count: number; last: RowKey | undefined }> {
    const [where, parameters] = selected(source, selection);
    const [counted] = await this.query<{ count: string }>(`SELECT count(*) AS count FROM ${this.layout.events} WHERE ${where}`, parameters);
    const [last] = await this.query<RowKey>(
      `SELECT ${AT} AS at, id FROM ${this.layout.events} WHERE ${where} ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT 1`,
      parameters,
    );
    return { count: Number(counted!.count), last };
  }

  async page(source: string, selection: ReplaySelection, after: RowKey, last: RowKey, limit: number): Promise<TableRow[]> {
    // Bounded by the keys alone (`after` starts at --since, `last` is within --until), so the
    // index scan starts at `after`, not at --since again for every page.
    const rows = await this.query<{ id: string; type: string; at: string; data: EventEnvelope['data'] }>(
      `SELECT id, type, ${AT} AS at, data FROM ${this.layout.events}
        WHERE source = $1 AND created_at >= $2::timestamptz AND (created_at > $2::timestamptz OR id COLLATE "C" > $3)
          AND created_at <= $4::timestamptz AND (created_at < $4::timestamptz OR id COLLATE "C" <= $5)
          AND ($6::text[] IS NULL OR type = ANY($6::text[]))
        ORDER BY created_at, id COLLATE "C" LIMIT $7`,
      [source, after.at, after.id, last.at, last.id, selection.types.length === 0 ? null : selection.types, limit],
    );
    return rows.map((row) => ({
      event: { id: row.id, type: row.type, created_at: `${row.at.slice(0, 23)}Z`, data: row.data },
      key: { at: row.at, id: row.id },
    }));
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async query<Row extends object>(sql: string, parameters: unknown[]): Promise<Row[]> {
    try {
      return (await this.client.query<Row>(sql, parameters)).rows;
    } catch (error) {
      throw this.fail(error);
    }
  }
}

/** The selection as a WHERE clause on the source's rows, and its parameters ($1, $2, ...). */
function selected(source: string, { since, until, types }: ReplaySelection): [string, unknown[]] {
  let where = 'source = $1 AND created_at >= $2::timestamptz';
  const parameters: unknown[] = [source, new Date(since).toISOString()];
  if (until !== undefined) {
    parameters.push(new Date(until).toISOString());
    where += ` AND created_at < $${parameters.length}::timestamptz`;
  }
  if (types.length > 0) {
    parameters.push(types);
    where += ` AND type = ANY($${parameters.length}::text[])`;
  }
  return [where, parameters];
}
