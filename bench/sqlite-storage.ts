/**
 * SqliteStorage's commits against a bare better-sqlite3 loop that inserts the same batches
 * into the same table, one transaction each, with the same durability (WAL, synchronous =
 * FULL): what the storage adds is the lease check, the checkpoint row and the created_at
 * spelled one way. Two batch shapes: webhook groups (16 events: the receiver's 16 concurrent
 * deliveries) and feed pages (100 events). Each side gets a fresh file per round, in the
 * same directory; within a round they take turns every few commits. Median of the rounds.
 * Target: >= 0.8 of the bare rate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredEvent } from '@eventsync/core';
import { SqliteStorage } from '@eventsync/core/node';
import { median, verdict } from './support.ts';

const ROUNDS = 5;
/** Commits each side makes before the other takes its turn. */
const CHUNK = 10;
const SHAPES = [
  { name: '16-event webhook groups', size: 16, commits: 400 },
  { name: '100-event pages', size: 100, commits: 150 },
] as const;
const BASE_MS = Date.parse('2026-11-01T00:00:00.000Z');

/** Events shaped like the API's: an id, a type, a time and a few hundred bytes of data. */
function batches(size: number, commits: number): StoredEvent[][] {
  return Array.from({ length: commits }, (_, n) =>
    Array.from({ length: size }, (_, i) => ({
      event: {
        id: `evt_${n.toString(36)}_${i.toString(36)}_${'0'.repeat(12)}`,
        type: 'customer.updated',
        created_at: new Date(BASE_MS + n * 1_000 + i).toISOString(),
        data: { id: `cus_${n}_${i}`, email: `customer${n}.${i}@example.com`, name: 'Ada Lovelace', phone: null, notes: 'x'.repeat(200) },
      },
      channel: 'webhook',
    })),
  );
}

/** Commits one batch through SqliteStorage; open and close are not timed. */
async function throughStorage(path: string): Promise<{ commit(events: readonly StoredEvent[]): Promise<void>; close(): Promise<void> }> {
  const storage = new SqliteStorage({ path, source: 'bench' });
  await storage.open();
  return {
    commit: (events) => storage.commit(events, events.at(-1)!.event.created_at, { bench: true }),
    close: () => storage.close(),
  };
}

/** The same rows, the way one would write them without Eventsync. */
function bare(path: string): { commit(events: readonly StoredEvent[]): void; close(): void } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (source TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, created_at TEXT NOT NULL,
    data TEXT NOT NULL, channel TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (source, id));
    CREATE INDEX events_source_created_at ON events (source, created_at)`);
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING');
  const commit = db.transaction((events: readonly StoredEvent[]) => {
    const receivedAt = new Date().toISOString();
    for (const { event, channel } of events) insert.run('bench', event.id, event.type, event.created_at, JSON.stringify(event.data), channel, receivedAt);
  });
  return { commit: (events) => commit(events), close: () => db.close() };
}

/**
 * One round on fresh files: the two sides take turns, CHUNK commits each, so that both meet
 * the same disk and the same load from other processes. Returns commits per second of each.
 */
async function round(dir: string, name: string, work: readonly StoredEvent[][]): Promise<{ storage: number; bare: number }> {
  const storage = await throughStorage(join(dir, `${name}-storage.db`));
  const baseline = bare(join(dir, `${name}-bare.db`));
  const elapsed = { storage: 0, bare: 0 };
  for (let from = 0; from < work.length; from += CHUNK) {
    const chunk = work.slice(from, from + CHUNK);
    let start = performance.now();
    for (const events of chunk) await storage.commit(events);
    elapsed.storage += performance.now() - start;
    start = performance.now();
    for (const events of chunk) baseline.commit(events);
    elapsed.bare += performance.now() - start;
  }
  await storage.close();
  baseline.close();
  return { storage: work.length / (elapsed.storage / 1000), bare: work.length / (elapsed.bare / 1000) };
}

export async function run(): Promise<void> {
  console.log(`\n## SQLite storage: commits through SqliteStorage vs a bare better-sqlite3 loop, WAL + synchronous=FULL, median of ${ROUNDS} rounds`);
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-sqlite-'));
  try {
    for (const shape of SHAPES) {
      const work = batches(shape.size, shape.commits);
      const rates = { storage: [] as number[], bare: [] as number[] };
      for (let n = 0; n < ROUNDS; n++) {
        const measured = await round(dir, `${shape.size}-${n}`, work);
        rates.storage.push(measured.storage);
        rates.bare.push(measured.bare);
      }
      const storage = median(rates.storage);
      const baseline = median(rates.bare);
      const ratio = storage / baseline;
      const rate = (commits: number): string =>
        `${Math.round(commits).toLocaleString('en-US')} commits/s (${Math.round(commits * shape.size).toLocaleString('en-US')} events/s)`;
      console.log(
        `${shape.name.padEnd(24)} x${shape.commits}: SqliteStorage ${rate(storage)}, bare loop ${rate(baseline)}, ` +
          `ratio ${ratio.toFixed(3)} (target >= 0.8: ${verdict(ratio >= 0.8)})`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
