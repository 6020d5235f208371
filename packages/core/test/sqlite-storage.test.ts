/**
 * SqliteStorage on real files in a temporary directory: what it commits comes back, a commit
 * counts whole or not at all (a failure midway, a full disk, a `kill -9`), one writer per
 * source across processes, and each bad input gets its one-line message. Mounting the small
 * and read-only disks needs root, as CI has (see test/full-disk.e2e.test.ts).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, StorageError, type StoredEvent } from '@eventsync/core';
import { SqliteStorage, type SqliteStorageOptions } from '@eventsync/core/node';
import { LEASE_MS } from '../src/node/sqlite-lease.js';
import { batch, batchesBelow, idsOfBatches, watermarkAfter } from './sqlite/batches.js';

const CHILD = fileURLToPath(new URL('./sqlite/child.ts', import.meta.url));

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A new directory, removed after the test (after anything mounted on it is unmounted). */
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-sqlite-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function tempFile(name = 'events.db'): Promise<string> {
  return join(await tempDir(), name);
}

/** A storage closed after the test, whatever happens. */
function storage(options: SqliteStorageOptions): SqliteStorage {
  const created = new SqliteStorage(options);
  cleanups.push(() => created.close());
  return created;
}

/** A plain connection to look at (or tamper with) the file behind the storage's back. */
function raw(path: string): Database.Database {
  const db = new Database(path);
  cleanups.push(() => db.close());
  return db;
}

function idsIn(path: string, source: string): string[] {
  return (raw(path).prepare('SELECT id FROM eventsync_events WHERE source = ? ORDER BY id').pluck().all(source) as string[]).sort();
}

/** The StorageError an operation fails with. */
async function failure(operation: () => Promise<unknown>): Promise<StorageError> {
  const thrown = await operation().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(StorageError);
  return thrown as StorageError;
}

function mount(dir: string, options: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  cleanups.push(() => execFileSync('umount', [dir]));
}

interface Child {
  readonly process: ChildProcess;
  /** Resolves with the child's next stdout line. */
  line(): Promise<string>;
  /** Resolves with the exit code (or signal) and what it wrote to stderr. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function child(mode: 'open' | 'hold' | 'loop' | 'race' | 'lock', path: string, source: string, uid?: number): Child {
  const spawned = spawn(process.execPath, [CHILD, mode, path, source], { stdio: ['pipe', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid, gid: uid }) });
  cleanups.push(() => spawned.exitCode === null && spawned.signalCode === null && spawned.kill('SIGKILL'));
  let stderr = '';
  spawned.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: spawned.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    spawned.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    process: spawned,
    exited,
    line: async () => {
      const next = await Promise.race([lines.next(), exited.then(({ stderr: said }) => ({ done: true, value: said }))]);
      if (next.done) throw new Error(`child ${mode} ended before its next line: ${next.value ?? ''}`);
      return next.value;
    },
  };
}

const webhook = (id: string, createdAt: string): StoredEvent => ({
  event: { id, type: 'lead.created', created_at: createdAt, data: { id } },
  channel: 'webhook',
});

describe('SqliteStorage: what it commits comes back', () => {
  it('commits, recovers and reopens: watermark, the ids at or after it, the first fingerprint, the rows as given', async () => {
    const path = await tempFile();
    const first = storage({ path, source: 'api.example.com' });
    expect(first.guarantee).toBe('exactly-once');
    expect(first.description).toBe(`${path} (table eventsync_events, source "api.example.com")`);
    expect(await first.open()).toEqual({ watermark: null, seen: [], fingerprint: undefined });

    // Webhooks before the first page: no watermark yet, so every stored event is among the seen.
    const fingerprint = { baseUrl: 'https://api.example.com', types: [] };
    await first.commit([webhook('evt_a', '2026-11-01T00:00:05.000Z'), webhook('evt_b', '2026-11-01T00:00:20.000Z')], null, fingerprint);
    expect(await first.recover()).toEqual({
      watermark: null,
      seen: [
        ['evt_a', '2026-11-01T00:00:05.000Z'],
        ['evt_b', '2026-11-01T00:00:20.000Z'],
      ],
      fingerprint,
    });

    // A page moves the watermark past evt_a; a later fingerprint does not replace the first.
    const page: StoredEvent[] = [
      { event: { id: 'evt_c', type: 'customer.created', created_at: '2026-11-01T00:00:09.500Z', data: { nested: { ok: true } } }, channel: 'poll' },
      { event: { id: 'evt_d', type: 'customer.created', created_at: '2026-11-01T00:00:15.250Z', data: {} }, channel: 'poll' },
      // Exactly at the watermark: among the seen, which are `created_at >= watermark`.
      { event: { id: 'evt_e', type: 'customer.created', created_at: '2026-11-01T00:00:10.000Z', data: {} }, channel: 'poll' },
      // Another spelling of an instant is stored as toISOString's, so it sorts with the rest.
      { event: { id: 'evt_f', type: 'customer.created', created_at: '2026-11-01T01:00:09+01:00', data: {} }, channel: 'poll' },
    ];
    await first.commit(page, '2026-11-01T00:00:10.000Z', { baseUrl: 'https://elsewhere.example.com' });
    await first.close();

    const again = storage({ path, source: 'api.example.com' });
    const state = await again.open();
    expect(state.watermark).toBe('2026-11-01T00:00:10.000Z');
    expect([...state.seen].sort()).toEqual([
      ['evt_b', '2026-11-01T00:00:20.000Z'],
      ['evt_d', '2026-11-01T00:00:15.250Z'],
      ['evt_e', '2026-11-01T00:00:10.000Z'],
    ]);
    expect(raw(path).prepare("SELECT created_at FROM eventsync_events WHERE id = 'evt_f'").pluck().get()).toBe('2026-11-01T00:00:09.000Z');
    expect(state.fingerprint).toEqual(fingerprint);

    const db = raw(path);
    expect(db.prepare("SELECT source, id, type, created_at, data, channel FROM eventsync_events WHERE id = 'evt_c'").get()).toEqual({
      source: 'api.example.com',
      id: 'evt_c',
      type: 'customer.created',
      created_at: '2026-11-01T00:00:09.500Z',
      data: '{"nested":{"ok":true}}',
      channel: 'poll',
    });
    const receivedAt = db.prepare("SELECT received_at FROM eventsync_events WHERE id = 'evt_c'").pluck().get() as string;
    expect(new Date(receivedAt).toISOString()).toBe(receivedAt);
    // The checkpoint row holds the watermark and fingerprint only: a commit never rewrites the ids.
    expect(JSON.parse(db.prepare('SELECT checkpoint FROM eventsync_checkpoints').pluck().get() as string)).toEqual({
      watermark: '2026-11-01T00:00:10.000Z',
      fingerprint,
    });
  });

  it('keeps an event that is committed twice once', async () => {
    const path = await tempFile();
    const store = storage({ path, source: 's' });
    await store.open();
    await store.commit(batch(0), watermarkAfter(0));
    await store.commit(batch(0).slice(0, 4), watermarkAfter(0));
    expect(idsIn(path, 's')).toEqual(idsOfBatches(1));
  });

  it('keeps sources apart in one file, both open at once', async () => {
    const path = await tempFile();
    const a = storage({ path, source: 'a' });
    const b = storage({ path, source: 'b' });
    await a.open();
    await b.open();
    await a.commit(batch(0), watermarkAfter(0));
    await b.commit([webhook('evt_b_only', '2026-12-01T00:00:00.000Z')], null);
    await a.commit(batch(1), watermarkAfter(1));
    expect(batchesBelow((await a.recover()).watermark)).toBe(2);
    expect((await b.recover()).seen).toEqual([['evt_b_only', '2026-12-01T00:00:00.000Z']]);
    expect(idsIn(path, 'a')).toEqual(idsOfBatches(2));
    expect(idsIn(path, 'b')).toEqual(['evt_b_only']);
  });

  it('uses the table prefix it is given, and refuses one SQL would need quoting for', async () => {
    const path = await tempFile();
    const store = storage({ path, source: 's', tablePrefix: 'sync_' });
    await store.open();
    await store.commit(batch(0), watermarkAfter(0));
    const tables = raw(path).prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['sync_checkpoints', 'sync_events', 'sync_migrations', 'sync_writers']);
    expect(() => new SqliteStorage({ path, source: 's', tablePrefix: 'bad-prefix' })).toThrow(ConfigError);
    expect(() => new SqliteStorage({ path, source: '' })).toThrow(ConfigError);
  });

  it('runs its connection in WAL mode with synchronous = FULL: a commit is on disk when it returns', async () => {
    const path = await tempFile();
    // The storage's connection is its own; the spy hands it over as the `this` of its first pragma.
    const pragma = vi.spyOn(Database.prototype, 'pragma');
    await storage({ path, source: 's' }).open();
    const connection = pragma.mock.contexts[0] as Database.Database;
    pragma.mockRestore();
    expect(connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(connection.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });
});

describe('SqliteStorage: a commit counts whole or not at all', () => {
  it('keeps neither events nor checkpoint of a commit that fails midway', async () => {
    const path = await tempFile();
    const store = storage({ path, source: 's' });
    await store.open();
    await store.commit(batch(0), watermarkAfter(0));
    const broken = batch(1);
    // JSON cannot hold a BigInt: the tenth insert throws, after nine went in.
    (broken[9]!.event.data as Record<string, unknown>)['big'] = 10n;
    const error = await failure(() => store.commit(broken, watermarkAfter(1)));
    expect(error.message).toMatch(new RegExp(`^could not commit to the SQLite database ${path}: .*BigInt.* Nothing of this commit was kept`));
    const state = await store.recover();
    expect(state.watermark).toBe(watermarkAfter(0));
    expect(idsIn(path, 's')).toEqual(idsOfBatches(1));
    await store.commit(batch(1), watermarkAfter(1));
    expect(idsIn(path, 's')).toEqual(idsOfBatches(2));
  });

  it('stops at a full disk with SQLITE_FULL, keeps the last whole commit, and resumes once space is freed', async () => {
    const dir = await tempDir();
    mount(dir, 'size=256k');
    const path = join(dir, 'events.db');
    const store = storage({ path, source: 's' });
    await store.open();
    let committed = 0;
    let error: StorageError | undefined;
    while (!error && committed < 100) {
      // About 64 KiB a batch: the 256 KiB disk fills within a few.
      error = await store.commit(batch(committed, 16, 4_000), watermarkAfter(committed)).then(
        () => void committed++,
        (thrown: unknown) => thrown as StorageError,
      );
    }
    expect(error).toBeInstanceOf(StorageError);
    expect(error!.message).toBe(
      `could not commit to the SQLite database ${path}: the disk is full (SQLITE_FULL). Free space on it. Nothing of this commit was kept; fix that and run again to resume.`,
    );
    expect(error!.systemCode).toBe('SQLITE_FULL');
    expect(committed).toBeGreaterThan(0);
    expect(batchesBelow((await store.recover()).watermark)).toBe(committed);
    expect(idsIn(path, 's')).toEqual(idsOfBatches(committed));

    execFileSync('mount', ['-o', 'remount,size=8m', dir]);
    await store.commit(batch(committed, 16, 4_000), watermarkAfter(committed));
    await store.close();
    const reopened = storage({ path, source: 's' });
    expect(batchesBelow((await reopened.open()).watermark)).toBe(committed + 1);
    expect(idsIn(path, 's')).toEqual(idsOfBatches(committed + 1));
  });

  it('after kill -9 of a process in a commit loop, holds exactly the batches its checkpoint counts', async () => {
    const path = await tempFile();
    let batches = 0;
    for (let round = 0; round < 5; round++) {
      const loop = child('loop', path, 's');
      expect(await loop.line()).toBe('ready');
      await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 200));
      loop.process.kill('SIGKILL');
      expect((await loop.exited).signal).toBe('SIGKILL');

      // The dead writer's row names a pid that is gone on this host: the source is free at once.
      const store = new SqliteStorage({ path, source: 's' });
      const state = await store.open();
      await store.close();
      const counted = batchesBelow(state.watermark);
      expect(Number.isInteger(counted)).toBe(true);
      expect(counted).toBeGreaterThanOrEqual(batches);
      batches = counted;
      expect(idsIn(path, 's')).toEqual(idsOfBatches(batches));
    }
    expect(batches).toBeGreaterThan(5);
  }, 60_000);
});

describe('SqliteStorage: one writer per source', () => {
  it('refuses a second storage on a source that is open, naming the writer, until it closes', async () => {
    const path = await tempFile();
    const first = storage({ path, source: 'shop' });
    await first.open();
    const error = await failure(() => storage({ path, source: 'shop' }).open());
    expect(error.message).toMatch(
      new RegExp(
        `^could not open the SQLite database ${path}: another sync is writing source "shop" \\(pid ${process.pid} on host ${hostname()}, since \\S+, last heartbeat 0 s ago\\), ` +
          'and two writers of one source must not interleave. Stop that one first, or give this one another source. ' +
          `Should it have died on another host, its claim lapses ${LEASE_MS / 1000} s after its last heartbeat.$`,
      ),
    );
    await first.close();
    await storage({ path, source: 'shop' }).open();
  });

  it('refuses a source another process holds, and frees it when that process is killed', async () => {
    const path = await tempFile();
    const holder = child('hold', path, 'shop');
    expect(await holder.line()).toBe('open');
    const error = await failure(() => storage({ path, source: 'shop' }).open());
    expect(error.message).toContain(`another sync is writing source "shop" (pid ${holder.process.pid} on host ${hostname()},`);
    await storage({ path, source: 'other' }).open();

    holder.process.kill('SIGKILL');
    await holder.exited;
    await storage({ path, source: 'shop' }).open();
  });

  it('judges a writer on another host by its heartbeat', async () => {
    const path = await tempFile();
    const first = storage({ path, source: 'shop' });
    await first.open();
    const db = raw(path);
    const claim = db.prepare("UPDATE eventsync_writers SET host = 'far-away', heartbeat_at = ? WHERE source = 'shop'");

    claim.run(new Date().toISOString());
    const error = await failure(() => storage({ path, source: 'shop' }).open());
    expect(error.message).toContain('on host far-away');

    claim.run(new Date(Date.now() - LEASE_MS - 1_000).toISOString());
    const second = storage({ path, source: 'shop' });
    await second.open();
    // The first writer lost its claim without knowing: its next commit finds out, and keeps nothing.
    const lost = await failure(() => first.commit(batch(0), watermarkAfter(0)));
    expect(lost.message).toMatch(
      new RegExp(`^could not commit to the SQLite database ${path}: this process no longer holds source "shop": another sync \\(pid ${process.pid} on host ${hostname()},`),
    );
    expect(lost.message).toContain('Nothing of this commit was kept; stop one of the two syncs.');
    expect(idsIn(path, 'shop')).toEqual([]);
    await second.commit(batch(0), watermarkAfter(0));
    expect(idsIn(path, 'shop')).toEqual(idsOfBatches(1));
  });
});

describe('SqliteStorage: several processes opening a new file at once', () => {
  it('migrates once, and every process gets the layout and commits', async () => {
    for (let round = 0; round < 3; round++) {
      const path = await tempFile();
      const racers = ['a', 'b', 'c', 'd'].map((source) => child('race', path, source));
      for (const racer of racers) expect(await racer.line()).toBe('waiting');
      for (const racer of racers) racer.process.stdin!.write('go\n');
      const ends = await Promise.all(racers.map((racer) => racer.exited));
      expect(ends.map(({ code, stderr }) => ({ code, stderr }))).toEqual(racers.map(() => ({ code: 0, stderr: '' })));
      const db = raw(path);
      expect(db.prepare('SELECT version FROM eventsync_migrations').pluck().all()).toEqual([1]);
      for (const source of ['a', 'b', 'c', 'd']) expect(idsIn(path, source)).toEqual(idsOfBatches(1));
    }
  }, 60_000);

  // Switching a file to WAL needs it to itself; while another connection writes to it, SQLite
  // fails the switch at once instead of waiting (it would deadlock with a second switcher).
  it('waits for a writer on a file not yet in WAL mode, as for any other lock', async () => {
    const path = await tempFile();
    const holder = child('lock', path, 'holder');
    expect(await holder.line()).toBe('locked');
    const store = storage({ path, source: 'shop' });
    let opened = false;
    const opening = store.open().then(() => void (opened = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(opened).toBe(false); // neither through nor failed: waiting for the writer
    holder.process.stdin!.write('commit\n');
    await opening;
    await store.commit(batch(0), watermarkAfter(0));
    expect(raw(path).pragma('journal_mode', { simple: true })).toBe('wal');
    expect(idsIn(path, 'shop')).toEqual(idsOfBatches(1));
  });
});

describe('SqliteStorage: bad input, one line each', () => {
  it('a directory that does not exist', async () => {
    const path = join(await tempDir(), 'missing', 'events.db');
    const error = await failure(() => storage({ path, source: 's' }).open());
    expect(error.message).toBe(
      `could not open the SQLite database ${path}: its directory ${join(path, '..')} does not exist (ENOENT). Create it (mkdir -p ${join(path, '..')}), or point the storage at another path.`,
    );
  });

  it('a directory that is not writable', async () => {
    const dir = await tempDir();
    mount(dir, 'ro,size=64k');
    const path = join(dir, 'events.db');
    const error = await failure(() => storage({ path, source: 's' }).open());
    expect(error.message).toBe(
      `could not open the SQLite database ${path}: its directory ${dir} is not writable: the file system is read-only (EROFS). ` +
        `Make it writable by this user (SQLite keeps ${path}-wal and ${path}-shm beside the database), or point the storage at another path.`,
    );
    expect(error.systemCode).toBe('EROFS');
  });

  it('a directory this user may not write to', async () => {
    const dir = await tempDir();
    await chmod(dir, 0o755);
    const path = join(dir, 'events.db');
    // Root may write anywhere: the storage runs as nobody (65534) in a child process.
    const opener = child('open', path, 's', 65534);
    expect(await opener.line()).toBe(
      `could not open the SQLite database ${path}: its directory ${dir} is not writable: permission denied (EACCES). ` +
        `Make it writable by this user (SQLite keeps ${path}-wal and ${path}-shm beside the database), or point the storage at another path.`,
    );
  });

  it('a file that is not a database', async () => {
    const path = await tempFile('notes.txt');
    await writeFile(path, 'these are my notes, not a database\n'.repeat(200));
    const error = await failure(() => storage({ path, source: 's' }).open());
    expect(error.message).toBe(
      `could not open the SQLite database ${path}: the file is not a SQLite database (SQLITE_NOTADB). Point the storage at another file, or move that one away. Nothing was written.`,
    );
  });

  it('a table of that name with another shape', async () => {
    const path = await tempFile();
    raw(path).exec('CREATE TABLE eventsync_events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, type BLOB)');
    const error = await failure(() => storage({ path, source: 's' }).open());
    expect(error.message).toBe(
      `could not open the SQLite database ${path}: table eventsync_events exists with another shape than Eventsync's: ` +
        'column source is missing; column id is INTEGER, not TEXT; column type is BLOB, not TEXT; column created_at is missing; column data is missing; ' +
        'column channel is missing; column received_at is missing; its primary key is (id), not (source, id); column payload is NOT NULL without a default. ' +
        'Rename or drop that table, or choose another table prefix.',
    );
    // Nothing was created beside it.
    expect(raw(path).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual(['eventsync_events']);
  });

  it('tables laid out by a newer Eventsync', async () => {
    const path = await tempFile();
    await storage({ path, source: 's' }).open().then(() => undefined);
    raw(path).exec("INSERT INTO eventsync_migrations VALUES (99, 'from the future', '2030-01-01T00:00:00.000Z')");
    const error = await failure(() => storage({ path, source: 't' }).open());
    expect(error.message).toBe(
      `could not open the SQLite database ${path}: its tables (prefix eventsync_) were laid out by a newer Eventsync (layout version 99; this one knows up to 1). ` +
        'Upgrade Eventsync, or use another table prefix.',
    );
  });

  it('a database locked by someone else beyond the busy timeout', async () => {
    const path = await tempFile();
    const store = storage({ path, source: 's', busyTimeoutMs: 200 });
    await store.open();
    const other = raw(path);
    other.exec('BEGIN IMMEDIATE');
    const error = await failure(() => store.commit(batch(0), watermarkAfter(0)));
    expect(error.message).toBe(
      `could not commit to the SQLite database ${path}: another connection kept the database locked for more than 0.2 s (SQLITE_BUSY): ` +
        'a long transaction elsewhere (a database browser, a backup, a script) holds it. End that transaction. ' +
        'Nothing of this commit was kept; fix that and run again to resume.',
    );
    other.exec('ROLLBACK');
    expect((await store.recover()).watermark).toBeNull();
    await store.commit(batch(0), watermarkAfter(0));
    expect(idsIn(path, 's')).toEqual(idsOfBatches(1));
  });
});
