/**
 * What one `eventsync run` with 1,000 connections costs, per connection, against the same
 * work done the way a run replaces: one `eventsync sync` process per connection (20 of them,
 * enough to sum and divide; each carries a whole Node process, so more would only multiply).
 *
 * Both sides are the daemon as it would be deployed: webhooks on (a receiver on port 0, a
 * managed subscription per connection), polling behind them every 15 s (the default with a
 * receiver), the subscription checked every 30 s, a file sink per connection, metrics on and
 * scraped every 5 s (the scrapes' cost is in both sides' CPU). Each tenant of a multi-tenant
 * sandbox (its own process, so its CPU is not counted; the preset's budget per key) has 20
 * backlog events and then 0.1 events/s, delivered by webhook and found again by the polls.
 *
 * After a warm-up (every connection has a watermark, then one more poll interval), a 60 s
 * window: four polls and two subscription checks of every connection, so each periodic job
 * runs a whole number of times in it. CPU (utime + stime from /proc) over the window per
 * connection per hour, RSS sampled with the scrapes (a run's heap saws by ~100 MiB over a
 * couple of minutes, so the range is printed too), each connection's checkpoint lag from
 * /metrics. The lag is mostly design on both sides: the 15 s look-back plus the time since
 * the last sweep, which is one or two poll intervals. Ratios are separate / single: how many
 * times more a connection costs in a process of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openFiles, percentile, processUsage, scrapeSync, startCliProcess, writeRunConfig, type CliProcess, type SyncScrape } from './cli-process.ts';
import { sandboxProcess, type SandboxProcess } from './support.ts';
import type { SandboxOptions } from '@eventsync/sandbox';

const CONNECTIONS = 1_000;
const SEPARATE = 20;
/** Events per second per tenant: one every 10 s, 100/s across the 1,000. */
const RATE_PER_TENANT = 0.1;
const BACKLOG_PER_TENANT = 20;
/** Four poll intervals and two subscription checks: every periodic job runs a whole number of times. */
const WINDOW_MS = 60_000;
const SETTLE_MS = 15_000;
const SAMPLE_EVERY_MS = 5_000;
const MiB = 1024 * 1024;

function sandboxOptions(tenants: number): SandboxOptions {
  return { tenants, seed: 12, backlog: { count: BACKLOG_PER_TENANT, spanMs: 10 * 60_000 }, generator: { ratePerSecond: RATE_PER_TENANT } };
}

interface Measured {
  readonly connections: number;
  readonly processes: number;
  /** CPU seconds per connection per hour of the window. */
  readonly cpuPerConnectionHour: number;
  /** RSS summed over the processes, per connection: the mean of the window's samples, and their range. */
  readonly rssPerConnection: number;
  readonly rssRange: readonly [number, number];
  readonly lags: number[];
  readonly startupMs: number;
  readonly openFiles: number;
  /** Events written in the window, by channel: the webhooks do carry the live events. */
  readonly written: { readonly poll: number; readonly webhook: number };
  /** One process's /metrics: its size and mean time to fetch it. */
  readonly scrape: { readonly bytes: number; readonly ms: number };
  /** From SIGTERM to the last process's exit (each deletes its subscriptions first). */
  stopMs?: number;
}

type Watched = ReadonlyArray<{ cli: CliProcess; origin: string; name: string }>;

/** Waits for a lag from every connection, then SETTLE_MS, then measures WINDOW_MS, scraping every SAMPLE_EVERY_MS. */
async function measure(processes: Watched, connections: number, startedAt: number): Promise<Omit<Measured, 'processes' | 'connections'>> {
  const scrapeAll = () => Promise.all(processes.map(({ origin, name }) => scrapeSync(origin, name)));
  const lagsOf = (scrapes: SyncScrape[]) => scrapes.flatMap(({ lags }) => [...lags.values()]);
  const writtenOf = (scrapes: SyncScrape[], channel: 'poll' | 'webhook') => scrapes.reduce((sum, { written }) => sum + written[channel], 0);
  for (const deadline = Date.now() + 180_000; lagsOf(await scrapeAll()).length < connections; await sleep(1_000)) {
    if (Date.now() > deadline) throw new Error(`after 180 s only ${lagsOf(await scrapeAll()).length} of ${connections} connections have a watermark`);
  }
  const startupMs = Date.now() - startedAt;
  await sleep(SETTLE_MS);
  const usage = () => Promise.all(processes.map(({ cli }) => processUsage(cli.pid)));
  const first = await scrapeAll();
  const before = await usage();
  const windowStart = performance.now();
  const lags: number[] = [];
  const rss: number[] = [];
  const scrapeCosts: Array<{ bytes: number; ms: number }> = [];
  let files = 0;
  let last = first;
  while (performance.now() - windowStart < WINDOW_MS) {
    await sleep(Math.min(SAMPLE_EVERY_MS, WINDOW_MS - (performance.now() - windowStart)));
    last = await scrapeAll();
    lags.push(...lagsOf(last));
    scrapeCosts.push(...last.map(({ bytes, ms }) => ({ bytes, ms })));
    rss.push((await usage()).reduce((sum, { rssBytes }) => sum + rssBytes, 0));
    files = Math.max(files, (await Promise.all(processes.map(({ cli }) => openFiles(cli.pid)))).reduce((a, b) => a + b, 0));
  }
  const after = await usage();
  const windowHours = (performance.now() - windowStart) / 3_600_000;
  const cpu = after.reduce((sum, { cpuSeconds }, index) => sum + cpuSeconds - before[index]!.cpuSeconds, 0);
  return {
    cpuPerConnectionHour: cpu / windowHours / connections,
    rssPerConnection: rss.reduce((a, b) => a + b, 0) / rss.length / connections,
    rssRange: [Math.min(...rss) / connections, Math.max(...rss) / connections],
    lags,
    startupMs,
    openFiles: files,
    written: { poll: writtenOf(last, 'poll') - writtenOf(first, 'poll'), webhook: writtenOf(last, 'webhook') - writtenOf(first, 'webhook') },
    scrape: {
      bytes: scrapeCosts.reduce((sum, { bytes }) => sum + bytes, 0) / scrapeCosts.length,
      ms: scrapeCosts.reduce((sum, { ms }) => sum + ms, 0) / scrapeCosts.length,
    },
  };
}

/** Stops them all at once; the time until the last has exited. */
async function stopAll(processes: readonly CliProcess[]): Promise<number> {
  const startedAt = performance.now();
  await Promise.all(processes.map((cli) => cli.stop()));
  return performance.now() - startedAt;
}

async function single(): Promise<Measured> {
  const sandbox = await sandboxProcess(sandboxOptions(CONNECTIONS));
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-run-scale-'));
  const configPath = join(dir, 'eventsync.config.yaml');
  await writeRunConfig(configPath, {
    baseUrl: sandbox.url,
    tenants: sandbox.tenants,
    defaults: ['sink: file:./events/{connection}.ndjson'],
    topLevel: ['listen: { port: 0 }', 'metrics: { port: 0 }'],
  });
  const startedAt = Date.now();
  const run = startCliProcess(['run', '--config', configPath, '--progress-every', '30s']);
  try {
    const origin = await run.metricsOrigin();
    const measured: Measured = { ...(await measure([{ cli: run, origin, name: '' }], CONNECTIONS, startedAt)), connections: CONNECTIONS, processes: 1 };
    checkHealthy(run);
    measured.stopMs = await stopAll([run]);
    return measured;
  } finally {
    await run.stop();
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function separate(): Promise<Measured> {
  const sandbox: SandboxProcess = await sandboxProcess(sandboxOptions(SEPARATE));
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-run-scale-separate-'));
  const startedAt = Date.now();
  const syncs = sandbox.tenants.map((tenant) => ({
    name: tenant.slug,
    cli: startCliProcess(['sync', '--listen', '0', '--metrics-port', '0', '--no-status', '--data-dir', join(dir, tenant.slug)], {
      EVENTSYNC_BASE_URL: sandbox.url,
      EVENTSYNC_API_KEY: tenant.apiKey,
    }),
  }));
  try {
    const processes = await Promise.all(syncs.map(async (sync) => ({ ...sync, origin: await sync.cli.metricsOrigin() })));
    const measured: Measured = { ...(await measure(processes, SEPARATE, startedAt)), connections: SEPARATE, processes: SEPARATE };
    for (const { cli } of syncs) checkHealthy(cli);
    measured.stopMs = await stopAll(syncs.map(({ cli }) => cli));
    return measured;
  } finally {
    await Promise.all(syncs.map(({ cli }) => cli.stop()));
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A figure from a process that was failing would measure the failure, not the work. */
function checkHealthy(cli: CliProcess): void {
  if (/failing|trying again|refused/i.test(cli.stderr())) throw new Error(`a measured process reported trouble:\n${cli.stderr().slice(-3000)}`);
}

function describe(label: string, m: Measured): string {
  const mib = (bytes: number) => (bytes / MiB).toFixed(bytes < 10 * MiB ? 3 : 1);
  return [
    `${label}:`,
    `  CPU ${m.cpuPerConnectionHour.toFixed(2)} s per connection-hour; RSS ${mib(m.rssPerConnection)} MiB per connection (samples ${mib(m.rssRange[0])}-${mib(m.rssRange[1])}; ${mib(m.rssPerConnection * m.connections)} MiB in all)`,
    `  lag p50 ${percentile(m.lags, 0.5).toFixed(1)} s, p99 ${percentile(m.lags, 0.99).toFixed(1)} s (${m.lags.length.toLocaleString('en-US')} samples)`,
    `  in the window ${m.written.webhook.toLocaleString('en-US')} events written by webhook, ${m.written.poll.toLocaleString('en-US')} by poll; ${m.openFiles} open files; /metrics ${(m.scrape.bytes / 1024).toFixed(1)} KiB, ${m.scrape.ms.toFixed(0)} ms to fetch`,
    `  every connection had a watermark ${(m.startupMs / 1000).toFixed(1)} s after start; stopped ${((m.stopMs ?? Number.NaN) / 1000).toFixed(1)} s after SIGTERM (subscriptions deleted)`,
  ].join('\n');
}

export async function run(): Promise<void> {
  const one = await single();
  const many = await separate();
  console.log(`\n## Run at scale: ${CONNECTIONS.toLocaleString('en-US')} connections in one \`eventsync run\` vs ${SEPARATE} \`eventsync sync\` processes, one connection each`);
  console.log(
    `each tenant ${BACKLOG_PER_TENANT} backlog events, then ${RATE_PER_TENANT} events/s; webhooks on, polls every 15 s, subscription checks every 30 s, file sinks, /metrics scraped every ${SAMPLE_EVERY_MS / 1000} s; ` +
      `a ${WINDOW_MS / 1000} s window from ${SETTLE_MS / 1000} s after every connection had a watermark`,
  );
  console.log(describe(`one run, ${one.connections.toLocaleString('en-US')} connections`, one));
  console.log(describe(`${many.processes} sync processes`, many));
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `separate / single, per connection: CPU ${ratio(many.cpuPerConnectionHour, one.cpuPerConnectionHour)}x, RSS ${ratio(many.rssPerConnection, one.rssPerConnection)}x; ` +
      `lag p50 ${ratio(percentile(many.lags, 0.5), percentile(one.lags, 0.5))}x, p99 ${ratio(percentile(many.lags, 0.99), percentile(one.lags, 0.99))}x`,
  );
}
