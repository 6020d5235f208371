/**
 * Workers sharing connections through Postgres (PostgresLeases), against a real Postgres: claims
 * never overlap, a silent worker's leases pass to another after the TTL with a newer epoch, and
 * a commit under a lease that has gone (PostgresStorage with a fence) is refused and writes
 * nothing; a commit in flight keeps its lease from changing hands until it ends, which
 * lease_history shows as "epoch k's last commit before epoch k+1's claim" under a race.
 * Each test has a table prefix of its own, so worker and lease counts are its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DatabaseStorageError } from '@eventsync/core';
import { fairShare, heartbeatIntervalMs, PostgresLeases, PostgresStorage, type Lease, type LeasesOptions } from '@eventsync/core/node';
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

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

let tests = 0;
let prefix = '';
/** A table prefix of its own for each test. */
function freshPrefix(): string {
  prefix = `l${++tests}_`;
  return prefix;
}

async function worker(name: string, options: Partial<LeasesOptions> = {}): Promise<PostgresLeases> {
  const leases = await PostgresLeases.open({ url: server.url, tablePrefix: prefix, worker: name, ttlMs: 1_000, ...options });
  cleanups.push(() => leases.close());
  return leases;
}

function storage(leases: PostgresLeases, lease: Lease, pool?: pg.Pool): PostgresStorage {
  const made = new PostgresStorage({ url: server.url, source: lease.connection, tablePrefix: prefix, fence: leases.fence(lease), pool });
  cleanups.push(() => made.close());
  return made;
}

const at = (n: number) => new Date(FIRST_CREATED_AT + n).toISOString();
/** Events n .. n+count-1 of a connection: ids evt_<n>, created at FIRST_CREATED_AT + n ms. */
const events = (n: number, count: number) => madeEvents(count, { from: n, startMs: FIRST_CREATED_AT + n });

async function storedCount(connection: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${prefix}events WHERE source = $1`, [connection]);
  return rows[0]!.n;
}

async function savedWatermark(connection: string): Promise<string | undefined> {
  const { rows } = await admin.query<{ watermark: string }>(`SELECT checkpoint->>'watermark' AS watermark FROM ${prefix}checkpoints WHERE source = $1`, [connection]);
  return rows[0]?.watermark;
}

interface HistoryRow {
  connection: string;
  epoch: number;
  owner: string;
  acquired_at: Date;
  first_commit_at: Date | null;
  last_commit_at: Date | null;
  commits: number;
}

async function history(): Promise<HistoryRow[]> {
  const { rows } = await admin.query<HistoryRow>(
    `SELECT connection, epoch::int AS epoch, owner, acquired_at, first_commit_at, last_commit_at, commits::int AS commits FROM ${prefix}lease_history ORDER BY connection, epoch`,
  );
  return rows;
}

/** The pairs (epoch k, epoch k+1) of a connection where k's last commit is not before k+1's claim. */
function overlaps(rows: readonly HistoryRow[]): string[] {
  const found: string[] = [];
  for (let index = 1; index < rows.length; index++) {
    const [before, after] = [rows[index - 1]!, rows[index]!];
    if (before.connection !== after.connection || before.last_commit_at === null) continue;
    if (!(before.last_commit_at < after.acquired_at)) found.push(`${after.connection}: epoch ${before.epoch} committed at ${before.last_commit_at.toISOString()}, epoch ${after.epoch} acquired at ${after.acquired_at.toISOString()}`);
  }
  return found;
}

async function leaseLost(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    () => expect.fail('expected the commit to be refused'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DatabaseStorageError);
  expect((error as DatabaseStorageError).problem, (error as Error).message).toBe('lease-lost');
  return (error as Error).message;
}

/** The pid of a session of the test role that waits on a lock (a commit held up on purpose). */
async function waitForBlockedCommit(): Promise<number> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND usename = 'eventsync'");
    if (rows[0]) return rows[0].pid;
    await sleep(25);
  }
  throw new Error('the commit never blocked');
}

describe('PostgresLeases', () => {
  it('workers claiming at once get disjoint leases, every free one taken, each a new epoch on the history', async () => {
    freshPrefix();
    const workers = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((name) => worker(name, { ttlMs: 60_000 })));
    const connections = Array.from({ length: 20 }, (_, index) => `conn-${String(index).padStart(2, '0')}`);
    await Promise.all(workers.map((leases) => leases.register(connections)));

    const rounds = 25;
    for (let round = 1; round <= rounds; round++) {
      const claims = await Promise.all(workers.map((leases) => leases.claim(7)));
      const taken = claims.flat().map((lease) => lease.connection);
      expect(new Set(taken).size, `round ${round}: ${JSON.stringify(claims)}`).toBe(taken.length);
      expect([...taken].sort()).toEqual(connections);
      for (const lease of claims.flat()) expect(lease.epoch).toBe(round);
      const { rows } = await admin.query<{ connection: string; owner: string }>(`SELECT connection, owner FROM ${prefix}leases ORDER BY connection`);
      const claimedBy = new Map(claims.flatMap((leases, index) => leases.map((lease) => [lease.connection, `w${index + 1}`] as const)));
      expect(rows.map((row) => [row.connection, row.owner])).toEqual(connections.map((connection) => [connection, claimedBy.get(connection)]));
      await Promise.all(workers.map((leases, index) => Promise.all(claims[index]!.map((lease) => leases.release(lease)))));
    }
    const rows = await history();
    expect(rows).toHaveLength(rounds * connections.length);
    expect(rows.every((row) => row.commits === 0)).toBe(true);
  });

  it('a worker that stops heartbeating loses its leases after the TTL; another claims them at epoch + 1, and the first hears they are lost', async () => {
    freshPrefix();
    const [a, b] = [await worker('a'), await worker('b')];
    await a.register(['c1', 'c2', 'c3']);
    expect(await a.claim(5)).toEqual([
      { connection: 'c1', epoch: 1 },
      { connection: 'c2', epoch: 1 },
      { connection: 'c3', epoch: 1 },
    ]);

    // While a heartbeats, its leases hold past the TTL.
    for (let beat = 0; beat < 5; beat++) {
      await sleep(heartbeatIntervalMs(1_000));
      expect((await a.heartbeat()).held).toHaveLength(3);
      expect(await b.claim(3)).toEqual([]);
    }

    await sleep(1_200);
    await b.heartbeat(); // as a worker's round goes: heartbeat, then claim
    expect(await b.claim(2)).toEqual([
      { connection: 'c1', epoch: 2 },
      { connection: 'c2', epoch: 2 },
    ]);
    const beat = await a.heartbeat();
    // b is configured with nothing: c1..c3 are a's alone, whoever holds them now.
    expect(beat).toEqual({ held: [], lost: ['c1', 'c2', 'c3'], liveWorkers: 2, total: 3, onlyHere: ['c1', 'c2', 'c3'] });
    // c3 expired and is free: a claims it again, at a new epoch.
    expect(await a.claim(1)).toEqual([{ connection: 'c3', epoch: 2 }]);

    const status = await b.status();
    expect(status.map(({ connection, owner, epoch, liveOwner }) => ({ connection, owner, epoch, liveOwner }))).toEqual([
      { connection: 'c1', owner: 'b', epoch: 2, liveOwner: true },
      { connection: 'c2', owner: 'b', epoch: 2, liveOwner: true },
      { connection: 'c3', owner: 'a', epoch: 2, liveOwner: true },
    ]);
  });

  it("refuses a commit by the old holder after another worker took the lease, keeping nothing of it; the new holder resumes from the old holder's last commit", async () => {
    freshPrefix();
    const [a, b] = [await worker('worker-a'), await worker('worker-b')];
    await a.register(['c1']);
    const [first] = await a.claim(1);
    const old = storage(a, first!);
    await old.open();
    await old.commit(events(0, 3), at(2));

    await sleep(1_200); // a stops heartbeating
    const [second] = await b.claim(1);
    expect(second).toEqual({ connection: 'c1', epoch: 2 });
    const message = await leaseLost(old.commit(events(3, 4), at(6)));
    expect(message).toBe(
      'the lease on connection "c1" (epoch 1) was taken by worker "worker-b" (epoch 2). ' +
        'Nothing of this commit was kept; stop syncing connection "c1" here: the worker that holds the lease resumes it from the last commit.',
    );
    expect(await storedCount('c1')).toBe(3);
    expect(await savedWatermark('c1')).toBe(at(2));
    // An empty commit (a checkpoint alone) goes through the fence too.
    await leaseLost(old.commit([], at(9)));
    expect(await savedWatermark('c1')).toBe(at(2));

    // No advisory lock stands in the way: the new holder opens the same source while the old storage is still open.
    const current = storage(b, second!);
    expect((await current.open()).watermark).toBe(at(2));
    await current.commit(events(3, 4), at(6));
    expect(await storedCount('c1')).toBe(7);

    // A storage opened under a lease that has gone is refused at once.
    const refused = await leaseLost(storage(a, first!).open());
    expect(refused).toMatch(/^the lease on connection "c1" \(epoch 1\) was taken by worker "worker-b" \(epoch 2\), so this worker may not write connection "c1"\. Nothing was written\.$/);

    const rows = await history();
    expect(rows.map(({ epoch, owner, commits }) => ({ epoch, owner, commits }))).toEqual([
      { epoch: 1, owner: 'worker-a', commits: 1 },
      { epoch: 2, owner: 'worker-b', commits: 1 },
    ]);
    expect(overlaps(rows)).toEqual([]);
  });

  it('refuses a commit under a lease that expired even before anyone took it', async () => {
    freshPrefix();
    const a = await worker('a');
    await a.register(['c1']);
    const [lease] = await a.claim(1);
    const store = storage(a, lease!);
    await store.open();
    await sleep(1_200);
    const message = await leaseLost(store.commit(events(0, 2), at(1)));
    expect(message).toMatch(/^the lease on connection "c1" \(epoch 1\) expired \(no heartbeat renewed it in time; another worker may take it at any moment\)\. Nothing of this commit was kept/);
    expect(await storedCount('c1')).toBe(0);
    expect(await a.heartbeat()).toMatchObject({ held: [], lost: ['c1'] });
  });

  it('a commit in flight keeps its lease: a claim skips the row, expired or not, until the commit ends', async () => {
    freshPrefix();
    const [a, b] = [await worker('a'), await worker('b')];
    await a.register(['c1']);
    const [lease] = await a.claim(1);
    const store = storage(a, lease!);
    await store.open();
    await store.commit(events(0, 1), at(0));

    // Hold the checkpoint row, so the commit passes its fence, writes its events and then waits.
    const holder = new pg.Client({ connectionString: server.adminUrl });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM ${prefix}checkpoints WHERE source = 'c1' FOR UPDATE`);
    const commit = store.commit(events(1, 2), at(2));
    await waitForBlockedCommit();

    await sleep(1_200);
    const { rows } = await admin.query<{ expired: boolean }>(`SELECT expires_at < clock_timestamp() AS expired FROM ${prefix}leases`);
    expect(rows[0]!.expired).toBe(true);
    expect(await b.claim(1)).toEqual([]);

    await holder.query('COMMIT');
    await commit; // it passed its fence while the lease was valid: it counts
    expect(await storedCount('c1')).toBe(3);
    expect(await b.claim(1)).toEqual([{ connection: 'c1', epoch: 2 }]);
    const history_ = await history();
    expect(history_.map(({ epoch, commits }) => ({ epoch, commits }))).toEqual([
      { epoch: 1, commits: 2 },
      { epoch: 2, commits: 0 },
    ]);
    expect(overlaps(history_)).toEqual([]);
  });

  it('release hands a lease back at once, only if still held at that epoch; close releases the rest and removes the worker', async () => {
    freshPrefix();
    const [a, b] = [await worker('a', { ttlMs: 60_000 }), await worker('b', { ttlMs: 60_000 })];
    await a.register(['c1', 'c2']);
    const [one, two] = await a.claim(2);
    expect(await b.claim(2)).toEqual([]);
    await a.release(one!);
    expect(await b.claim(2)).toEqual([{ connection: 'c1', epoch: 2 }]);
    await a.release(one!); // no longer a's: b keeps it
    expect((await b.status())[0]).toMatchObject({ connection: 'c1', owner: 'b', epoch: 2 });
    expect(await b.heartbeat()).toMatchObject({ held: [{ connection: 'c1', epoch: 2 }], lost: [], liveWorkers: 2 });

    await a.close();
    expect(two).toEqual({ connection: 'c2', epoch: 1 });
    expect(await b.claim(1)).toEqual([{ connection: 'c2', epoch: 2 }]);
    expect(await b.heartbeat()).toMatchObject({ liveWorkers: 1, total: 2 });
  });

  it('counts as live only workers whose heartbeat has not expired, and forgets the others', async () => {
    freshPrefix();
    const steady = await worker('steady', { ttlMs: 60_000 });
    const [quiet, other] = [await worker('quiet'), await worker('other')];
    await steady.register(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(await steady.heartbeat()).toEqual({ held: [], lost: [], liveWorkers: 3, total: 5, onlyHere: ['c1', 'c2', 'c3', 'c4', 'c5'] });
    await sleep(1_200);
    expect(await steady.heartbeat()).toMatchObject({ liveWorkers: 1 });
    const { rows } = await admin.query(`SELECT worker FROM ${prefix}workers ORDER BY worker`);
    expect(rows).toEqual([{ worker: 'steady' }]);
    // A worker that comes back from a pause is live again.
    expect(await other.heartbeat()).toMatchObject({ liveWorkers: 2 });
    expect(fairShare(5, 2)).toBe(3);
    expect(await steady.heartbeat()).toMatchObject({ liveWorkers: 2 });
    await quiet.close();
  });

  it('shares out the connections some live worker is configured with or holds, counted alike by every worker: rows of connections removed from the configuration do not raise the share', async () => {
    freshPrefix();
    const earlier = await worker('earlier', { ttlMs: 60_000 });
    await earlier.register(['c1', 'c2', 'c3', 'c4', 'retired1', 'retired2', 'retired3', 'retired4']);
    await earlier.close();
    // The configuration has lost the retired connections; two workers now share c1..c4.
    const [a, b] = [await worker('a', { ttlMs: 60_000 }), await worker('b', { ttlMs: 60_000 })];
    for (const leases of [a, b]) await leases.register(['c1', 'c2', 'c3', 'c4']);
    await b.heartbeat();
    const beat = await a.heartbeat();
    expect(beat).toMatchObject({ liveWorkers: 2, total: 4 });
    // Eight rows counted would make the share 4: a would take every connection and b none.
    expect(fairShare(beat.total, beat.liveWorkers)).toBe(2);
    expect(await a.claim(2, ['c1', 'c2', 'c3', 'c4'])).toHaveLength(2);
    expect(await b.claim(2, ['c1', 'c2', 'c3', 'c4'])).toHaveLength(2);

    expect(beat.onlyHere).toEqual([]);

    // A worker configured with more (a new configuration rolling out) raises everyone's total
    // alike, held or not, so the shares add up; what only it is configured with is its own
    // (run --coordinator claims it whatever the share).
    const wider = await worker('wider', { ttlMs: 60_000 });
    await wider.register(['c1', 'c2', 'c3', 'c4', 'x1', 'x2', 'x3']);
    for (const leases of [a, b]) expect(await leases.heartbeat()).toMatchObject({ liveWorkers: 3, total: 7, onlyHere: [] });
    const wide = await wider.heartbeat();
    expect(wide).toMatchObject({ liveWorkers: 3, total: 7, onlyHere: ['x1', 'x2', 'x3'] });
    expect(await wider.claim(2, wide.onlyHere)).toEqual([
      { connection: 'x1', epoch: 1 },
      { connection: 'x2', epoch: 1 },
    ]);
    // Gone, its list goes with it: its leases handed back, nobody counts x1 and x2.
    await wider.close();
    expect(await a.heartbeat()).toMatchObject({ liveWorkers: 2, total: 4 });

    // A worker that joins with its connections is listed from its first statement on: the
    // others never see a live worker configured with nothing, and take nothing as theirs alone.
    const joining = await worker('joining', { ttlMs: 60_000, connections: ['c1', 'c2', 'c5'] });
    const { rows } = await admin.query(`SELECT connections FROM ${prefix}workers WHERE worker = 'joining'`);
    expect(rows).toEqual([{ connections: ['c1', 'c2', 'c5'] }]);
    expect(await a.heartbeat()).toMatchObject({ liveWorkers: 3, total: 5 });
    expect(await joining.heartbeat()).toMatchObject({ liveWorkers: 3, total: 5, onlyHere: ['c5'] });
  });

  it('keeps last_error of a lease it holds for status, and a claim clears it', async () => {
    freshPrefix();
    const [a, b] = [await worker('a'), await worker('b')];
    await a.register(['c1']);
    await b.reportError('c1', 'not mine: ignored');
    const [lease] = await a.claim(1);
    await a.reportError('c1', 'the API refused the key …wxyz (401)');
    expect(await b.status()).toMatchObject([{ connection: 'c1', owner: 'a', lastError: 'the API refused the key …wxyz (401)', liveOwner: true }]);
    expect((await b.status())[0]!.expiresAt).toBeInstanceOf(Date);
    await sleep(1_200);
    expect(await b.status()).toMatchObject([{ owner: 'a', liveOwner: false }]);
    await b.heartbeat();
    await b.claim(1);
    expect(await b.status()).toMatchObject([{ owner: 'b', lastError: null, liveOwner: true }]);
    expect(lease).toEqual({ connection: 'c1', epoch: 1 });
  });

  it('creates its tables beside the sink\'s under one migrations table; a storage alone creates none of them; a stranger\'s table is refused', async () => {
    prefix = 'eventsync_';
    const url = await server.createDatabase('layouts');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    cleanups.push(() => client.end());
    const tables = async () =>
      (await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((row) => row.name);
    const migrations = async () => (await client.query('SELECT version, name FROM eventsync_migrations ORDER BY version')).rows;

    const sink = new PostgresStorage({ url, source: 'c1' });
    cleanups.push(() => sink.close());
    await sink.open();
    expect(await tables()).toEqual(['eventsync_checkpoints', 'eventsync_events', 'eventsync_migrations']);
    await PostgresLeases.open({ url, worker: 'w', ttlMs: 1_000 }).then((leases) => leases.close());
    expect(await tables()).toEqual(['eventsync_checkpoints', 'eventsync_events', 'eventsync_lease_history', 'eventsync_leases', 'eventsync_migrations', 'eventsync_workers']);
    expect(await migrations()).toEqual([
      { version: 1, name: 'events and checkpoints' },
      { version: 2, name: 'leases, workers and lease history' },
      { version: 3, name: 'the connections each worker is configured with' },
    ]);
    // Tables an earlier version made (up to migration 2) are brought up to date, rows kept.
    await client.query('ALTER TABLE eventsync_workers DROP COLUMN connections');
    await client.query('DELETE FROM eventsync_migrations WHERE version = 3');
    await client.query("INSERT INTO eventsync_workers (worker, host, pid, expires_at) VALUES ('older', 'h', 1, now() + interval '1 minute')");
    const upgraded = await PostgresLeases.open({ url, worker: 'w', ttlMs: 1_000 });
    await upgraded.register(['c1', 'c2']);
    // The older worker's list is unknown: every row counts, and nothing is taken for the new one's alone.
    expect(await upgraded.heartbeat()).toMatchObject({ liveWorkers: 2, total: 2, onlyHere: [] });
    await upgraded.close();
    expect((await migrations()).map(({ version }) => version)).toEqual([1, 2, 3]);

    await client.query('CREATE TABLE other_workers (worker integer PRIMARY KEY)');
    const error = await PostgresLeases.open({ url, tablePrefix: 'other_', worker: 'w', ttlMs: 1_000 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DatabaseStorageError);
    expect((error as DatabaseStorageError).problem).toBe('table-shape');
    expect((error as Error).message).toMatch(/^table public\.other_workers exists with another shape: column worker is integer, expected text; column host is missing; .* Eventsync creates and owns that table: rename or drop it/);
    expect((error as Error).message).not.toContain(new URL(url).password);
    expect((await tables()).filter((name) => name.startsWith('other_'))).toEqual(['other_workers']);
  });

  it('refuses a TTL or worker id that cannot work, before connecting', async () => {
    const refused = (options: Partial<LeasesOptions>) => PostgresLeases.open({ url: server.url, worker: 'w', ttlMs: 1_000, ...options }).catch((error: unknown) => error);
    expect(await refused({ ttlMs: 50 })).toBeInstanceOf(ConfigError);
    expect(await refused({ ttlMs: 1.5 })).toBeInstanceOf(ConfigError);
    expect(await refused({ worker: '' })).toBeInstanceOf(ConfigError);
    expect(fairShare(0, 3)).toBe(0);
    expect(fairShare(10, 3)).toBe(4);
    expect(fairShare(4, 0)).toBe(4);
  });

  it('under a race of commits, stalls, releases and takeovers: every commit is its epoch own, epoch k ends before k+1 begins, and each connection holds its events exactly once', async () => {
    freshPrefix();
    const TTL = 600;
    const connections = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const observed = new Map<string, number>(); // `${connection}#${epoch}` -> commits that returned
    let refusals = 0;
    let takenOver = 0; // refusals of a commit whose lease another worker had claimed meanwhile

    interface Worker {
      readonly leases: PostgresLeases;
      readonly pool: pg.Pool;
      readonly syncing: Map<string, { stop: boolean; done: Promise<void> }>;
      stalledUntil: number;
    }

    const sync = async (w: Worker, lease: Lease, flag: { stop: boolean }): Promise<void> => {
      const store = new PostgresStorage({ url: server.url, source: lease.connection, tablePrefix: prefix, fence: w.leases.fence(lease), pool: w.pool });
      try {
        const state = await store.open();
        let next = state.watermark === null ? 0 : Date.parse(state.watermark) - FIRST_CREATED_AT + 1;
        while (!flag.stop) {
          // A stalled worker is paused whole (a long GC, SIGSTOP): its commits wait too, and resume under the old lease.
          while (Date.now() < w.stalledUntil) await sleep(10);
          const count = 1 + Math.floor(Math.random() * 3);
          await store.commit(events(next, count), at(next + count - 1));
          next += count;
          const key = `${lease.connection}#${lease.epoch}`;
          observed.set(key, (observed.get(key) ?? 0) + 1);
          await sleep(Math.random() * 15);
        }
      } catch (error) {
        if (!(error instanceof DatabaseStorageError && error.problem === 'lease-lost')) throw error;
        refusals++;
        if (/was taken by worker/.test(error.message)) takenOver++;
      } finally {
        await store.close();
      }
    };

    const failures: unknown[] = [];
    const start = (w: Worker, lease: Lease): void => {
      const flag = { stop: false, done: Promise.resolve() };
      flag.done = sync(w, lease, flag).catch((error: unknown) => void failures.push(error));
      w.syncing.set(`${lease.connection}#${lease.epoch}`, flag);
    };
    const stop = async (w: Worker, connection: string): Promise<void> => {
      for (const [key, flag] of w.syncing) {
        if (!key.startsWith(`${connection}#`)) continue;
        flag.stop = true;
        await flag.done;
        w.syncing.delete(key);
      }
    };

    const run = async (w: Worker, index: number, until: number): Promise<void> => {
      // Each worker stalls once, long enough for the others to take its leases; then its commits go first, under the old leases.
      const stallAt = Date.now() + 600 + index * 1_200;
      while (Date.now() < until) {
        if (w.stalledUntil === 0 && Date.now() >= stallAt) w.stalledUntil = Date.now() + TTL * 2;
        if (Date.now() >= w.stalledUntil) {
          const beat = await w.leases.heartbeat();
          for (const connection of beat.lost) w.syncing.forEach((flag, key) => key.startsWith(`${connection}#`) && (flag.stop = true));
          const want = fairShare(beat.total, beat.liveWorkers) - beat.held.length;
          for (const lease of want > 0 ? await w.leases.claim(want) : []) start(w, lease);
          if (Math.random() < 0.1 && beat.held.length > 0) {
            const lease = beat.held[Math.floor(Math.random() * beat.held.length)]!;
            await stop(w, lease.connection);
            await w.leases.release(lease);
          }
        }
        await sleep(heartbeatIntervalMs(TTL));
      }
      await Promise.all([...w.syncing.keys()].map((key) => stop(w, key.split('#')[0]!)));
      await w.leases.close();
    };

    const workers: Worker[] = [];
    for (const name of ['w1', 'w2', 'w3']) {
      // One pool per worker, shared by its leases and all its storages, as `eventsync run` shares it.
      const pool = new pg.Pool({ connectionString: server.url, max: 8 });
      pool.on('error', () => undefined);
      cleanups.push(() => pool.end());
      const leases = await worker(name, { ttlMs: TTL, pool });
      workers.push({ leases, pool, syncing: new Map(), stalledUntil: 0 });
    }
    await workers[0]!.leases.register(connections);
    const until = Date.now() + 5_000;
    await Promise.all(workers.map((w, index) => run(w, index, until)));

    expect(failures).toEqual([]);
    // Storages and leases closed; the pools they shared are their creator's and still work.
    for (const w of workers) expect((await w.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const rows = await history();
    // The race did what it is for: leases moved, and stale holders tried to commit.
    expect(rows.length).toBeGreaterThan(connections.length * 2);
    expect(takenOver).toBeGreaterThan(0);
    // Each epoch's commits are the ones its holder saw go through, no more (a stale commit would count elsewhere).
    const counted = Object.fromEntries(rows.filter((row) => row.commits > 0).map((row) => [`${row.connection}#${row.epoch}`, row.commits]));
    expect(counted).toEqual(Object.fromEntries(observed));
    expect(overlaps(rows)).toEqual([]);
    for (const connection of connections) {
      const { rows: stored } = await admin.query<{ n: number; last: number }>(
        `SELECT count(*)::int AS n, max(substr(id, 5)::int) AS last FROM ${prefix}events WHERE source = $1`,
        [connection],
      );
      const { n, last } = stored[0]!;
      expect(n, connection).toBeGreaterThan(0);
      expect(last, `${connection}: ids 0..${last} each once`).toBe(n - 1);
      expect(await savedWatermark(connection)).toBe(at(last));
    }
  }, 30_000);
});
