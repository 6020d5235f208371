/**
 * What a user sees when PostgresStorage cannot do its work, against a real Postgres: one line
 * that names the problem and what to do, never the password, and nothing half-written. The
 * full disk is a 1 MiB tmpfs tablespace; mounting needs root, as CI has.
 */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DatabaseStorageError, type DatabaseProblem } from '@eventsync/core';
import { PostgresStorage, type PostgresStorageOptions } from '@eventsync/core/node';
import { freePort } from './support/ports.js';
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
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function storage(options: Partial<PostgresStorageOptions>): PostgresStorage {
  const made = new PostgresStorage({ url: server.url, source: 'errors', ...options });
  opened.push(made);
  return made;
}

/** The storage's failure, checked for what every failure must be: one line, password masked. */
async function failure(attempt: Promise<unknown>, problem: DatabaseProblem, secret: string): Promise<string> {
  const error = await attempt.then(
    () => expect.fail('expected a failure'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DatabaseStorageError);
  const { message } = error as DatabaseStorageError;
  expect((error as DatabaseStorageError).problem, message).toBe(problem);
  expect(message).not.toContain('\n');
  expect(message).not.toContain(secret);
  expect(JSON.stringify(error)).not.toContain(secret);
  return message;
}

/** The test role's URL with another user, password or database. */
function urlWith(change: { user?: string; password?: string; database?: string }): string {
  const url = new URL(server.url);
  if (change.user) url.username = change.user;
  if (change.password) url.password = change.password;
  if (change.database) url.pathname = `/${change.database}`;
  return url.href;
}

const password = () => new URL(server.url).password;

describe('PostgresStorage when it cannot work', () => {
  it('an unreachable database (nothing listens on the port): says so with the URL, password masked', async () => {
    const port = await freePort();
    const url = `postgres://eventsync:${password()}@127.0.0.1:${port}/eventsync`;
    const message = await failure(storage({ url }).open(), 'unreachable', password());
    expect(message).toBe(
      `could not reach the database at postgres://eventsync:***@127.0.0.1:${port}/eventsync: connection refused (ECONNREFUSED). Check that Postgres is running there and that the URL's host and port are right. Nothing was written.`,
    );
  });

  it('a database that accepts the connection but never answers: gives up after the connect timeout', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const { port } = silent.address() as { port: number };
    silent.on('connection', (socket) => cleanups.push(() => void socket.destroy()));
    const message = await failure(storage({ url: `postgres://eventsync:${password()}@127.0.0.1:${port}/eventsync`, connectTimeoutMs: 300 }).open(), 'unreachable', password());
    expect(message).toMatch(/^could not reach the database at postgres:\/\/eventsync:\*\*\*@127\.0\.0\.1:\d+\/eventsync: no answer within the connect timeout\./);
  });

  it('a wrong password: names the user and the password as the thing to check, and shows neither password', async () => {
    const wrong = 'not-the-password-%40-secret';
    const message = await failure(storage({ url: urlWith({ password: wrong }) }).open(), 'authentication', 'not-the-password');
    expect(message).toMatch(/^the database at postgres:\/\/eventsync:\*\*\*@127\.0\.0\.1:\d+\/eventsync refused the password for user "eventsync" \(28P01\)\. Check the password in the URL\./);
    expect(message).not.toContain(password());
  });

  it('a database that does not exist: names it and how to create it', async () => {
    const message = await failure(storage({ url: urlWith({ database: 'no_such_db' }) }).open(), 'missing-database', password());
    expect(message).toMatch(/^database "no_such_db" does not exist at postgres:\/\/eventsync:\*\*\*@127\.0\.0\.1:\d+\/no_such_db \(3D000\)\. Create it \(createdb no_such_db\)/);
  });

  it('a role that may not create tables: says which permission is missing and how to grant it; once an owner has created them, the role can sync', async () => {
    await admin.query("CREATE ROLE limited LOGIN PASSWORD 'limited-secret'");
    await admin.query('CREATE DATABASE owned_by_admin');
    cleanups.push(async () => {
      await admin.query('DROP DATABASE owned_by_admin WITH (FORCE)');
      await admin.query('DROP ROLE limited');
    });
    const url = urlWith({ user: 'limited', password: 'limited-secret', database: 'owned_by_admin' });
    const message = await failure(storage({ url }).open(), 'permission', 'limited-secret');
    expect(message).toMatch(/^user "limited" lacks a permission Eventsync needs in database "owned_by_admin": permission denied for schema public \(42501\)\. Grant it \(to create the tables: GRANT CREATE ON SCHEMA <schema> TO "limited"\)/);

    // The owner creates the tables once; then reading and writing rows is all the role needs.
    const ownerUrl = new URL(server.adminUrl);
    ownerUrl.pathname = '/owned_by_admin';
    const byOwner = storage({ url: ownerUrl.href, source: 'setup' });
    await byOwner.open();
    await byOwner.close();
    const grants = new pg.Client({ connectionString: ownerUrl.href });
    await grants.connect();
    await grants.query('GRANT SELECT, INSERT, UPDATE ON eventsync_events, eventsync_checkpoints, eventsync_migrations TO limited');
    await grants.end();
    const limited = storage({ url });
    await limited.open();
    await limited.commit(madeEvents(3), null);
  });

  it('a table of that name with another shape: names the table and each difference, and creates nothing', async () => {
    const url = await server.createDatabase('foreign_table');
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    cleanups.push(() => owner.end());
    await owner.query('CREATE TABLE eventsync_events (id text PRIMARY KEY, created_at text, payload json NOT NULL)');
    const message = await failure(storage({ url }).open(), 'table-shape', password());
    expect(message).toBe(
      'table public.eventsync_events exists with another shape: column source is missing; column type is missing; ' +
        'column created_at is text, expected timestamp with time zone; column data is missing; column channel is missing; ' +
        'column received_at is missing; column payload is not ours and is NOT NULL without a default; ' +
        'the primary key is (id), expected (source, id). Eventsync creates and owns that table: rename or drop it, or give Eventsync another schema or table prefix. Nothing was written.',
    );
    const { rows } = await owner.query("SELECT to_regclass('eventsync_checkpoints') AS checkpoints, to_regclass('eventsync_migrations') AS migrations");
    expect(rows[0]).toEqual({ checkpoints: null, migrations: null });
  });

  it('a table of ours altered by hand: refused on the next open', async () => {
    const url = await server.createDatabase('altered_table');
    const first = storage({ url });
    await first.open();
    await first.close();
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    cleanups.push(() => owner.end());
    await owner.query('ALTER TABLE eventsync_checkpoints ALTER COLUMN checkpoint TYPE text');
    const message = await failure(storage({ url }).open(), 'table-shape', password());
    expect(message).toMatch(/^table public\.eventsync_checkpoints exists with another shape: column checkpoint is text, expected jsonb\./);
  });

  it('a URL that is not Postgres: a ConfigError that does not repeat the URL', () => {
    expect(() => new PostgresStorage({ url: 'mysql://root:hunter22@db/x', source: 's' })).toThrow(ConfigError);
    expect(() => new PostgresStorage({ url: 'mysql://root:hunter22@db/x', source: 's' })).toThrow(/^the Postgres URL must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\/$/);
    expect(() => new PostgresStorage({ url: 'postgres://u:hunter22@db/x', source: 's', tablePrefix: 'Bad-Prefix' })).toThrow(/table prefix "Bad-Prefix"/);
  });

  it('a full disk on the database server: says so, keeps nothing of the commit, and resumes exactly once space is freed', async () => {
    // A 1 MiB tablespace of the server's own user: the tables go there, the WAL stays on the big disk.
    const tiny = join(server.dir, 'tiny');
    await mkdir(tiny);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,mode=0700,uid=${server.owner.uid},gid=${server.owner.gid}`, 'tmpfs', tiny]);
    cleanups.push(() => void execFileSync('umount', [tiny]));
    await admin.query(`CREATE TABLESPACE tiny LOCATION '${tiny}'`);
    cleanups.push(async () => void (await admin.query('DROP TABLESPACE tiny')));
    await admin.query('GRANT CREATE ON TABLESPACE tiny TO eventsync');
    const url = await server.createDatabase('full_disk');
    cleanups.push(async () => void (await admin.query('DROP DATABASE full_disk WITH (FORCE)')));
    await admin.query('ALTER DATABASE full_disk SET default_tablespace = tiny');
    // Something to delete later, to free space the way a user would.
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    cleanups.push(() => owner.end());
    await owner.query("CREATE TABLE filler AS SELECT repeat('f', 1000) AS f FROM generate_series(1, 300)");

    const store = storage({ url });
    await store.open();
    const at = (offset: number) => new Date(FIRST_CREATED_AT + offset).toISOString();
    const page = () => madeEvents(100, { from: committed, startMs: FIRST_CREATED_AT + committed, pad: 1_500 });
    let committed = 0;
    let full: unknown;
    for (let pages = 0; pages < 40 && full === undefined; pages++) {
      full = await store.commit(page(), at(committed + 99)).then(
        () => void (committed += 100),
        (error: unknown) => error,
      );
    }
    expect(full, 'the tablespace never filled').toBeDefined();
    expect(committed, 'the tablespace was full from the start').toBeGreaterThan(0);
    const message = await failure(Promise.reject(full), 'disk-full', password());
    expect(message).toMatch(/^the database server at postgres:\/\/eventsync:\*\*\*@127\.0\.0\.1:\d+\/full_disk has no disk space left: could not extend file .*No space left on device.* \(53100\)\. Free space on it\. Nothing of this commit was kept/);
    const count = async () => Number((await owner.query('SELECT count(*) FROM eventsync_events')).rows[0].count);
    expect(await count()).toBe(committed);
    expect((await owner.query('SELECT checkpoint FROM eventsync_checkpoints')).rows[0].checkpoint).toEqual({ watermark: at(committed - 1) });

    await owner.query('DROP TABLE filler');
    const state = await store.recover();
    expect(state.watermark).toBe(at(committed - 1));
    await store.commit(page(), at(committed + 99));
    expect(await count()).toBe(committed + 100);
  });
});
