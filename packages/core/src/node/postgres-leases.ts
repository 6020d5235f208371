/**
 * Many workers on many machines sharing the configured connections through Postgres: each
 * connection is synced by the one worker that holds its lease.
 *
 * Tables (postgres-layout.ts, set `coordination`): `<prefix>leases` has a row per connection
 * (owner, epoch, expires_at, last_error), `<prefix>workers` a row per live worker (its
 * heartbeat, the connections it is configured with), `<prefix>lease_history` a row per claim
 * (when acquired, first and last commit, how many). A worker registers the connections it is
 * configured with, claims free or expired rows, renews what it holds with a heartbeat every
 * ttl/5, and commits each connection's events through a fence (postgres-fence.ts) that
 * PostgresStorage checks inside every commit.
 *
 * Why a lease table and not session advisory locks (what one sync per source uses,
 * postgres-writer-lock.ts): an advisory lock lives and dies with one database session. Across
 * machines that ties every connection's ownership to a socket: a network blip of a second
 * frees all of a worker's connections at once, and each must then be fenced anyway, since an
 * advisory lock does not stop another session's writes; nor can others see why a connection is
 * stuck. A lease row survives a dropped session until its TTL, says who holds it and what went
 * wrong last (`eventsync status`), and its epoch is what fences a stale writer. The price is
 * failover time: a crashed worker's connections wait out the TTL.
 *
 * Why not a job queue such as pg-boss: its jobs run to completion and are retried; ours are
 * held for as long as the worker lives, and exactly-once across a takeover needs the check in
 * the sink's own transaction, which a queue does not give. It would also bring a schema of its own.
 *
 * Claims use `SELECT ... FOR UPDATE SKIP LOCKED`: workers claiming at once never wait for each
 * other and never get the same row, and a row whose commit is in flight (locked by the fence)
 * is skipped until the commit ends. Each claim adds one to the epoch; a commit goes through only
 * while its (owner, epoch) still match and the lease is unexpired, in the same transaction as
 * its writes, so a worker that was paused past its TTL and taken over writes nothing.
 *
 * Every expiry is decided on Postgres's clock (clock_timestamp(): the time of the statement,
 * not of its transaction's start): a worker sends only durations, never times, so machines
 * whose clocks disagree still agree on who holds what.
 */
import { hostname } from 'node:os';
import type { Pool, PoolClient } from 'pg';
import { ConfigError } from '../errors.js';
import { assertPeerInstalled } from './optional-peer.js';
import { asPgPool, withPooledClient } from './postgres-connection.js';
import { postgresFailure } from './postgres-failure.js';
import { migrate, PostgresLayout } from './postgres-layout.js';
import type { PostgresPool } from './postgres-pool.js';
import { PostgresTarget } from './postgres-target.js';

/** A connection as one worker holds it: `epoch` counts the claims on it, so a later holder's epoch is larger. */
export interface Lease {
  readonly connection: string;
  readonly epoch: number;
}

/**
 * What a storage checks inside each commit (PostgresStorageOptions.fence; the check is
 * postgres-fence.ts): this lease, held by `owner`, in these tables (qualified and quoted),
 * which must be in the sink's database.
 */
export interface CommitFence {
  readonly lease: Lease;
  /** The worker id the lease was claimed under. */
  readonly owner: string;
  readonly leasesTable: string;
  readonly historyTable: string;
}

/**
 * How long a lease lasts without a heartbeat. With a heartbeat every ttl/5, three heartbeats in
 * a row may fail (a database failover, a long pause of the process) before a worker loses its
 * connections; and a worker that died has its connections taken over within 15 s (plus the
 * claiming worker's next round). Longer would leave a dead worker's connections unsynced for
 * longer; much shorter would shuffle connections on every hiccup.
 */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/** How often to heartbeat for a lease of `ttlMs`: five times per TTL. */
export function heartbeatIntervalMs(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 5));
}

/** How many connections one worker should hold: ceil(total / live), 0 when there are none. */
export function fairShare(total: number, liveWorkers: number): number {
  return total <= 0 ? 0 : Math.ceil(total / Math.max(1, liveWorkers));
}

export interface LeasesOptions {
  /** `postgres://user:password@host:5432/database`; the same database as the sink (the fence runs in the sink's transactions). */
  readonly url: string;
  /** Default `public`. */
  readonly schema?: string;
  /** Default `eventsync_`: tables `<prefix>leases`, `<prefix>workers`, `<prefix>lease_history`. */
  readonly tablePrefix?: string;
  /** This worker's id, unique across the fleet and across restarts, e.g. `${host}:${pid}:${random}`. */
  readonly worker: string;
  /** How long a lease lasts without a heartbeat (DEFAULT_LEASE_TTL_MS); heartbeat every heartbeatIntervalMs(ttlMs). */
  readonly ttlMs: number;
  /** A shared pg.Pool: used instead of one of our own, and not ended by close(). Its creator listens for its 'error' event. */
  readonly pool?: PostgresPool;
  /** How long to wait for a connection of our own pool. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * The connections this worker is configured with, registered as it joins (see register()):
   * its row then never shows it configured with nothing, which would make the others take
   * every connection for a tick.
   */
  readonly connections?: readonly string[];
}

export interface Heartbeat {
  /** The leases this worker still holds, renewed for another TTL. */
  readonly held: Lease[];
  /** Connections this worker held until now and no longer does (expired, or taken): stop syncing them. */
  readonly lost: string[];
  /** Workers whose heartbeat has not expired, this one included. */
  readonly liveWorkers: number;
  /**
   * Connections to share among the live workers: those any live worker registered (the
   * list on its worker row), and any whose lease is held. Every worker counts the same,
   * whatever its own configuration, so their shares add up. A row neither, such as a
   * connection since removed from every configuration, is left out: counted, it would raise
   * every share and pile connections onto the first workers. While a live worker's list is
   * unknown (a worker of an earlier version), every row.
   */
  readonly total: number;
  /**
   * Connections this worker registered and no other live worker did: nobody else can sync
   * them, so they are this worker's whatever its share. Empty while a live worker's list is
   * unknown (a worker of an earlier version).
   */
  readonly onlyHere: string[];
}

export interface LeaseStatus {
  readonly connection: string;
  /** The worker id of the last claim; null when free. */
  readonly owner: string | null;
  readonly epoch: number;
  readonly expiresAt: Date | null;
  /** What the holder last reported (reportError), cleared by the next claim. */
  readonly lastError: string | null;
  /** The lease is unexpired and its owner's worker row too: someone is syncing the connection. */
  readonly liveOwner: boolean;
}

/** Longest last_error kept: a status line, not a log. */
const MAX_ERROR_LENGTH = 2_000;
/** Shortest TTL accepted: below it, a heartbeat's own round trip could outlast the lease. */
const MIN_TTL_MS = 100;

export class PostgresLeases {
  /** The database and table, password masked, for messages. */
  readonly description: string;
  /** What this worker believes it holds: connection -> epoch. */
  private readonly held = new Map<string, number>();
  /** What register() was given, every call's together: the connections this worker is configured with. */
  private readonly registered = new Set<string>();
  /** Whether this worker's row holds `registered`: false after a register() whose write failed, until a heartbeat's. */
  private registeredWritten = true;
  private readonly host = hostname();
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly layout: PostgresLayout,
    private readonly target: PostgresTarget,
    readonly worker: string,
    readonly ttlMs: number,
  ) {
    this.description = `${target.masked}, table ${layout.schema}.${layout.names.leases}`;
  }

  /**
   * Creates or migrates the lease tables and registers this worker (its row in `<prefix>workers`).
   * @throws ConfigError for a bad URL, worker id, TTL, schema or prefix; DatabaseStorageError when the database fails.
   */
  static async open(options: LeasesOptions): Promise<PostgresLeases> {
    if (options.worker === '') throw new ConfigError('the worker id must not be empty', 'worker');
    if (!Number.isInteger(options.ttlMs) || options.ttlMs < MIN_TTL_MS) {
      throw new ConfigError(`the lease TTL must be a whole number of milliseconds, at least ${MIN_TTL_MS} (default ${DEFAULT_LEASE_TTL_MS}), not ${options.ttlMs}`, 'ttlMs');
    }
    assertPeerInstalled('pg', 'Workers sharing connections through Postgres', 'url');
    const target = new PostgresTarget(options.url);
    const layout = new PostgresLayout(options.schema ?? 'public', options.tablePrefix ?? 'eventsync_');
    let pool: Pool;
    if (options.pool) {
      pool = asPgPool(options.pool);
    } else {
      const { Pool } = await import('pg');
      pool = new Pool({
        connectionString: options.url,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
        keepAlive: true,
        max: 2,
        application_name: `eventsync worker ${options.worker}`,
      });
      // An idle connection that breaks is dropped by the pool; the next query gets a fresh one.
      pool.on('error', () => undefined);
    }
    const connections = [...new Set(options.connections ?? [])];
    if (connections.some((connection) => connection === '')) throw new ConfigError('a connection name must not be empty', 'connections');
    const leases = new PostgresLeases(pool, !options.pool, layout, target, options.worker, options.ttlMs);
    try {
      await leases.run('Nothing was registered.', async (client) => {
        await migrate(client, layout, 'coordination');
        await client.query(insertLeaseRows(layout), [connections]);
        // A null list is only ever a worker of an earlier version's.
        await client.query(
          `INSERT INTO ${layout.workers} (worker, host, pid, started_at, heartbeat_at, expires_at, connections)
           VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp(), clock_timestamp() + $4 * interval '1 millisecond', $5::text[])
           ON CONFLICT (worker) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at,
                  connections = EXCLUDED.connections`,
          [options.worker, leases.host, process.pid, options.ttlMs, connections],
        );
      });
      for (const connection of connections) leases.registered.add(connection);
      return leases;
    } catch (error) {
      if (!options.pool) await pool.end().catch(() => undefined);
      throw error;
    }
  }

  /** Ensures a lease row for each configured connection; rows of connections others configured are left alone. */
  async register(connections: readonly string[]): Promise<void> {
    if (connections.some((connection) => connection === '')) throw new ConfigError('a connection name must not be empty', 'connections');
    await this.query(insertLeaseRows(this.layout), [[...new Set(connections)]], 'Nothing was registered.');
    for (const connection of connections) this.registered.add(connection);
    // On the worker row at once, not at the next heartbeat: until it is there, other workers
    // count this one's connections as nobody's.
    this.registeredWritten = false;
    await this.query(`UPDATE ${this.layout.workers} SET connections = $2 WHERE worker = $1`, [this.worker, [...this.registered]], 'Nothing was registered.');
    this.registeredWritten = true;
  }

  /**
   * Renews this worker's row and every lease it still holds (same owner and epoch, unexpired);
   * the others are `lost`. Also forgets workers whose rows expired, so `liveWorkers` is the live ones.
   */
  async heartbeat(): Promise<Heartbeat> {
    const mine = [...this.held];
    // The list is written only when the row may lack it: it can run to thousands of names.
    // A row made anew (others forgot this worker while it paused) gets the list; an existing
    // one only when a register() could not write it.
    const writeList = !this.registeredWritten;
    const { rows } = await this.query<{ renewed: string[]; live: number; total: number; only_here: string[] }>(
      `WITH me AS (
         INSERT INTO ${this.layout.workers} (worker, host, pid, started_at, heartbeat_at, expires_at, connections)
         VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp(), clock_timestamp() + $4 * interval '1 millisecond', $7::text[])
         ON CONFLICT (worker) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at,
                connections = coalesce($8::text[], ${this.layout.workers}.connections)
       ), renewed AS (
         UPDATE ${this.layout.leases} l SET expires_at = clock_timestamp() + $4 * interval '1 millisecond', updated_at = clock_timestamp()
           FROM unnest($5::text[], $6::bigint[]) AS held(connection, epoch)
          WHERE l.connection = held.connection AND l.epoch = held.epoch AND l.owner = $1 AND l.expires_at > clock_timestamp()
         RETURNING l.connection
       ), forgotten AS (
         DELETE FROM ${this.layout.workers} WHERE worker <> $1 AND expires_at <= clock_timestamp()
       ), others AS MATERIALIZED (
         -- The other live workers (this statement cannot see its own write, hence $7 for this one's list).
         SELECT connections FROM ${this.layout.workers} WHERE worker <> $1 AND expires_at > clock_timestamp()
       ), listed AS MATERIALIZED (
         SELECT DISTINCT unnest(connections) AS connection FROM others
       ), unknown AS (
         SELECT EXISTS (SELECT 1 FROM others WHERE connections IS NULL) AS found
       )
       SELECT array(SELECT connection FROM renewed) AS renewed,
              (SELECT count(*) FROM others)::int + 1 AS live,
              (SELECT count(*) FROM ${this.layout.leases}
                WHERE (SELECT found FROM unknown)
                   OR connection = ANY($7::text[])
                   OR (owner IS NOT NULL AND expires_at > clock_timestamp())
                   OR connection IN (SELECT connection FROM listed)
              )::int AS total,
              CASE WHEN (SELECT found FROM unknown) THEN '{}'::text[]
                   ELSE array(SELECT unnest($7::text[]) EXCEPT SELECT connection FROM listed ORDER BY 1) END AS only_here`,
      [
        this.worker,
        this.host,
        process.pid,
        this.ttlMs,
        mine.map(([connection]) => connection),
        mine.map(([, epoch]) => epoch),
        [...this.registered],
        writeList ? [...this.registered] : null,
      ],
      `The leases this worker holds expire ${this.ttlMs} ms after the last heartbeat that got through.`,
    );
    const row = rows[0]!;
    if (writeList) this.registeredWritten = true;
    const renewed = new Set(row.renewed);
    const held: Lease[] = [];
    const lost: string[] = [];
    for (const [connection, epoch] of mine) {
      if (renewed.has(connection)) {
        held.push({ connection, epoch });
      } else {
        lost.push(connection);
        // A claim that finished meanwhile may hold it again at a newer epoch; keep that one.
        if (this.held.get(connection) === epoch) this.held.delete(connection);
      }
    }
    return { held, lost, liveWorkers: row.live, total: row.total, onlyHere: row.only_here };
  }

  /**
   * Claims up to `max` free or expired leases (among `among`, when given): each gets epoch + 1,
   * this worker as owner, an expiry one TTL away, and a lease_history row. Rows other workers
   * are claiming, or whose commit is in flight, are skipped, never waited for.
   */
  async claim(max: number, among?: readonly string[]): Promise<Lease[]> {
    if (max <= 0 || among?.length === 0) return [];
    const { rows } = await this.query<{ connection: string; epoch: string }>(
      `WITH picked AS MATERIALIZED (
         SELECT connection FROM ${this.layout.leases}
          WHERE (owner IS NULL OR expires_at IS NULL OR expires_at <= clock_timestamp())
            AND ($3::text[] IS NULL OR connection = ANY($3::text[]))
          ORDER BY connection
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE ${this.layout.leases} l
            SET owner = $1, epoch = l.epoch + 1, expires_at = clock_timestamp() + $4 * interval '1 millisecond',
                acquired_at = clock_timestamp(), last_error = NULL, updated_at = clock_timestamp()
           FROM picked WHERE l.connection = picked.connection
         RETURNING l.connection, l.epoch, l.acquired_at
       ), recorded AS (
         INSERT INTO ${this.layout.leaseHistory} (connection, epoch, owner, acquired_at)
         SELECT connection, epoch, $1, acquired_at FROM claimed
         ON CONFLICT (connection, epoch) DO UPDATE
            SET owner = EXCLUDED.owner, acquired_at = EXCLUDED.acquired_at, first_commit_at = NULL, last_commit_at = NULL, commits = 0
       )
       SELECT connection, epoch FROM claimed ORDER BY connection`,
      [this.worker, Math.floor(max), among === undefined ? null : [...among], this.ttlMs],
      'Nothing was claimed.',
    );
    const leases = rows.map((row) => ({ connection: row.connection, epoch: Number(row.epoch) }));
    for (const lease of leases) this.held.set(lease.connection, lease.epoch);
    return leases;
  }

  /** Hands the lease back at once (free for the next claim), if this worker still holds it at that epoch. */
  async release(lease: Lease): Promise<void> {
    if (this.held.get(lease.connection) === lease.epoch) this.held.delete(lease.connection);
    await this.query(
      `UPDATE ${this.layout.leases} SET owner = NULL, expires_at = NULL, updated_at = clock_timestamp() WHERE connection = $1 AND owner = $2 AND epoch = $3`,
      [lease.connection, this.worker, lease.epoch],
      'The lease expires on its own after its TTL.',
    );
  }

  /** Records what last went wrong with a connection this worker holds (null clears it), for `eventsync status`. */
  async reportError(connection: string, message: string | null): Promise<void> {
    const epoch = this.held.get(connection);
    if (epoch === undefined) return;
    await this.query(
      `UPDATE ${this.layout.leases} SET last_error = $4, updated_at = clock_timestamp() WHERE connection = $1 AND owner = $2 AND epoch = $3`,
      [connection, this.worker, epoch, message === null ? null : message.slice(0, MAX_ERROR_LENGTH)],
      'The error was not recorded.',
    );
  }

  /** Every lease row, by connection, with whether a live worker holds it; expiry on Postgres's clock. */
  async status(): Promise<LeaseStatus[]> {
    return this.run('', (client) => readLeaseStatus(client, this.layout));
  }

  /**
   * The lease rows as `status()` gives them, read by someone who is not a worker (`eventsync
   * status`): nothing is created, registered or locked.
   * @throws DatabaseStorageError when the database fails or no worker has created the tables yet.
   */
  static async inspect(options: Pick<LeasesOptions, 'url' | 'schema' | 'tablePrefix' | 'connectTimeoutMs'>): Promise<LeaseStatus[]> {
    assertPeerInstalled('pg', 'Reading the workers\' leases', 'url');
    const target = new PostgresTarget(options.url);
    const layout = new PostgresLayout(options.schema ?? 'public', options.tablePrefix ?? 'eventsync_');
    const { Client } = await import('pg');
    const client = new Client({ connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await readLeaseStatus(client, layout);
    } catch (error) {
      const where = `${target.masked}, table ${layout.schema}.${layout.names.leases}`;
      throw postgresFailure(error, { target, where, after: 'Has a worker run with this --coordinator yet?' });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The fence for a storage that writes `lease.connection` under this lease (PostgresStorageOptions.fence). */
  fence(lease: Lease): CommitFence {
    return { lease: { connection: lease.connection, epoch: lease.epoch }, owner: this.worker, leasesTable: this.layout.leases, historyTable: this.layout.leaseHistory };
  }

  /** Releases every lease still held and removes this worker's row; ends the pool unless it was shared. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const mine = [...this.held];
    this.held.clear();
    try {
      await this.run('Its leases expire on their own after their TTL.', async (client) => {
        await client.query(
          `UPDATE ${this.layout.leases} l SET owner = NULL, expires_at = NULL, updated_at = clock_timestamp()
             FROM unnest($2::text[], $3::bigint[]) AS held(connection, epoch)
            WHERE l.connection = held.connection AND l.epoch = held.epoch AND l.owner = $1`,
          [this.worker, mine.map(([connection]) => connection), mine.map(([, epoch]) => epoch)],
        );
        await client.query(`DELETE FROM ${this.layout.workers} WHERE worker = $1`, [this.worker]);
      });
    } finally {
      if (this.ownsPool) await this.pool.end().catch(() => undefined);
    }
  }

  private async query<Row extends object>(text: string, values: unknown[], after: string): Promise<{ rows: Row[] }> {
    if (this.closed) throw new Error('PostgresLeases: used after close()');
    return this.run(after, (client) => client.query<Row>(text, values));
  }

  /** Runs `work` on a pooled connection; a failure becomes a one-line DatabaseStorageError, password masked. */
  private async run<T>(after: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withPooledClient(this.pool, work);
    } catch (error) {
      throw postgresFailure(error, { target: this.target, where: this.description, after });
    }
  }
}

async function readLeaseStatus(client: Pick<PoolClient, 'query'>, layout: PostgresLayout): Promise<LeaseStatus[]> {
  const { rows } = await client.query<{ connection: string; owner: string | null; epoch: string; expires_at: Date | null; last_error: string | null; live_owner: boolean }>(
    `SELECT l.connection, l.owner, l.epoch, l.expires_at, l.last_error,
            coalesce(l.expires_at > clock_timestamp(), false)
              AND EXISTS (SELECT 1 FROM ${layout.workers} w WHERE w.worker = l.owner AND w.expires_at > clock_timestamp()) AS live_owner
       FROM ${layout.leases} l ORDER BY l.connection`,
  );
  return rows.map((row) => ({
    connection: row.connection,
    owner: row.owner,
    epoch: Number(row.epoch),
    expiresAt: row.expires_at,
    lastError: row.last_error,
    liveOwner: row.live_owner,
  }));
}

/** Ensures a lease row per name ($1). A new row starts at the last epoch its history knows, so an epoch is never reused, even after someone deleted the row. */
function insertLeaseRows(layout: PostgresLayout): string {
  return `INSERT INTO ${layout.leases} (connection, epoch)
          SELECT name, coalesce((SELECT max(epoch) FROM ${layout.leaseHistory} h WHERE h.connection = name), 0)
            FROM unnest($1::text[]) AS configured(name)
          ON CONFLICT (connection) DO NOTHING`;
}
