/**
 * A connection's sink: the sink text (its own, the defaults', or the default below) with
 * `{connection}` replaced by its name, read as `sync --sink` reads it (parseSinkUrl), a file
 * or SQLite path resolved against the config file's directory. Two connections may share a
 * database (each row carries its `source`), never a file: `sharedFiles` finds those.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseSinkUrl, type SinkChoice } from '../sync/settings.js';
import type { PathProblem, SettingPath } from './config-errors.js';
import { CONNECTION_PLACEHOLDER } from './config-values.js';

/** Without a sink anywhere in the file: one NDJSON file per connection, next to the config file. */
export const DEFAULT_SINK = `file:./events/${CONNECTION_PLACEHOLDER}.ndjson`;

export type ConnectionSink = Extract<SinkChoice, { kind: 'file' | 'sqlite' | 'postgres' }>;

/** @throws UsageError when the text is not a sink (the schema has checked it by then). */
export function resolveSink(text: string, name: string, dir: string): ConnectionSink {
  const choice = parseSinkUrl(text.split(CONNECTION_PLACEHOLDER).join(name));
  switch (choice.kind) {
    case 'file':
    case 'sqlite':
      return { ...choice, path: absolute(choice.path ?? '', dir) };
    case 'postgres':
      return choice;
    default:
      throw new Error(`a connection's sink cannot be ${choice.kind}`);
  }
}

export interface PlacedSink {
  /** The connection's name, for the message. */
  readonly name: string;
  /** Where the sink text was written: the connection's `sink` or `defaults.sink`. */
  readonly writtenAt: SettingPath;
  readonly sink: ConnectionSink;
}

/** One problem for each file that more than one connection would write, where the second one's sink is written. */
export function sharedFiles(sinks: readonly PlacedSink[]): PathProblem[] {
  const byPath = new Map<string, PlacedSink[]>();
  for (const placed of sinks) {
    if (placed.sink.kind !== 'file') continue;
    byPath.set(placed.sink.path!, [...(byPath.get(placed.sink.path!) ?? []), placed]);
  }
  return [...byPath.entries()]
    .filter(([, sharing]) => sharing.length > 1)
    .map(([path, sharing]) => ({
      at: sharing[1]!.writtenAt,
      message:
        `connections ${listed(sharing.map((placed) => placed.name))} would write the same file ${path}: ` +
        `put ${CONNECTION_PLACEHOLDER} in the path (e.g. file:./events/${CONNECTION_PLACEHOLDER}.ndjson) so each connection has its own file`,
    }));
}

function listed(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function absolute(path: string, dir: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}
