/**
 * `eventsync run --coordinator postgres://...`: this worker syncs the connections whose
 * leases it holds, in a lease table that every worker shares (core's postgres-leases.ts).
 *
 * Every tick (a fifth of the lease's time to live) the worker renews its leases and its own
 * row, stops at once any connection whose lease it lost, and moves towards its fair share,
 * ceil(connections / live workers): it claims free or expired leases while under it (a worker
 * that died leaves its leases to expire after the TTL), and hands leases back while over it
 * (a worker that joined takes them). Connections that no other live worker is configured
 * with (a configuration rolling out) are its own, whatever the share: claimed, and never
 * handed back while that lasts. One that some workers but not all are configured with can
 * still wait for a claim until the configurations agree. A handed-back connection is
 * stopped first and released after, so two workers never sync it at once; the commit fence
 * in the sink's transaction makes sure of it even when a worker stalls past its lease.
 *
 * Stopping a connection can take a moment (the page in hand is saved), so stops run beside
 * the ticks, never inside one: a tick that waited on them could miss a renewal.
 *
 * The sink must be a Postgres database, the coordinator's own: the fence is a statement
 * inside the sink's commit transaction, and one transaction cannot span two databases. Each
 * worker has its own disk, so a file or SQLite sink could not be shared among them anyway.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_LEASE_TTL_MS, fairShare, heartbeatIntervalMs, PostgresLeases, type Lease, type PostgresPool } from '@eventsync/core/node';
import type { RunConfig } from '../config/run-config.js';
import { UsageError } from '../usage-error.js';
import type { RunnerSet } from './runner-set.js';

export interface CoordinatedAssignmentOptions {
  readonly url: string;
  readonly config: RunConfig;
  readonly runners: RunnerSet;
  readonly log: (line: string) => void;
  /** Default DEFAULT_LEASE_TTL_MS (`--lease-ttl`). */
  readonly ttlMs?: number;
}

export class CoordinatedAssignment {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** From stop(): nothing more is claimed, while ticks go on renewing what is held. */
  private stopped = false;
  /** Once every connection has stopped: no more ticks. */
  private ended = false;
  private ticking: Promise<void> = Promise.resolve();
  /** Leases whose connection is being stopped before release, by connection: not counted as held, not claimed again; stop() waits for them. */
  private readonly handingBack = new Map<string, Promise<void>>();
  private readonly reportedErrors = new Map<string, string | null>();
  private lastShare: string | undefined;

  private constructor(
    private readonly options: CoordinatedAssignmentOptions,
    private readonly leases: PostgresLeases,
    private readonly pool: PostgresPool,
    private readonly ttlMs: number,
  ) {}

  static async start(options: CoordinatedAssignmentOptions): Promise<CoordinatedAssignment> {
    checkSinks(options.url, options.config);
    const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    const worker = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const pool = await sharedPool(options.url, worker);
    let leases: PostgresLeases;
    try {
      // Joins with its connections listed, in the statements that make its worker row.
      leases = await PostgresLeases.open({ url: options.url, worker, ttlMs, pool, connections: options.config.connections.map(({ name }) => name) });
    } catch (error) {
      await pool.end();
      throw error;
    }
    options.log(`worker ${worker} joined the coordinator; leases live ${ttlMs / 1000} s`);
    const assignment = new CoordinatedAssignment(options, leases, pool, ttlMs);
    assignment.schedule(0);
    return assignment;
  }

  /**
   * Stops every connection, then hands every lease back at once, so the others need not wait
   * out the TTL. The leases are renewed until then: a connection saving its page in hand for
   * longer than the TTL would otherwise be taken over before it has stopped.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    try {
      await this.options.runners.stopAll();
    } finally {
      this.ended = true;
      clearTimeout(this.timer);
      await this.ticking;
      await Promise.allSettled([...this.handingBack.values()]);
      try {
        await this.leases.close();
      } finally {
        await this.pool.end();
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.ended) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.options.log(`the coordinator could not be reached (${error instanceof Error ? error.message : String(error)}); trying again`))
        .finally(() => this.schedule(heartbeatIntervalMs(this.ttlMs)));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const { runners, config, log } = this.options;
    const beat = await this.leases.heartbeat();
    for (const name of beat.lost) {
      log(`${name}: lost its lease to another worker; stopped syncing it`);
      void runners.abandon(name);
    }
    // A runner that ended by itself (its commit refused: the lease lapsed while it stalled) gives the lease up.
    for (const lease of beat.held) {
      if (!this.handingBack.has(lease.connection) && runners.get(lease.connection)?.state === 'stopped') this.handBack(lease);
    }
    const held = beat.held.filter((lease) => !this.handingBack.has(lease.connection));
    const share = fairShare(beat.total, beat.liveWorkers);
    // What no other live worker is configured with is this one's, whatever the share: claimed
    // and never handed back while it is so. The share's rest is made of connections others
    // could sync too.
    const onlyHere = new Set(beat.onlyHere);
    const sharedRoom = Math.max(0, share - onlyHere.size);
    const shareNote = `${beat.liveWorkers} worker${beat.liveWorkers === 1 ? '' : 's'}, ${beat.total} connections: ${share} each${onlyHere.size > 0 ? ` (${onlyHere.size} only this worker is configured with)` : ''}`;
    if (shareNote !== this.lastShare) log((this.lastShare = shareNote));
    const heldNames = new Set(held.map((lease) => lease.connection));
    const sharedHeld = held.filter((lease) => !onlyHere.has(lease.connection));
    const configured = new Map(config.connections.map((connection) => [connection.name, connection]));
    const claims: Lease[] = [];
    if (!this.stopped) {
      const unheldHere = beat.onlyHere.filter((name) => !heldNames.has(name) && !this.handingBack.has(name));
      claims.push(...(await this.leases.claim(unheldHere.length, unheldHere)));
      const others = [...configured.keys()].filter((name) => !onlyHere.has(name));
      claims.push(...(await this.leases.claim(sharedRoom - sharedHeld.length, others)));
    }
    for (const lease of claims) this.startSyncing(lease, configured.get(lease.connection)!);
    // Over it: hands back the latest claimed of what others can sync.
    // Not while stopping: the runners are being stopped already, and close() releases every lease after.
    if (!this.stopped && claims.length === 0 && sharedHeld.length > sharedRoom) {
      for (const lease of sharedHeld.slice(sharedRoom)) this.handBack(lease);
    }
    await this.reportErrors();
  }

  private startSyncing(lease: Lease, connection: RunConfig['connections'][number]): void {
    // A runner left over from an earlier lease on this connection would write under the old epoch.
    const earlier = this.options.runners.get(lease.connection);
    const start = (): void => {
      // A stop that came while the lease was being claimed: stopAll() has its list already, so
      // nothing is started; leases.close() hands the lease back with the rest.
      if (this.stopped) return;
      this.options.runners.start(connection, { postgres: { pool: this.pool, fence: this.leases.fence(lease) } });
    };
    if (earlier) void this.options.runners.abandon(lease.connection).then(start);
    else start();
  }

  private handBack(lease: Lease): void {
    const handBack = this.options.runners
      .stop(lease.connection)
      .then(() => this.leases.release(lease))
      .catch((error: unknown) => this.options.log(`${lease.connection}: could not hand its lease back (${String(error)}); it expires by itself`))
      .finally(() => this.handingBack.delete(lease.connection));
    this.handingBack.set(lease.connection, handBack);
  }

  /** The last error of each connection, in its lease row, for `eventsync status` on any machine. */
  private async reportErrors(): Promise<void> {
    for (const runner of this.options.runners.all) {
      const message = runner.lastError?.message ?? null;
      if (this.reportedErrors.get(runner.name) === message) continue;
      await this.leases.reportError(runner.name, message);
      this.reportedErrors.set(runner.name, message);
    }
  }
}

/** Every connection's sink must be a Postgres database, the coordinator's (see the header). */
function checkSinks(url: string, config: RunConfig): void {
  const coordinator = databaseOf(url);
  const elsewhere = config.connections.filter(({ sink }) => sink.kind !== 'postgres' || databaseOf(sink.url) !== coordinator);
  if (elsewhere.length === 0) return;
  const names = elsewhere.slice(0, 3).map(({ name }) => name).join(', ');
  throw new UsageError(
    `--coordinator needs every connection's sink in the coordinator's Postgres database (${coordinator}): a commit checks its lease in the same transaction. ` +
      `${elsewhere.length} connection${elsewhere.length === 1 ? '' : 's'} (${names}${elsewhere.length > 3 ? ', ...' : ''}) write elsewhere; set their sink to the coordinator's URL`,
  );
}

/** host:port/database, without user or password: what "the same database" means here. */
function databaseOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * One pool for the leases and every connection's commits. Commits of a connection come one at
 * a time, so a few dozen connections share a handful of sessions; the heartbeat must never
 * wait long behind them, hence a margin over what commits alone would need.
 */
async function sharedPool(url: string, worker: string): Promise<PostgresPool & { end(): Promise<void> }> {
  const { Pool } = await import('pg');
  const pool = new Pool({ connectionString: url, max: 12, keepAlive: true, connectionTimeoutMillis: 10_000, application_name: `eventsync worker ${worker}`.slice(0, 63) });
  // A broken idle connection is dropped by the pool; the next query gets a fresh one.
  pool.on('error', () => undefined);
  return pool;
}
