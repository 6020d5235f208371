/**
 * Reading events back out of a sink, for `eventsync replay`: one small reader per kind of
 * sink, each giving the selected events in the order the sink keeps them, and reading
 * only: no lock, no checkpoint, so a sync can go on writing meanwhile.
 *
 * The NDJSON file is read line by line in the order written (ndjson-file-reader.ts); a
 * database sink's events table by (created_at, id), in keyset pages (event-table-reader.ts),
 * over a read-only connection (sqlite-event-table.ts, postgres-event-table.ts). Stdout and
 * --forward keep nothing to read back.
 */
import { resolve } from 'node:path';
import type { EventEnvelope } from '@eventsync/core';
import type { SinkChoice, TableOptions } from '../sync/settings.js';
import { filePath } from '../sync/storage.js';
import { UsageError } from '../usage-error.js';
import { EventTableReader } from './event-table-reader.js';
import { readNdjsonFile } from './ndjson-file-reader.js';
import { openPostgresEventTable } from './postgres-event-table.js';
import { openSqliteEventTable } from './sqlite-event-table.js';

/** The storages' own defaults (SqliteStorageOptions, PostgresStorageOptions in core), which sync leaves in place. */
const DEFAULT_TABLE_PREFIX = 'eventsync_';
const DEFAULT_SCHEMA = 'public';

export interface ReplaySelection {
  /** Epoch ms: events created at or after it. */
  readonly since: number;
  /** Epoch ms: events created before it; undefined for no end. */
  readonly until: number | undefined;
  /** Event types; empty for all. */
  readonly types: readonly string[];
}

export interface ReadEvent {
  readonly event: EventEnvelope;
  /** How far through the sink the reader is, 0 to 1. */
  readonly done: number;
}

export interface SinkReader {
  /** Where the events are read from, for messages; never a password. */
  readonly description: string;
  read(selection: ReplaySelection): AsyncIterable<ReadEvent>;
}

/** A reader of the sink `choice` names; nothing is opened until it is read. */
export function openSinkReader(choice: SinkChoice, dataDir: string, tables: TableOptions): SinkReader {
  const prefix = tables.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  switch (choice.kind) {
    case 'file': {
      const path = filePath(choice, dataDir);
      return { description: path, read: (selection) => readNdjsonFile(path, selection) };
    }
    case 'sqlite': {
      const path = resolve(choice.path);
      return new EventTableReader(() => openSqliteEventTable(path, prefix), path, tables.source);
    }
    case 'postgres': {
      const options = { url: choice.url, schema: tables.schema ?? DEFAULT_SCHEMA, tablePrefix: prefix };
      return new EventTableReader(() => openPostgresEventTable(options), 'the Postgres database', tables.source);
    }
    case 'stdout':
    case 'forward':
      throw new UsageError('replay reads events back from a sink that keeps them (file:, sqlite:, postgres://); stdout and --forward keep nothing to read');
  }
}

/** Whether an event is in the selection. */
export function selects(selection: ReplaySelection, event: EventEnvelope): boolean {
  const created = Date.parse(event.created_at);
  if (created < selection.since) return false;
  if (selection.until !== undefined && created >= selection.until) return false;
  return selection.types.length === 0 || selection.types.includes(event.type);
}
