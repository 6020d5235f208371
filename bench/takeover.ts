/**
 * How long a worker's connections go unsynced after it is killed (-9): three `eventsync run
 * --coordinator` workers share 80 tenants' connections through a real Postgres (leases and
 * sink), against a multi-tenant sandbox with live generators; webhooks on, the daemon's
 * default poll interval and look-back. One worker is killed; the figure is the time from the
 * kill until every connection it held has committed again under another worker (the first
 * commit of the new epoch, lease_history.first_commit_at, on Postgres's clock), as a multiple
 * of the lease TTL. Three times, a different worker each time, a new one started in its place.
 *
 * The floor: a dead worker's leases run out one TTL after its last renewal, and it renewed
 * every TTL/5 (coordinated-assignment.ts), so they expire 0.8-1.0 TTL after the kill; that
 * expiry is read from the lease rows each time and printed. Above it: the survivors' next
 * tick (up to TTL/5), the claim, opening the connection (sink, webhook subscription) and its
 * first pass's commit. Target: <= 1.5 TTL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { waitFor } from '../test/support/ops.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { startCliProcess, writeRunConfig, type CliProcess } from './cli-process.ts';
import { median, sandboxProcess, verdict } from './support.ts';

const TENANTS = 80;
const WORKERS = 3;
const TTL_MS = 5_000;
const REPETITIONS = 3;
const RATE_PER_TENANT = 0.5;

interface Takeover {
  /** From the kill, ms: the last of its leases expired, the last was claimed, the last committed. */
  readonly expiredMs: number;
  readonly claimedMs: number;
  readonly committedMs: number;
  readonly connections: number;
}

/** Every connection held by a live lease, spread evenly over `workers`, each committed under its current epoch. */
async function settled(db: pg.Client, workers: readonly CliProcess[]): Promise<boolean> {
  const { rows } = await db
    .query<{ owner: string; held: number; committed: number }>(
      `SELECT l.owner, count(*)::int AS held, count(h.first_commit_at)::int AS committed
         FROM eventsync_leases l LEFT JOIN eventsync_lease_history h ON h.connection = l.connection AND h.epoch = l.epoch
        WHERE l.owner IS NOT NULL AND l.expires_at > clock_timestamp() GROUP BY l.owner`,
    )
    .catch((error: { code?: string }) => {
      if (error.code === '42P01') return { rows: [] }; // no worker has created the tables yet
      throw error;
    });
  const pids = new Set(workers.map((worker) => String(worker.pid)));
  const fair = Math.ceil(TENANTS / workers.length);
  return (
    rows.length === workers.length &&
    rows.every((row) => pids.has(row.owner.split(':')[1]!) && row.held <= fair && row.committed === row.held) &&
    rows.reduce((sum, row) => sum + row.held, 0) === TENANTS
  );
}

async function killAndMeasure(db: pg.Client, victim: CliProcess): Promise<Takeover> {
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  await victim.exited;
  // What it held at its death: the rows keep its name and last expiry until someone claims them.
  const { rows: held } = await db.query<{ connection: string; epoch: string; expires_at: Date }>(
    `SELECT connection, epoch, expires_at FROM eventsync_leases WHERE split_part(owner, ':', 2) = $1`,
    [String(victim.pid)],
  );
  if (held.length === 0) throw new Error('the killed worker held no leases');
  const expiredMs = Math.max(...held.map((row) => row.expires_at.getTime())) - killedAt;
  const connections = held.map((row) => row.connection);
  const epochs = held.map((row) => row.epoch);
  const taken = await waitFor(
    `every connection of the killed worker committed under a new epoch`,
    async () => {
      const { rows } = await db.query<{ acquired_at: Date; first_commit_at: Date }>(
        `SELECT DISTINCT ON (h.connection) h.acquired_at, h.first_commit_at
           FROM eventsync_lease_history h JOIN unnest($1::text[], $2::bigint[]) AS dead(connection, epoch) ON h.connection = dead.connection AND h.epoch > dead.epoch
          WHERE h.first_commit_at IS NOT NULL ORDER BY h.connection, h.epoch`,
        [connections, epochs],
      );
      return rows.length === connections.length && rows;
    },
    10 * TTL_MS,
  );
  return {
    expiredMs,
    claimedMs: Math.max(...taken.map((row) => row.acquired_at.getTime())) - killedAt,
    committedMs: Math.max(...taken.map((row) => row.first_commit_at.getTime())) - killedAt,
    connections: connections.length,
  };
}

export async function run(): Promise<void> {
  const postgres = await startPostgres();
  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  const sandbox = await sandboxProcess({ tenants: TENANTS, seed: 14, backlog: { count: 20, spanMs: 10 * 60_000 }, generator: { ratePerSecond: RATE_PER_TENANT } });
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-takeover-'));
  const configPath = join(dir, 'eventsync.config.yaml');
  await writeRunConfig(configPath, { baseUrl: sandbox.url, tenants: sandbox.tenants, defaults: [`sink: "${postgres.url}"`], topLevel: ['listen: { port: 0 }'] });
  const startWorker = () => startCliProcess(['run', '--config', configPath, '--coordinator', postgres.url, '--lease-ttl', `${TTL_MS / 1000}s`, '--progress-every', '30s']);
  const workers = Array.from({ length: WORKERS }, startWorker);
  const results: Takeover[] = [];
  try {
    await waitFor('every connection leased and committed, spread over the workers', () => settled(db, workers), 120_000, 250);
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      await sleep(2_000);
      const index = repetition % WORKERS;
      results.push(await killAndMeasure(db, workers[index]!));
      workers[index] = startWorker();
      await waitFor('the new worker taking its share', () => settled(db, workers), 60_000, 250);
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await db.end();
    await sandbox.stop();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const ttl = (ms: number) => `${(ms / 1000).toFixed(2)} s (${(ms / TTL_MS).toFixed(2)} TTL)`;
  console.log(`\n## Takeover: ${WORKERS} \`eventsync run --coordinator\` workers, ${TENANTS} connections, --lease-ttl ${TTL_MS / 1000}s, one worker killed -9, ${REPETITIONS} times`);
  for (const [index, result] of results.entries()) {
    console.log(
      `kill ${index + 1}: its ${result.connections} connections' leases expired at ${ttl(result.expiredMs)}, all claimed by ${ttl(result.claimedMs)}, ` +
        `all committed again by ${ttl(result.committedMs)}`,
    );
  }
  const middle = median(results.map((result) => result.committedMs));
  console.log(`median time to every connection committed again: ${ttl(middle)} (target <= 1.5 TTL: ${verdict(middle <= 1.5 * TTL_MS)})`);
}
