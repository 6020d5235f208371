/**
 * Webhook-first sync under chaos: 20,000+ events while the sandbox drops 30 % of deliveries,
 * duplicates 10 %, delays and so reorders them, answers 503s and 429 storms, and the sync
 * process is kill -9ed at random moments and restarted. The sink must end up holding every
 * event exactly once. Run again with the sync's clock 30 s ahead of the API's and its output
 * on a small disk that fills up mid-run (then grows, as when an operator frees space).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import Database from 'better-sqlite3';
import pg from 'pg';
import { duplicates, idsInFile, runCli, startCli, tempDir } from './support/cli.js';
import { startPostgres } from './support/postgres.js';
import { growDisk, smallDisk } from './support/tmpfs.js';
import { freePort } from './support/ports.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

interface ChaosOptions {
  /** The API's clock minus the sync's. */
  readonly serverOffsetMs: number;
  /** Where the events go; default the NDJSON file. */
  readonly sink?: ChaosSink;
  /** The output on a tmpfs of this size, grown to 64 MiB after the first full-disk stop (needs root, as CI has). */
  readonly diskBytes?: number;
}

/** Deterministic "random" kill moments (ms), spread across the run. */
function killSchedule(seed: number, count: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 700 + (state % 1_800);
  });
}

/** A database sink under test: the `--sink` URL and how to read back the ids it holds. */
interface ChaosSink {
  readonly url: string;
  ids(): Promise<string[]>;
  close(): Promise<void>;
}

async function sqliteSink(): Promise<ChaosSink> {
  const path = join(await tempDir('chaos-sqlite'), 'events.db');
  return {
    url: `sqlite:${path}`,
    ids: async () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare("SELECT id FROM eventsync_events WHERE source = 'chaos'").all() as Array<{ id: string }>).map((row) => row.id);
      } finally {
        db.close();
      }
    },
    close: async () => undefined,
  };
}

async function postgresSink(): Promise<ChaosSink> {
  const server = await startPostgres();
  return {
    url: server.url,
    ids: async () => {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string }>("SELECT id FROM eventsync_events WHERE source = 'chaos'");
        return rows.map((row) => row.id);
      } finally {
        await client.end();
      }
    },
    close: () => server.stop(),
  };
}

describe('webhook-first sync under chaos', () => {
  it('holds each of 20,000+ events exactly once after drops, duplicates, 503s, 429 storms and kill -9s', async () => {
    await chaosRun({ serverOffsetMs: 0 });
  }, 300_000);

  it('holds each of 20,000+ events exactly once in SQLite, after the same faults and kill -9s', async () => {
    await chaosRun({ serverOffsetMs: 0, sink: await sqliteSink() });
  }, 300_000);

  it('holds each of 20,000+ events exactly once in Postgres, after the same faults and kill -9s', async () => {
    const sink = await postgresSink();
    try {
      await chaosRun({ serverOffsetMs: 0, sink });
    } finally {
      await sink.close();
    }
  }, 300_000);

  it('holds each event exactly once with its clock 30 s ahead of the API and a disk that fills up', async () => {
    const { fullDiskStops } = await chaosRun({ serverOffsetMs: -30_000, diskBytes: 400_000 });
    expect(fullDiskStops).toBeGreaterThan(0);
  }, 300_000);
});

async function chaosRun(options: ChaosOptions): Promise<{ fullDiskStops: number }> {
  const box = await startSandbox({
    seed: 2026,
    now: () => Date.now() + options.serverOffsetMs,
    // The API's own 10 s visibility lag, with the default 15 s look-back.
    policies: { read: 'read:3000/1m', write: 'write:3000/1m' },
    faults: { unavailableRate: 0.05, rateLimitStormRate: 0.05, stormRetryAfterSeconds: 1, latencyMs: [0, 5] },
    webhooks: { timeScale: 0.001, faults: { dropRate: 0.3, duplicateRate: 0.1, delayMs: [0, 300] } },
  });
  sandbox = box;
  const dir = await tempDir('chaos');
  const outDir = options.diskBytes === undefined ? await tempDir('chaos-out') : await smallDisk(String(options.diskBytes), 'chaos-out');
  const out = join(outDir, 'events.ndjson');
  const port = await freePort();
  const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };
  const args = (...extra: string[]) => [
    'sync',
    '--listen', String(port),
    ...(options.sink ? ['--sink', options.sink.url, '--source', 'chaos'] : ['--out', out]),
    '--state-dir', join(dir, 'state'),
    '--poll-interval', '1s',
    '--health-interval', '1s',
    '--rate-limit', 'read:3000/1m',
    '--budget-share', '1',
    '--no-status',
    ...extra,
  ];

  box.startGenerator({ ratePerSecond: 1_600 });
  let fullDiskStops = 0;
  for (const wait of killSchedule(7, 6)) {
    const child = startCli(args(), env);
    await sleep(wait);
    child.kill('SIGKILL');
    const result = await child.result;
    if (result.code === 8) {
      // The disk filled: one line naming the file and the cause, then the operator makes room. A
      // run that filled it to the last byte leaves the next none for its lock file.
      expect(result.stderr).toMatch(/could not (write events to|save the checkpoint|create the lock file) \S+: no space left on the device/);
      fullDiskStops++;
      growDisk(outDir, '64m');
    } else {
      expect(result.signal, result.stderr).toBe('SIGKILL');
    }
  }
  while (box.eventIds().length < 20_000) await sleep(100);
  box.stopGenerator();
  const stored = async (): Promise<string[]> => (options.sink ? options.sink.ids() : idsInFile(out));
  expect((await stored()).length).toBeGreaterThan(0);

  // The last run drains everything created before it started, then stops cleanly.
  let last = await runCli(args('--once'), env);
  if (last.code === 8 && options.diskBytes !== undefined && fullDiskStops === 0) {
    fullDiskStops++;
    growDisk(outDir, '64m');
    last = await runCli(args('--once'), env);
  }
  expect(last.stderr).not.toMatch(/\n\s+at /);
  expect(last.code).toBe(0);

  const ids = await stored();
  const all = box.eventIds();
  expect(all.length).toBeGreaterThanOrEqual(20_000);
  expect(duplicates(ids)).toEqual([]);
  expect(new Set(ids)).toEqual(new Set(all));

  // Webhooks did real work (and some were refused or lost), and the clean stop left no subscription behind.
  const delivered = box.deliveries.filter((delivery) => delivery.ok);
  expect(delivered.length).toBeGreaterThan(1_000);
  expect(box.deliveries.some((delivery) => delivery.fault === 'dropped')).toBe(true);
  expect(box.deliveries.some((delivery) => delivery.fault === 'duplicate')).toBe(true);
  expect(box.requests.some((request) => request.status === 503)).toBe(true);
  expect(box.requests.some((request) => request.status === 429)).toBe(true);
  const leftovers = await runCli(['subscriptions', 'list', '--json'], env);
  expect(leftovers.stdout.trim()).toBe('');
  return { fullDiskStops };
}
