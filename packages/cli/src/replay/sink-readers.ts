/**
 * Reading events back out of a sink, for `eventsync replay`: one small reader per kind of
 * sink, each giving the selected events in the order the sink stored them, and reading
 * only: no lock, no checkpoint, so a sync can go on writing meanwhile.
 *
 * The NDJSON file is read here (ndjson-file-reader.ts). A database sink needs a reader of
 * the same shape over its events table: a query on the connection's `source` with
 * `created_at >= since AND created_at < until` (and the types), ordered the way rows were
 * stored, fetched in pages or through a cursor so memory stays flat, and a row count of
 * the selection for the progress bar. Stdout and --forward keep nothing to read back.
 */
import type { EventEnvelope } from '@eventsync/core';
import type { SinkChoice } from '../sync/settings.js';
import { filePath } from '../sync/storage.js';
import { UsageError } from '../usage-error.js';
import { readNdjsonFile } from './ndjson-file-reader.js';

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

export function openSinkReader(choice: SinkChoice, dataDir: string): SinkReader {
  switch (choice.kind) {
    case 'file': {
      const path = filePath(choice, dataDir);
      return { description: path, read: (selection) => readNdjsonFile(path, selection) };
    }
    case 'sqlite':
    case 'postgres':
      throw new UsageError(`replay from a ${choice.kind} sink is not available in this build; replay reads the NDJSON file sink`);
    case 'stdout':
    case 'forward':
      throw new UsageError('replay reads events back from a sink that keeps them (the NDJSON file); stdout and --forward keep nothing to read');
  }
}

/** Whether an event is in the selection. */
export function selects(selection: ReplaySelection, event: EventEnvelope): boolean {
  const created = Date.parse(event.created_at);
  if (created < selection.since) return false;
  if (selection.until !== undefined && created >= selection.until) return false;
  return selection.types.length === 0 || selection.types.includes(event.type);
}
