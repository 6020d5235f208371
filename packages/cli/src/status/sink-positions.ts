/**
 * How far each connection's sink has got, read without writing or locking anything, for
 * `eventsync status`: the committed watermark and the newest event stored. A running sync
 * is not disturbed: Postgres and SQLite are read in plain read-only queries (the index on
 * (source, created_at) answers "newest" per source), a file sink by its state file and the
 * last lines of the file.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PostgresLayout, sqliteTableNames } from '@eventsync/core/node';
import type { ConnectionConfig } from '../config/run-config.js';

export interface SinkPosition {
  /** Everything created before it is stored; null before the first commit. */
  readonly watermark: string | null;
  /** created_at of the newest stored event; null when none is. */
  readonly newest: string | null;
}

/** Positions by connection name; a sink that cannot be read gives its error instead. */
export type Positions = Map<string, SinkPosition | Error>;

export async function readSinkPositions(connections: readonly ConnectionConfig[]): Promise<Positions> {
  const positions: Positions = new Map();
  const groups = new Map<string, ConnectionConfig[]>();
  for (const connection of connections) {
    const { sink, tables } = connection;
    if (sink.kind === 'file') {
      positions.set(connection.name, await filePosition(sink.path!, connection.stateDir).catch(asError));
      continue;
    }
    // One database (and table set) is read once for all its connections.
    const key = sink.kind === 'postgres' ? `${sink.url}\n${tables.schema ?? ''}\n${tables.tablePrefix ?? ''}` : sink.kind === 'sqlite' ? `sqlite\n${sink.path}\n${tables.tablePrefix ?? ''}` : '';
    groups.set(key, [...(groups.get(key) ?? []), connection]);
  }
  for (const group of groups.values()) {
    const [first] = group;
    const names = group.map(({ tables, name }) => tables.source ?? name);
    const read = first!.sink.kind === 'postgres' ? postgresPositions(first!, names) : sqlitePositions(first!, names);
    const found = await read.catch(asError);
    for (const connection of group) {
      positions.set(connection.name, found instanceof Error ? found : (found.get(connection.tables.source ?? connection.name) ?? { watermark: null, newest: null }));
    }
  }
  return positions;
}

async function postgresPositions(connection: ConnectionConfig, sources: string[]): Promise<Map<string, SinkPosition>> {
  if (connection.sink.kind !== 'postgres') throw new Error('not a Postgres sink');
  const layout = new PostgresLayout(connection.tables.schema ?? 'public', connection.tables.tablePrefix ?? 'eventsync_');
  const { Client } = await import('pg');
  const client = new Client({ connectionString: connection.sink.url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ source: string; watermark: string | null; newest: Date | null }>(
      `SELECT s.source, c.checkpoint->>'watermark' AS watermark,
              (SELECT max(e.created_at) FROM ${layout.events} e WHERE e.source = s.source) AS newest
         FROM unnest($1::text[]) AS s(source) LEFT JOIN ${layout.checkpoints} c ON c.source = s.source`,
      [sources],
    );
    return new Map(rows.map((row) => [row.source, { watermark: row.watermark, newest: row.newest?.toISOString() ?? null }]));
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function sqlitePositions(connection: ConnectionConfig, sources: string[]): Promise<Map<string, SinkPosition>> {
  if (connection.sink.kind !== 'sqlite') throw new Error('not a SQLite sink');
  const tables = sqliteTableNames(connection.tables.tablePrefix ?? 'eventsync_');
  const { default: Driver } = await import('better-sqlite3');
  const db = new Driver(connection.sink.path, { readonly: true, fileMustExist: true });
  try {
    const checkpoint = db.prepare<[string], { checkpoint: string }>(`SELECT checkpoint FROM "${tables.checkpoints}" WHERE source = ?`);
    const newest = db.prepare<[string], { newest: string | null }>(`SELECT max(created_at) AS newest FROM "${tables.events}" WHERE source = ?`);
    return new Map(
      sources.map((source) => {
        const saved = checkpoint.get(source);
        const watermark = saved ? ((JSON.parse(saved.checkpoint) as { watermark?: string | null }).watermark ?? null) : null;
        return [source, { watermark, newest: newest.get(source)?.newest ?? null }];
      }),
    );
  } finally {
    db.close();
  }
}

/** The file storage's state file, and the newest created_at among the file's last lines. */
async function filePosition(path: string, stateDir: string): Promise<SinkPosition> {
  type State = { watermark?: string | null; checkpoint?: { watermark?: string | null } };
  const state = await readFile(join(stateDir, 'checkpoint.json'), 'utf8').then(
    (text): State => JSON.parse(text) as State,
    (error: NodeJS.ErrnoException): State => {
      if (error.code === 'ENOENT') return {};
      throw error;
    },
  );
  return { watermark: state.watermark ?? state.checkpoint?.watermark ?? null, newest: await newestInTail(path) };
}

const TAIL_BYTES = 64 * 1024;

async function newestInTail(path: string): Promise<string | null> {
  const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!file) return null;
  try {
    const { size } = await file.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await file.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    // The first line may be cut by the window, the last may be torn by a crash: both are skipped if they do not parse.
    let newest: string | null = null;
    for (const line of lines) {
      try {
        const createdAt = (JSON.parse(line) as { created_at?: unknown }).created_at;
        if (typeof createdAt === 'string' && (newest === null || createdAt > newest)) newest = createdAt;
      } catch {
        // not a whole line
      }
    }
    return newest;
  } finally {
    await file.close();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
