/**
 * PostgresStorage against a real Postgres (test/support/postgres.ts starts one for this file):
 * events and checkpoint committed together or not at all, recovered on reopen, one writer per
 * source, migrations that tolerate being run again and at once.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseStorageError } from '@eventsync/core';
import { PostgresStorage, type PostgresStorageOptions } from '@eventsync/core/node';
import { startPostgres, type PostgresServer } from './support/postgres.js';
import { FIRST_CREATED_AT, madeEvents } from './support/stored-events.js';

let server: PostgresServer;
let admin: pg.Client;
beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

let sources = 0;
/** A source name of its own for each test, so tests share the server but no rows. */
function freshSource(): string {
  return `source-${++sources}`;
}

function storage(source: string, options: Partial<PostgresStorageOptions> = {}): PostgresStorage {
  const made = new PostgresStorage({ url: server.url, source, ...options });
  opened.push(made);
  return made;
}

async function storedIds(source: string): Promise<string[]> {
  const { rows } = await admin.query<{ id: string }>('SELECT id FROM eventsync_events WHERE source = $1 ORDER BY id', [source]);
  return rows.map((row) => row.id);
}

async function savedCheckpoint(source: string): Promise<unknown> {
  const { rows } = await admin.query<{ checkpoint: unknown }>('SELECT checkpoint FROM eventsync_checkpoints WHERE source = $1', [source]);
  return rows[0]?.checkpoint;
}

const at = (offsetMs: number) => new Date(FIRST_CREATED_AT + offsetMs).toISOString();

describe('PostgresStorage', () => {
  it('commits events with their checkpoint, and a reopened storage recovers the watermark, the ids from it on and the first fingerprint', async () => {
    const source = freshSource();
    const first = storage(source);
    expect(await first.open()).toEqual({ watermark: null, seen: [], fingerprint: undefined });
    expect(first.description).toMatch(/^postgres:\/\/eventsync:\*\*\*@127\.0\.0\.1:\d+\/eventsync, table public\.eventsync_events$/);

    const hooks = madeEvents(3, { channel: 'webhook' }); // created at +0, +1, +2 ms
    await first.commit(hooks, null, { baseUrl: 'https://api.example.com' });
    const page = madeEvents(5, { from: 3, startMs: FIRST_CREATED_AT + 3 }); // +3 .. +7 ms
    await first.commit(page, at(4), { baseUrl: 'https://elsewhere.example.com' });
    await first.commit([], at(5)); // a page with nothing new still moves the watermark
    await first.close();

    const again = storage(source);
    const state = await again.open();
    expect(state.watermark).toBe(at(5));
    // Exactly the events at or after the watermark, with created_at as the envelope wrote it.
    expect([...state.seen].sort()).toEqual(page.slice(2).map(({ event }) => [event.id, event.created_at]));
    expect(state.fingerprint).toEqual({ baseUrl: 'https://api.example.com' });

    const { rows } = await admin.query('SELECT id, type, created_at, data, channel, received_at FROM eventsync_events WHERE source = $1 ORDER BY id', [source]);
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatchObject({ id: hooks[0]!.event.id, type: hooks[0]!.event.type, data: hooks[0]!.event.data, channel: 'webhook' });
    expect((rows[0].created_at as Date).toISOString()).toBe(hooks[0]!.event.created_at);
    expect(rows[7]).toMatchObject({ id: page[4]!.event.id, channel: 'poll' });
    expect(rows[7].received_at).toBeInstanceOf(Date);
  });

  it('before any watermark, recovers every stored id of its source and none of another', async () => {
    const [source, other] = [freshSource(), freshSource()];
    const mine = storage(source);
    const theirs = storage(other);
    await Promise.all([mine.open(), theirs.open()]);
    await mine.commit(madeEvents(4, { channel: 'webhook' }), null);
    await theirs.commit(madeEvents(2, { from: 100 }), null);
    const state = await mine.recover();
    expect(state.watermark).toBeNull();
    expect(state.seen.map(([id]) => id).sort()).toEqual(madeEvents(4).map(({ event }) => event.id));
  });

  it('commits more events than one statement may carry, in one transaction, and a failure in a later statement keeps nothing of it', async () => {
    const source = freshSource();
    const store = storage(source);
    await store.open();
    await store.commit(madeEvents(10), at(5));

    // 65,535 parameters make 13,106 rows a statement: the bad event is in the second statement,
    // after the first has inserted its rows. Postgres's jsonb cannot hold the character U+0000.
    const big = madeEvents(14_000, { from: 10, startMs: FIRST_CREATED_AT + 10 });
    const bad = big[13_500]!;
    big[13_500] = { ...bad, event: { ...bad.event, data: { text: 'nul \u0000 here' } } };
    const failed = await store.commit(big, at(14_000)).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(DatabaseStorageError);
    expect((failed as DatabaseStorageError).problem).toBe('unstorable-event');
    expect((failed as Error).message).toMatch(/^the database cannot store an event's text: .*\(22P05\)\. Nothing of this commit was kept/);
    expect(await storedIds(source)).toHaveLength(10);
    expect(await savedCheckpoint(source)).toEqual({ watermark: at(5) });

    expect((await store.recover()).watermark).toBe(at(5));
    big[13_500] = bad;
    await store.commit(big, at(14_000));
    expect(await storedIds(source)).toHaveLength(14_010);
    expect(await savedCheckpoint(source)).toEqual({ watermark: at(14_000) });
  });

  it.each([
    ['one statement', 50],
    ['several statements', 14_000],
  ])('a commit (%s) whose connection is killed midway keeps neither its events nor its checkpoint, and the next commit goes through', async (_label, count) => {
    const source = freshSource();
    const store = storage(source);
    await store.open();
    await store.commit(madeEvents(3), at(1));
    const events = madeEvents(count, { from: 3, startMs: FIRST_CREATED_AT + 3 });

    let failed: unknown;
    // Hold the checkpoint row, so the commit waits on it with its events inserted, then end its connection.
    // (From a second session: within a transaction, pg_stat_activity would not change.)
    const holder = new pg.Client({ connectionString: server.adminUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM eventsync_checkpoints WHERE source = $1 FOR UPDATE', [source]);
      const commit = store.commit(events, at(count)).catch((error: unknown) => error);
      await admin.query('SELECT pg_terminate_backend($1)', [await waitForBlockedCommit()]);
      failed = await commit;
    } finally {
      await holder.end();
    }

    expect(failed).toBeInstanceOf(DatabaseStorageError);
    expect((failed as DatabaseStorageError).problem).toBe('connection-lost');
    expect((failed as Error).message).toMatch(/^lost the connection to the database at postgres:\/\/eventsync:\*\*\*@.*\(57P01\)\. Nothing of this commit was kept/);
    expect(await storedIds(source)).toHaveLength(3);
    expect(await savedCheckpoint(source)).toEqual({ watermark: at(1) });

    const state = await store.recover();
    expect(state.watermark).toBe(at(1));
    await store.commit(events, at(count));
    expect(await storedIds(source)).toHaveLength(3 + count);
  });

  it('refuses a second writer on the same source, naming the one that holds it; another source opens alongside', async () => {
    const source = freshSource();
    const first = storage(source);
    await first.open();

    const second = storage(source);
    const refused = await second.open().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DatabaseStorageError);
    expect((refused as DatabaseStorageError).problem).toBe('locked');
    expect((refused as Error).message).toMatch(
      new RegExp(`^another sync \\(eventsync \\S+ pid ${process.pid}, from 127\\.0\\.0\\.1, connected since \\S+\\) is writing source "${source}" to postgres://eventsync:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/eventsync; only one may write a source at a time\\. Stop that sync first`),
    );
    expect((refused as Error).message).not.toContain(new URL(server.url).password);

    await storage(freshSource()).open();
    await first.close();
    expect((await second.open()).watermark).toBeNull();
  });

  it('when the lock connection dies, refuses to commit; recover takes the lock back, or names whoever took it meanwhile', async () => {
    const source = freshSource();
    const store = storage(source);
    await store.open();
    await store.commit(madeEvents(2), at(1));

    await terminateLockHolder(source);
    const refused = await store.commit(madeEvents(2, { from: 2, startMs: FIRST_CREATED_AT + 2 }), at(2)).catch((error: unknown) => error);
    expect((refused as DatabaseStorageError).problem).toBe('connection-lost');
    expect((refused as Error).message).toMatch(/^lost the connection that holds the writer lock for source "source-\d+"/);
    expect(await storedIds(source)).toHaveLength(2);
    expect((await store.recover()).watermark).toBe(at(1));
    await store.commit(madeEvents(2, { from: 2, startMs: FIRST_CREATED_AT + 2 }), at(2));
    expect(await storedIds(source)).toHaveLength(4);

    await terminateLockHolder(source);
    const usurper = storage(source);
    await usurper.open();
    const taken = await store.recover().catch((error: unknown) => error);
    expect((taken as DatabaseStorageError).problem).toBe('locked');
  });

  it('migrates once: opening again and four storages opening at once on a fresh database all succeed, with one migration recorded', async () => {
    const url = await server.createDatabase('concurrent_opens');
    // Separate storages are separate sessions, as separate processes would be.
    const stores = Array.from({ length: 4 }, (_, index) => storage(`s${index}`, { url }));
    await Promise.all(stores.map((store) => store.open()));
    await Promise.all(stores.map((store) => store.close()));
    await storage('s0', { url }).open();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version, name FROM eventsync_migrations');
      expect(rows).toEqual([{ version: 1, name: 'events and checkpoints' }]);
      const index = await client.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'eventsync_events_source_created_at'");
      expect(index.rows[0]?.indexdef).toMatch(/\(source, created_at\)$/);
    } finally {
      await client.end();
    }
  });

  it('keeps to its schema and table prefix: plain names as SQL reads them unquoted, others exactly', async () => {
    const plain = storage(freshSource(), { schema: 'Reporting', tablePrefix: 'Mirror_' });
    await plain.open();
    await plain.commit(madeEvents(2), null);
    expect(plain.description).toMatch(/, table reporting\.mirror_events$/);
    expect((await admin.query('SELECT count(*)::int AS n FROM Reporting.Mirror_events')).rows[0].n).toBe(2);

    const quoted = storage(freshSource(), { schema: 'Sync Data', tablePrefix: 'es_' });
    await quoted.open();
    await quoted.commit(madeEvents(1), null);
    expect(quoted.description).toMatch(/, table Sync Data\.es_events$/);
    expect((await admin.query('SELECT count(*)::int AS n FROM "Sync Data".es_events')).rows[0].n).toBe(1);
  });
});

/** The pid of the storage's commit once it waits for the checkpoint row: the test role's only session waiting on a lock. */
async function waitForBlockedCommit(): Promise<number> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND usename = 'eventsync'");
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the commit never reached the checkpoint');
}

/** Ends the session that holds the writer lock of `source`'s storage (any advisory lock of the test role's syncs). */
async function terminateLockHolder(source: string): Promise<void> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND a.datname = 'eventsync' AND a.query LIKE 'SELECT pg_try_advisory_lock%'`,
  );
  expect(rows.length, `writer locks held while looking for ${source}'s`).toBe(1);
  // With a timeout it returns once the backend has exited (PostgreSQL 14+), not when it was signalled.
  await admin.query('SELECT pg_terminate_backend($1, 5000)', [rows[0]!.pid]);
  // The storage hears of it when the server's goodbye reaches its socket.
  await new Promise((resolve) => setTimeout(resolve, 200));
}
