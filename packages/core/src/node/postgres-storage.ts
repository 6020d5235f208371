/**
 * Events and their checkpoint in Postgres, committed in one transaction: exactly once.
 *
 * Rows: `<prefix>events` holds each event once per source (primary key (source, id)), and
 * `<prefix>checkpoints` one row per source with `{ watermark, fingerprint }`. A commit is
 * one transaction: multi-row `INSERT ... ON CONFLICT DO NOTHING` for the events and the
 * checkpoint's upsert, as a single statement (one round trip) when the events fit in one;
 * so the watermark never names what is not stored, and a failed commit leaves nothing.
 * Commits are meant to come one at a time (the engine serializes them); any that overlap are
 * still each atomic. The ids at or after the watermark (the checkpoint's `seen`, checkpoint.ts)
 * are not written with it: open() and recover() select them from the events, so a commit
 * costs what its own events cost, however many webhooks arrived since the last sweep.
 *
 * Tables are created and migrated on open (postgres-layout.ts); one writer per source is
 * held by an advisory lock (postgres-writer-lock.ts). `pg` is loaded on open, so that users
 * of the Node runtime who never store into Postgres do not load it.
 *
 * Workers that share connections (`eventsync run`) give a `fence` instead: the lease on the
 * connection (postgres-leases.ts) is then the single-writer guarantee, and no advisory lock is
 * taken. Every commit then runs as BEGIN, the fence's check (postgres-fence.ts), the writes,
 * COMMIT; a commit whose lease has gone is rolled back and refused as `lease-lost`. The
 * unfenced commit stays the single statement above. Such workers may also share one `pool`.
 *
 * A commit's statements go through runStatement (postgres-connection.ts), not pg's promise
 * form: that form keeps each statement's parameters alive through every young-generation
 * collection until V8's next full GC.
 */
import { hostname } from 'node:os';
import type { Client, ClientConfig, Pool, PoolClient } from 'pg';
import { asPgPool, runStatement, withPooledClient } from './postgres-connection.js';
import { fenceHeld, holdFence, whatBecameOfLease } from './postgres-fence.js';
import type { CommitFence } from './postgres-leases.js';
import type { PostgresPool } from './postgres-pool.js';
import { assertPeerInstalled } from './optional-peer.js';
import { ConfigError, DatabaseStorageError } from '../errors.js';
import type { CommittedState, EventStorage, StoredEvent } from '../storage.js';
import { postgresFailure } from './postgres-failure.js';
import { migrate, PostgresLayout } from './postgres-layout.js';
import { PostgresTarget } from './postgres-target.js';
import { WriterLock } from './postgres-writer-lock.js';

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:5432/database` (or `postgresql://`); pg's query parameters (sslmode, ...) apply. */
  readonly url: string;
  /** The connection's name: every row of this sync carries it, and it is what the writer lock is taken on. */
  readonly source: string;
  /** Default `public`; created when missing. */
  readonly schema?: string;
  /** Default `eventsync_`: tables `<prefix>events`, `<prefix>checkpoints`, `<prefix>migrations`. */
  readonly tablePrefix?: string;
  /** How long to wait for a connection before calling the database unreachable. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * The lease this worker holds on the connection (PostgresLeases.fence()): checked inside every
   * commit's transaction, and the single-writer guarantee in place of the advisory writer lock.
   * Its lease tables must be in the same database as the sink (one transaction holds both).
   */
  readonly fence?: CommitFence;
  /** A pool shared with others (a pg.Pool): used instead of one of the storage's own, and never ended by it. */
  readonly pool?: PostgresPool;
}

/** Postgres accepts at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 65_535;
/** Per row: id, type, created_at, data, channel. Two more per statement: the source (shared by all rows) and the checkpoint. */
const PARAMETERS_PER_ROW = 5;
const ROWS_PER_STATEMENT = Math.floor((MAX_PARAMETERS - 2) / PARAMETERS_PER_ROW);

export class PostgresStorage implements EventStorage {
  readonly guarantee = 'exactly-once' as const;
  readonly description: string;
  private readonly target: PostgresTarget;
  private readonly layout: PostgresLayout;
  private readonly config: ClientConfig;
  private driver: { Client: typeof Client; Pool: typeof Pool } | undefined;
  private pool: Pool | undefined;
  private ownsPool = false;
  private lock: WriterLock | undefined;
  private lastStatement: { readonly rows: number; readonly text: string } | undefined;

  /** @throws ConfigError for a URL, source, schema or prefix that cannot work; nothing is connected yet. */
  constructor(private readonly options: PostgresStorageOptions) {
    if (options.source === '') throw new ConfigError('the source name must not be empty', 'source');
    assertPeerInstalled('pg', 'a Postgres sink', 'url');
    this.target = new PostgresTarget(options.url);
    this.layout = new PostgresLayout(options.schema ?? 'public', options.tablePrefix ?? 'eventsync_');
    this.description = `${this.target.masked}, table ${this.layout.schema}.${this.layout.names.events}`;
    this.config = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      // What another sync's refusal shows as the holder of the lock (Postgres cuts it to 63 bytes).
      application_name: `eventsync ${hostname()} pid ${process.pid}`,
    };
  }

  async open(): Promise<CommittedState> {
    try {
      const { Client, Pool } = await import('pg');
      this.driver = { Client, Pool };
      const { fence, pool: shared } = this.options;
      if (!fence) await this.takeLock();
      if (shared) {
        this.pool = asPgPool(shared);
      } else {
        const pool = new Pool({ ...this.config, max: 4 });
        // An idle connection that breaks is dropped by the pool; the next query gets a fresh one.
        pool.on('error', () => undefined);
        this.pool = pool;
        this.ownsPool = true;
      }
      await this.withConnection((client) => migrate(client, this.layout));
      if (fence) {
        const refusal = await this.withConnection(async (client) => ((await fenceHeld(client, fence)) ? undefined : await whatBecameOfLease(client, fence)));
        if (refusal !== undefined) throw this.leaseLost(`${refusal}, so this worker may not write connection "${fence.lease.connection}".`, 'Nothing was written.');
      }
      return await this.committed();
    } catch (error) {
      await this.close();
      throw this.failure(error, 'Nothing was written.');
    }
  }

  async commit(events: readonly StoredEvent[], watermark: string | null, fingerprint?: Readonly<Record<string, unknown>>): Promise<void> {
    this.opened();
    const after = 'Nothing of this commit was kept; fix that and run again to resume from the last commit.';
    if (this.lock?.lost) {
      throw new DatabaseStorageError(`lost the connection that holds the writer lock for source "${this.options.source}" on ${this.target.masked}. ${after}`, this.description, 'connection-lost', undefined);
    }
    const checkpoint = JSON.stringify(fingerprint === undefined ? { watermark } : { watermark, fingerprint });
    const { fence } = this.options;
    try {
      if (fence) {
        await this.fencedCommit(fence, events, checkpoint);
        return;
      }
      await this.withConnection(async (client) => {
        if (events.length === 0) {
          await runStatement(client, this.upsertSql(2), [this.options.source, checkpoint]);
          return;
        }
        if (events.length <= ROWS_PER_STATEMENT) {
          // One statement is one transaction: the events ride along as a data-modifying WITH, one round trip in all.
          const parameters = this.insertParameters(events);
          parameters.push(checkpoint);
          await runStatement(client, this.singleStatement(events.length), parameters);
          return;
        }
        await runStatement(client, 'BEGIN');
        for (let start = 0; start < events.length; start += ROWS_PER_STATEMENT) {
          const rows = events.slice(start, start + ROWS_PER_STATEMENT);
          await runStatement(client, this.insertSql(rows.length), this.insertParameters(rows));
        }
        await runStatement(client, this.upsertSql(2), [this.options.source, checkpoint]);
        await runStatement(client, 'COMMIT');
      });
    } catch (error) {
      throw this.failure(error, after);
    }
  }

  async recover(): Promise<CommittedState> {
    this.opened();
    try {
      if (this.lock?.lost) {
        await this.lock.release();
        this.lock = undefined;
        await this.takeLock();
      }
      return await this.committed();
    } catch (error) {
      throw this.failure(error, 'Nothing past the last commit was kept.');
    }
  }

  async close(): Promise<void> {
    const { lock, pool, ownsPool } = this;
    this.lock = undefined;
    this.pool = undefined;
    this.ownsPool = false;
    await lock?.release();
    if (ownsPool) await pool?.end().catch(() => undefined);
  }

  /**
   * A commit under a lease: BEGIN, the fence (which locks the lease row until COMMIT, so the
   * lease cannot change hands meanwhile), the same writes as unfenced, COMMIT. The fence comes
   * first, on its own: a stale writer must not touch an event row the new holder may be writing.
   * @throws DatabaseStorageError `lease-lost` when the lease is no longer this worker's; nothing was kept.
   */
  private async fencedCommit(fence: CommitFence, events: readonly StoredEvent[], checkpoint: string): Promise<void> {
    const refusal = await this.withConnection(async (client) => {
      await runStatement(client, 'BEGIN');
      if (!(await holdFence(client, fence))) {
        await runStatement(client, 'ROLLBACK');
        return whatBecameOfLease(client, fence);
      }
      if (events.length > 0 && events.length <= ROWS_PER_STATEMENT) {
        const parameters = this.insertParameters(events);
        parameters.push(checkpoint);
        await runStatement(client, this.singleStatement(events.length), parameters);
      } else {
        for (let start = 0; start < events.length; start += ROWS_PER_STATEMENT) {
          const rows = events.slice(start, start + ROWS_PER_STATEMENT);
          await runStatement(client, this.insertSql(rows.length), this.insertParameters(rows));
        }
        await runStatement(client, this.upsertSql(2), [this.options.source, checkpoint]);
      }
      await runStatement(client, 'COMMIT');
      return undefined;
    });
    if (refusal !== undefined) {
      throw this.leaseLost(
        `${refusal}.`,
        `Nothing of this commit was kept; stop syncing connection "${fence.lease.connection}" here: the worker that holds the lease resumes it from the last commit.`,
      );
    }
  }

  private leaseLost(what: string, after: string): DatabaseStorageError {
    return new DatabaseStorageError(`${what} ${after}`, this.description, 'lease-lost', undefined);
  }

  private async withConnection<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return withPooledClient(this.opened(), work);
  }

  private opened(): Pool {
    if (!this.pool) throw new Error('PostgresStorage: call open() first (or the storage was closed)');
    return this.pool;
  }

  private async takeLock(): Promise<void> {
    const attempt = await WriterLock.acquire(this.driver!.Client, this.config, this.layout.lockKey('writer', this.options.source));
    if ('lock' in attempt) {
      this.lock = attempt.lock;
      return;
    }
    const who = attempt.holder ? ` (${attempt.holder})` : '';
    throw new DatabaseStorageError(
      `another sync${who} is writing source "${this.options.source}" to ${this.target.masked}; only one may write a source at a time. Stop that sync first, or wait until it is done.`,
      this.description,
      'locked',
      undefined,
    );
  }

  /** The committed checkpoint, and the ids stored at or after its watermark. */
  private async committed(): Promise<CommittedState> {
    const pool = this.opened();
    const saved = await pool.query<{ checkpoint: { watermark?: string | null; fingerprint?: Record<string, unknown> } }>(
      `SELECT checkpoint FROM ${this.layout.checkpoints} WHERE source = $1`,
      [this.options.source],
    );
    const checkpoint = saved.rows[0]?.checkpoint;
    const watermark = checkpoint?.watermark ?? null;
    // Before any watermark, every stored event is after it.
    const { rows } = await pool.query<{ id: string; created_at: Date }>(
      `SELECT id, created_at FROM ${this.layout.events} WHERE source = $1 AND ($2::timestamptz IS NULL OR created_at >= $2::timestamptz)`,
      [this.options.source, watermark],
    );
    return {
      watermark,
      seen: rows.map((row) => [row.id, row.created_at.toISOString()] as const),
      fingerprint: checkpoint?.fingerprint,
    };
  }

  /**
   * The single-statement commit of `rows` events (their insert as a data-modifying WITH, then the
   * checkpoint's upsert, its JSON last), kept for the next commit of as many rows: the pages of
   * a backfill all have the same size, and building the text anew for each was a seventh of
   * all a drain into Postgres allocated.
   */
  private singleStatement(rows: number): string {
    if (this.lastStatement?.rows !== rows) {
      this.lastStatement = { rows, text: `WITH inserted AS (${this.insertSql(rows)}) ${this.upsertSql(2 + rows * PARAMETERS_PER_ROW)}` };
    }
    return this.lastStatement.text;
  }

  private insertSql(rows: number): string {
    const values: string[] = [];
    for (let row = 0; row < rows; row++) {
      const first = 2 + row * PARAMETERS_PER_ROW;
      values.push(`($1, $${first}, $${first + 1}, $${first + 2}, $${first + 3}, $${first + 4}, now())`);
    }
    return `INSERT INTO ${this.layout.events} (source, id, type, created_at, data, channel, received_at) VALUES ${values.join(', ')} ON CONFLICT (source, id) DO NOTHING`;
  }

  /** The checkpoint's upsert, its JSON in parameter `$index` and the source in `$1`. */
  private upsertSql(index: number): string {
    // The saved fingerprint wins over a new one: it says what the stored events belong to, as first committed.
    return `INSERT INTO ${this.layout.checkpoints} AS saved (source, checkpoint, updated_at) VALUES ($1, $${index}, now())
      ON CONFLICT (source) DO UPDATE SET checkpoint = EXCLUDED.checkpoint || (saved.checkpoint - 'watermark'), updated_at = EXCLUDED.updated_at`;
  }

  private insertParameters(rows: readonly StoredEvent[]): unknown[] {
    const parameters: unknown[] = [this.options.source];
    for (const { event, channel } of rows) parameters.push(event.id, event.type, event.created_at, JSON.stringify(event.data), channel);
    return parameters;
  }

  private failure(error: unknown, after: string): DatabaseStorageError {
    return postgresFailure(error, { target: this.target, where: this.description, after });
  }
}
