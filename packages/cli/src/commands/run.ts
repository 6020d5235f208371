/**
 * `eventsync run --config <file>`: every connection of a config file in one process. One
 * webhook receiver routes `/webhooks/<connection>`, one rate limiter per API key, requests
 * take turns across connections (run/fair-gate.ts), and a connection that fails is retried
 * on its own while the rest go on (run/connection-runner.ts). With `--coordinator
 * postgres://...`, any number of such processes share the connections through a lease table
 * (run/coordinated-assignment.ts).
 */
import { loadRunConfig } from '../config/load-config.js';
import type { RunConfig } from '../config/run-config.js';
import { ConnectionClients } from '../run/connection-clients.js';
import { RunOperations } from '../run/run-operations.js';
import { RunnerSet } from '../run/runner-set.js';
import { RunProgress } from '../run/run-progress.js';
import { WebhookRoutes } from '../run/webhook-routes.js';
import { parseDuration } from '../durations.js';
import { UsageError } from '../usage-error.js';
import { parseCoordinatorUrl } from '../run/coordinator-url.js';
import type { SyncIO } from './sync.js';

export interface RunFlags {
  readonly config: string;
  readonly coordinator?: string;
  /** Requests on the wire at once across connections. */
  readonly concurrency: string;
  readonly progressEvery: string;
  /** With --coordinator: how long a lease lives without a heartbeat. */
  readonly leaseTtl?: string;
}

/** How this process picks its connections: all of them, or the leases it holds. */
export interface Assignment {
  stop(): Promise<void>;
}

export async function runRun(flags: RunFlags, io: SyncIO): Promise<void> {
  const startedAt = Date.now();
  const stopRequested = io.stopRequested('stopping every connection after the page in hand is saved');
  const coordinator = parseCoordinator(flags);
  const config = await loadRunConfig(flags.config, io.env);
  const slots = parseConcurrency(flags.concurrency);
  const progressEveryMs = parseDuration(flags.progressEvery, '--progress-every');
  const log = (line: string): void => void io.stderr.write(`eventsync: ${line}\n`);
  const clients = new ConnectionClients({ slots, sharedLimiter: config.sharedLimiter, log });
  let routes: WebhookRoutes | undefined;
  let assignment: Assignment | undefined;
  let reporter: RunProgress | undefined;
  let ops: RunOperations | undefined;
  try {
    const operations = (ops = await RunOperations.create(config, log));
    if (config.listen) {
      routes = await WebhookRoutes.start({ port: config.listen.port, publicUrl: config.listen.publicUrl, log });
      log(`receiving webhooks at ${routes.url}/<connection>`);
    }
    const runners = new RunnerSet({ clients, webhooks: routes, healthIntervalMs: config.healthIntervalMs, log }, (connection) => operations.observersFor(connection));
    await ops.start(runners);
    assignment = coordinator ? await startCoordinated(coordinator, config, runners, log) : startAll(config, runners, log);
    reporter = new RunProgress({ runners, everyMs: progressEveryMs, log });
    reporter.start();
    await stopRequested;
    reporter.stop();
    // What they wrote counts up to their last commit, which the stop makes.
    const everyone = runners.all;
    await assignment.stop();
    assignment = undefined;
    log(reporter.summary(everyone, Date.now() - startedAt));
  } finally {
    reporter?.stop();
    await assignment?.stop();
    await ops?.stop();
    await routes?.close();
    clients.close();
  }
}

function startAll(config: RunConfig, runners: RunnerSet, log: (line: string) => void): Assignment {
  for (const connection of config.connections) runners.start(connection);
  log(`syncing ${config.connections.length} connection${config.connections.length === 1 ? '' : 's'} from ${config.path}`);
  return { stop: () => runners.stopAll() };
}

interface Coordinator {
  readonly url: string;
  readonly ttlMs?: number;
}

async function startCoordinated({ url, ttlMs }: Coordinator, config: RunConfig, runners: RunnerSet, log: (line: string) => void): Promise<Assignment> {
  const { CoordinatedAssignment } = await import('../run/coordinated-assignment.js');
  return CoordinatedAssignment.start({ url, config, runners, log, ...(ttlMs === undefined ? {} : { ttlMs }) });
}

/**
 * The shortest --lease-ttl. A worker renews its leases every fifth of the TTL; a renewal is a
 * round trip to Postgres after whatever paused the process (a garbage collection, a busy
 * host), and a TTL that one slow renewal can outlast hands connections from worker to worker
 * for nothing. The leases library itself takes shorter ones, for tests that race takeovers.
 */
const MIN_LEASE_TTL_MS = 1_000;
/** The longest: a dead worker's connections wait this long for another worker to take them. */
const MAX_LEASE_TTL_MS = 3_600_000;

/** --coordinator and --lease-ttl, checked before anything starts. */
function parseCoordinator({ coordinator, leaseTtl }: RunFlags): Coordinator | undefined {
  const url = parseCoordinatorUrl(coordinator);
  if (url === undefined) {
    if (leaseTtl !== undefined) throw new UsageError('--lease-ttl goes with --coordinator postgres://...');
    return undefined;
  }
  if (leaseTtl === undefined) return { url };
  const ttlMs = parseDuration(leaseTtl, '--lease-ttl');
  if (ttlMs < MIN_LEASE_TTL_MS) {
    throw new UsageError(`--lease-ttl must be at least 1s: a worker renews its leases every fifth of it, and one slow renewal must not cost it its connections; got "${leaseTtl}" (default 15s)`);
  }
  if (ttlMs > MAX_LEASE_TTL_MS) {
    throw new UsageError(`--lease-ttl must be at most 1h: a worker that dies leaves its connections unsynced until its leases expire; got "${leaseTtl}" (default 15s)`);
  }
  return { url, ttlMs };
}

function parseConcurrency(text: string): number {
  const slots = Number(text);
  if (!Number.isInteger(slots) || slots < 1 || slots > 1024) {
    throw new UsageError(`--concurrency takes the number of requests on the wire at once across connections, 1 to 1024; got "${text}"`);
  }
  return slots;
}
