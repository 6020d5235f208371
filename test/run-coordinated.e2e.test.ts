/**
 * `eventsync run --coordinator`: three real worker processes share 200 tenants' connections
 * through a real Postgres (leases, and the sink), against a multi-tenant sandbox with live
 * generators and the visibility lag. One worker stalls (SIGSTOP) past its leases and wakes up,
 * one is killed with -9, one stopped with SIGTERM; one tenant's key is revoked. Afterwards every other tenant's rows equal its feed, no
 * commit ever happened under a lease after the next one was taken, the revoked tenant is
 * reported (alert, status) and nothing else suffered.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { runCli, startCli, tempDir, type CliResult } from './support/cli.js';
import { jsonReceiver, waitFor, type Receiver } from './support/ops.js';
import { startPostgres, type PostgresServer } from './support/postgres.js';
import { startRedis } from './support/redis.js';

const TENANTS = 200;
/** Lag 2 s with a 3 s look-back: the API's 10 s and the default 15 s, in less time. */
const LAG_MS = 2_000;
const TTL = '3s';

let postgres: PostgresServer;
let db: pg.Client;
beforeAll(async () => {
  postgres = await startPostgres();
  db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
}, 120_000);
afterAll(async () => {
  await db?.end();
  await postgres?.stop();
});

type Worker = ChildProcess & { result: Promise<CliResult>; stderr_: () => string };

function startWorker(configPath: string): Worker {
  const child = startCli(['run', '--config', configPath, '--coordinator', postgres.url, '--lease-ttl', TTL, '--progress-every', '2s']);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return Object.assign(child, { stderr_: () => stderr });
}

/** Each connection's owner as the lease table has it now: the worker's pid, null when no live lease. */
async function ownerPids(client = db): Promise<Map<string, number | null>> {
  // Until the first worker has created the tables, nobody owns anything.
  const { rows } = await client
    .query<{ connection: string; owner: string | null }>('SELECT connection, CASE WHEN expires_at > clock_timestamp() THEN owner END AS owner FROM eventsync_leases ORDER BY connection')
    .catch((error: { code?: string }) => {
      if (error.code === '42P01') return { rows: [] };
      throw error;
    });
  return new Map(rows.map((row) => [row.connection, row.owner === null ? null : Number(row.owner.split(':')[1])]));
}

/** Live leases by worker pid. */
async function ownersByPid(client = db): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const pid of (await ownerPids(client)).values()) if (pid !== null) counts.set(pid, (counts.get(pid) ?? 0) + 1);
  return counts;
}

/** Webhook subscriptions a tenant of the sandbox has, whoever made them. */
function subscriptionCount(tenant: { stats(): unknown }): number {
  return (tenant.stats() as { webhooks: { subscriptions: number } }).webhooks.subscriptions;
}

async function rowCounts(): Promise<Map<string, number>> {
  const { rows } = await db.query<{ source: string; n: number }>('SELECT source, count(*)::int AS n FROM eventsync_events GROUP BY source');
  return new Map(rows.map((row) => [row.source, row.n]));
}

describe('eventsync run --coordinator', () => {
  let sandbox: Sandbox | undefined;
  let alerts: Receiver | undefined;
  const workers: Worker[] = [];
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await sandbox?.stop();
    await alerts?.close();
  });

  it('three workers share 200 tenants; one stalled past its leases, one killed -9, one stopped: every tenant exact, commits fenced, a revoked key stays in its tenant', async () => {
    sandbox = await startSandbox({
      tenants: TENANTS,
      seed: 7,
      visibilityLagMs: LAG_MS,
      policies: false,
      backlog: { count: 20, spanMs: 10 * 60_000 },
      generator: { ratePerSecond: 0.5 },
    });
    alerts = await jsonReceiver();
    const dir = await tempDir('coordinated');
    const configPath = join(dir, 'eventsync.config.yaml');
    const connections = sandbox.tenants.map((tenant) => `  - { name: ${tenant.slug}, baseUrl: "${sandbox!.url}", apiKey: "${tenant.apiKey}" }`);
    await writeFile(
      configPath,
      [
        'defaults:',
        `  sink: "${postgres.url}"`,
        '  lookback: 3s',
        '  pollInterval: 1s',
        'healthInterval: 2s',
        'listen: { port: 0 }',
        `alerts: { url: "${alerts.url}" }`,
        'connections:',
        ...connections,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );

    workers.push(startWorker(configPath), startWorker(configPath), startWorker(configPath));
    const [doomed, stopped, survivor] = workers as [Worker, Worker, Worker];
    // Spread: three workers, 200 connections, at most ceil(200 / 3) = 67 each.
    const spread = await waitFor(
      'every connection leased, spread over three workers',
      async () => {
        const owners = await ownersByPid();
        const counts = [...owners.values()];
        return owners.size === 3 && counts.reduce((a, b) => a + b, 0) === TENANTS && Math.max(...counts) <= 67 && counts;
      },
      60_000,
      250,
    );
    expect(spread).toHaveLength(3);
    await sleep(3_000);

    // A worker that stalls past its leases (a long GC pause, a frozen VM) wakes up a stale writer:
    // the others have taken its connections, and its commits must be refused, not interleaved.
    stopped.kill('SIGSTOP');
    await waitFor('the stalled worker\'s connections taken over', async () => !(await ownersByPid()).has(stopped.pid!) && (await ownersByPid()).size === 2, 30_000, 250);
    stopped.kill('SIGCONT');
    await waitFor('the stalled worker noticing it lost its leases', () => /lost its lease/.test(stopped.stderr_()), 30_000);

    const revoked = sandbox.tenant('tenant-0007')!;
    // Revoked once its connection has a subscription (its new owner may still be making one after
    // the takeover): the end checks that a revoked key's subscription is the one left behind.
    await waitFor('a subscription for the tenant about to be revoked', () => subscriptionCount(revoked) > 0, 30_000);
    revoked.revoke();
    doomed.kill('SIGKILL');
    await sleep(2_000);
    stopped.kill('SIGTERM');
    const stoppedResult = await stopped.result;
    expect(stoppedResult.code, stoppedResult.stderr).toBe(0);

    // The survivor takes every connection over: the killed worker's after the lease TTL.
    await waitFor('the survivor holding all 200 connections', async () => (await ownersByPid()).get(survivor.pid!) === TENANTS, 60_000, 250);
    sandbox.stopGenerator();
    const feeds = new Map(sandbox.tenants.map((tenant) => [tenant.slug, tenant.eventIds()]));
    await waitFor(
      'every tenant but the revoked one caught up',
      async () => {
        const counts = await rowCounts();
        return sandbox!.tenants.every((tenant) => tenant.slug === revoked.slug || counts.get(tenant.slug) === feeds.get(tenant.slug)!.length);
      },
      90_000,
      500,
    );

    // Every tenant's rows are its feed; the revoked one's are part of its feed, each once.
    const { rows } = await db.query<{ source: string; id: string }>('SELECT source, id FROM eventsync_events');
    const stored = new Map<string, string[]>();
    for (const row of rows) stored.set(row.source, [...(stored.get(row.source) ?? []), row.id]);
    for (const tenant of sandbox.tenants) {
      const ids = stored.get(tenant.slug) ?? [];
      if (tenant.slug === revoked.slug) {
        const feed = new Set(feeds.get(tenant.slug));
        expect(ids.filter((id) => !feed.has(id))).toEqual([]);
        continue;
      }
      expect(new Set(ids), tenant.slug).toEqual(new Set(feeds.get(tenant.slug)));
    }
    // Fencing: for each connection, every commit of lease epoch k came before epoch k+1 was acquired.
    const { rows: overlaps } = await db.query(
      `SELECT h.connection, h.epoch, h.last_commit_at, n.acquired_at AS next_acquired_at
         FROM eventsync_lease_history h JOIN eventsync_lease_history n ON n.connection = h.connection AND n.epoch = h.epoch + 1
        WHERE h.last_commit_at >= n.acquired_at`,
    );
    expect(overlaps).toEqual([]);
    const { rows: moved } = await db.query<{ n: number }>('SELECT count(DISTINCT connection)::int AS n FROM eventsync_lease_history WHERE epoch > 1 AND commits > 0');
    // At least the killed and the stopped workers' connections changed hands and committed again.
    expect(moved[0]!.n).toBeGreaterThanOrEqual(spread[0]! + spread[1]! - 67);

    // The revoked tenant: an alert naming it, and its error in `eventsync status`.
    await waitFor('the key alert', () => alerts!.bodies.some((body) => (body as { alert: string; source: string }).alert === 'api_key_rejected' && (body as { source: string }).source === revoked.slug), 30_000);
    expect(alerts.bodies.filter((body) => (body as { source: string }).source !== revoked.slug && (body as { alert: string }).alert === 'api_key_rejected')).toEqual([]);
    const status = await runCli(['status', '--config', configPath, '--coordinator', postgres.url, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const table = status.stdout.trim().split('\n').map((line) => JSON.parse(line) as { connection: string; owner: string | null; error: string | null; lagSeconds: number | null });
    expect(table).toHaveLength(TENANTS);
    expect(table.find((row) => row.connection === revoked.slug)!.error).toMatch(/401|revoked/i);
    expect(table.filter((row) => row.error !== null).map((row) => row.connection)).toEqual([revoked.slug]);
    expect(new Set(table.map((row) => row.owner?.split(':')[1]))).toEqual(new Set([String(survivor.pid)]));

    survivor.kill('SIGTERM');
    const last = await survivor.result;
    expect(last.code, last.stderr).toBe(0);
    // A clean stop hands every lease back at once.
    expect((await ownersByPid()).size).toBe(0);
    // Webhooks followed the leases: a new owner deleted the subscription its predecessor left
    // (killed, stalled), and the last one deleted its own; only the revoked key's could not go.
    const left = sandbox.tenants.filter((tenant) => subscriptionCount(tenant) > 0).map((tenant) => tenant.slug);
    expect(left).toEqual([revoked.slug]);
    for (const worker of workers) for (const tenant of sandbox.tenants.slice(0, 5)) expect(worker.stderr_()).not.toContain(tenant.apiKey);
  }, 300_000);

  it('workers configured differently (a configuration rolling out): what only one is configured with stays with it, and every connection has an owner', async () => {
    const box = await startSandbox({ tenants: 4, seed: 13, visibilityLagMs: 0, policies: false, backlog: { count: 5, spanMs: 60_000 } });
    const url = await postgres.createDatabase('mixed_configs');
    const mixedDb = new pg.Client({ connectionString: url });
    await mixedDb.connect();
    const dir = await tempDir('mixed-configs');
    const configFor = async (name: string, tenants: readonly string[]): Promise<string> => {
      const path = join(dir, `${name}.yaml`);
      const lines = tenants.map((slug) => `  - { name: ${slug}, baseUrl: "${box.url}", apiKey: "${box.tenant(slug)!.apiKey}" }`);
      await writeFile(path, ['defaults:', `  sink: "${url}"`, '  lookback: 1s', '  pollInterval: 1s', 'connections:', ...lines, ''].join('\n'), { mode: 0o600 });
      return path;
    };
    const slugs = box.tenants.map((tenant) => tenant.slug);
    const owners = async (): Promise<Record<string, number | null>> => Object.fromEntries(await ownerPids(mixedDb));
    // The wider configuration starts first and, alone, takes everything; the narrower joins.
    const wide = startCli(['run', '--config', await configFor('wide', slugs), '--coordinator', url, '--lease-ttl', TTL]);
    const started = [wide];
    let results: CliResult[] = [];
    try {
      await waitFor('the first worker holding all four', async () => Object.values(await owners()).filter((owner) => owner === wide.pid).length === 4, 30_000, 200);
      const narrow = startCli(['run', '--config', await configFor('narrow', slugs.slice(0, 2)), '--coordinator', url, '--lease-ttl', TTL]);
      started.push(narrow);
      const expected = Object.fromEntries(slugs.map((slug, index) => [slug, index < 2 ? narrow.pid! : wide.pid!]));
      await waitFor('two each, the ones only the wider is configured with on it', async () => JSON.stringify(await owners()) === JSON.stringify(expected), 30_000, 200);
      // And it stays so: no lease changes hands again (a claim would raise its epoch).
      const epochs = async () => (await mixedDb.query('SELECT connection, epoch FROM eventsync_leases ORDER BY connection')).rows;
      const settled = await epochs();
      await sleep(2_000);
      expect(await epochs()).toEqual(settled);
      expect(await owners()).toEqual(expected);
    } finally {
      for (const worker of started) worker.kill('SIGTERM');
      results = await Promise.all(started.map((worker) => worker.result));
      await mixedDb.end();
      await box.stop();
    }
    for (const result of results) expect(result.code, result.stderr).toBe(0);
  }, 120_000);

  it("two connections on one key, on two workers, keep to the key's policy together: no 429 after the first", async () => {
    const redis = await startRedis();
    const box = await startSandbox({ seed: 11, visibilityLagMs: 0, policies: { read: 'read:10/1s' }, backlog: { count: 6_000, spanMs: 600_000 } });
    const url = await postgres.createDatabase('one_key');
    const budgetDb = new pg.Client({ connectionString: url });
    await budgetDb.connect();
    const dir = await tempDir('one-key');
    const configPath = join(dir, 'eventsync.config.yaml');
    await writeFile(
      configPath,
      [
        'defaults:',
        `  sink: "${url}"`,
        '  lookback: 1s',
        '  pollInterval: 200ms',
        '  budgetShare: 1',
        '  rateLimit: read:10/1s',
        `sharedLimiter: "${redis.url}"`,
        'connections:',
        `  - { name: books, baseUrl: "${box.url}", apiKeyEnv: SHARED_KEY }`,
        `  - { name: billing, baseUrl: "${box.url}", apiKeyEnv: SHARED_KEY }`,
        '',
      ].join('\n'),
    );
    const started = [0, 1].map(() => startCli(['run', '--config', configPath, '--coordinator', url, '--lease-ttl', TTL], { SHARED_KEY: box.apiKey }));
    try {
      await waitFor('one connection on each worker', async () => [...(await ownersByPid(budgetDb)).values()].join() === '1,1', 30_000, 200);
      await waitFor(
        'both connections holding the whole backlog',
        async () => {
          const { rows } = await budgetDb.query<{ n: number }>('SELECT count(*)::int AS n FROM eventsync_events GROUP BY source');
          return rows.length === 2 && rows.every((row) => row.n === 6_000);
        },
        90_000,
        500,
      );
    } finally {
      for (const worker of started) worker.kill('SIGTERM');
      await Promise.all(started.map((worker) => worker.result));
      await budgetDb.end();
      await box.stop();
      redis.stop();
    }
    const [usage] = box.usage();
    const read = usage!.buckets.find((bucket) => bucket.bucket === 'read')!;
    // 2 x 60 pages at 10 a second: the key was busy for over ten seconds, from two processes.
    expect(read.requests).toBeGreaterThanOrEqual(120);
    expect(read.maxInWindow).toBeLessThanOrEqual(read.limit);
    expect(read.rateLimited).toBeLessThanOrEqual(1);
  }, 150_000);
});
