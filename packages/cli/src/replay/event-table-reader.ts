/**
 * A database sink's events table read back for replay, whatever the database: which source to
 * read, then the selected rows in (created_at, id) order, a page at a time by keyset (each
 * page starts after the last row of the one before), so a million rows never sit in memory
 * and no transaction or cursor stays open while the handler takes its time: a sync writing
 * the same database meanwhile is not held up (nor, in SQLite, its WAL kept from shrinking).
 *
 * The end is fixed when reading starts (the selection's last row then), so rows a running
 * sync adds later are not chased; the row count taken at the same moment drives the progress
 * bar. The SQL of each database is in sqlite-event-table.ts and postgres-event-table.ts.
 */
import { StorageError, type EventEnvelope } from '@eventsync/core';
import { UsageError } from '../usage-error.js';
import type { ReadEvent, ReplaySelection, SinkReader } from './sink-readers.js';

/** Where a row sorts: its time as the table spells it (exactly, for the next page's query) and its id. */
export interface RowKey {
  readonly at: string;
  readonly id: string;
}

export interface TableRow {
  readonly event: EventEnvelope;
  readonly key: RowKey;
}

/** One database's events table, opened for reading only. */
export interface EventTable {
  /** The database and table, for messages; never a password. */
  readonly description: string;
  /** The flags besides --sink that name this table, for the message when it holds nothing (e.g. "--table-prefix"). */
  readonly namedBy: string;
  /** Whether any row has this source. */
  holds(source: string): Promise<boolean>;
  /** Up to `limit` sources that have rows, in order. */
  sources(limit: number): Promise<string[]>;
  /** How many rows of the source the selection holds, and the last of them in (created_at, id) order. */
  extent(source: string, selection: ReplaySelection): Promise<{ readonly count: number; readonly last: RowKey | undefined }>;
  /** Up to `limit` rows of the selection after `after` and up to `last` (inclusive), in (created_at, id) order. */
  page(source: string, selection: ReplaySelection, after: RowKey, last: RowKey, limit: number): Promise<TableRow[]>;
  close(): Promise<void>;
}

/** Rows per query: big enough that round trips do not matter next to sending, small enough to forget. */
const PAGE_ROWS = 1_000;
/** Sources named in a message when the one asked for is not there. */
const SHOWN_SOURCES = 20;

export class EventTableReader implements SinkReader {
  /** The table until reading starts; then with the source it reads. */
  description: string;

  constructor(
    private readonly openTable: () => Promise<EventTable>,
    description: string,
    private readonly source: string | undefined,
  ) {
    this.description = description;
  }

  async *read(selection: ReplaySelection): AsyncGenerator<ReadEvent> {
    const table = await this.openTable();
    try {
      this.description = table.description;
      const source = await chooseSource(table, this.source);
      this.description = `${table.description}, source "${source}"`;
      const { count, last } = await table.extent(source, selection);
      if (last === undefined) return;
      // '' sorts before every id: the first page starts with the first row at `since`.
      let after: RowKey = { at: new Date(selection.since).toISOString(), id: '' };
      let read = 0;
      for (;;) {
        const rows = await table.page(source, selection, after, last, PAGE_ROWS);
        for (const row of rows) yield { event: row.event, done: Math.min(1, ++read / count) };
        if (rows.length < PAGE_ROWS) return;
        after = rows.at(-1)!.key;
      }
    } finally {
      await table.close();
    }
  }
}

/**
 * The source asked for, or, when none was, the only one in the table. The sync's default
 * source is the API's tenant and host, which replay cannot learn without calling the API;
 * a table holding one source is not ambiguous, and more than one are listed to choose from.
 */
async function chooseSource(table: EventTable, wanted: string | undefined): Promise<string> {
  if (wanted !== undefined && (await table.holds(wanted))) return wanted;
  const sources = await table.sources(SHOWN_SOURCES + 1);
  if (sources.length === 0) {
    const which = wanted === undefined ? 'no events' : `no events (of source "${wanted}" or any other)`;
    throw new StorageError(`${table.description} holds ${which}: check that --sink and ${table.namedBy} name what the sync wrote to`, table.description, undefined);
  }
  if (wanted === undefined && sources.length === 1) return sources[0]!;
  const listed = sources.slice(0, SHOWN_SOURCES).map((source) => `"${source}"`).join(', ') + (sources.length > SHOWN_SOURCES ? ', ...' : '');
  if (wanted === undefined) throw new UsageError(`${table.description} holds the events of several sources (${listed}); choose one with --source`);
  throw new StorageError(`${table.description} holds no events of source "${wanted}"; the sources there: ${listed}. Pass one of them with --source`, table.description, undefined);
}
