/**
 * What --metrics-port costs the sync: the real `eventsync sync` process with the metrics,
 * health and status server on (and /metrics scraped twice a second, far more often than
 * Prometheus would) against the same process with it off, the two running at the same time
 * and timed over the window both were busy (receive() says why); the figure is the median of
 * the rounds' ratios.
 *
 * - Unthrottled drain: `sync --once` of a 250k-event backlog, each sync from a sandbox of its
 *   own in its own process; 9 rounds.
 * - Receiver: two `sync --listen` processes taking 20 rounds of 10,000 signed deliveries each,
 *   over 16 keep-alive connections each, answered once committed, sent from processes of their
 *   own (delivery-sender.ts), with a sandbox whose feed is empty (polling has nothing to do).
 *
 * Target: throughput with metrics / without >= 0.97 for both.
 */
import { spawn } from 'node:child_process';
import { statSync, watch } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processUsage, startCliProcess, type CliProcess } from './cli-process.ts';
import { sendDeliveries, type DeliveryTimes } from './delivery-sender.ts';
import { heapProbeEnv, readHeapProbe } from './heap-probe.ts';
import { CLI, median, sandboxProcess, verdict, type SandboxProcess } from './support.ts';

const BACKLOG = 250_000;
/** Deliveries per burst into each receiver, a few seconds' worth when both take one at once, and how many such rounds. */
const BURST = 10_000;
const RECEIVER_ROUNDS = 20;
const CONCURRENCY = 16;
const DRAIN_ROUNDS = 9;
const SCRAPE_EVERY_MS = 500;
const UNLIMITED = 'read:100000000/1m,write:100000000/1m';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Scrapes /metrics until stopped, as a (very eager) Prometheus would. */
function scraper(port: number): () => Promise<number> {
  let running = true;
  let scrapes = 0;
  const loop = (async () => {
    while (running) {
      await sleep(SCRAPE_EVERY_MS);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      if (response?.ok) {
        await response.text();
        scrapes++;
      }
    }
  })();
  return async () => {
    running = false;
    await loop;
    return scrapes;
  };
}

/** One side of a round: its rate over the window both sides were busy, and the CPU its sync spent (a drain's in all, from heap-probe.cjs; a receiver's during the round, from /proc). */
interface Run {
  readonly perSecond: number;
  readonly cpuMs: number;
}

/** The sync, with heap-probe.cjs writing its CPU time to `<dir>/probe.json` as it exits. */
function startSync(args: string[], sandbox: SandboxProcess, dir: string) {
  const probe = join(dir, 'probe.json');
  const child = spawn(process.execPath, [CLI, 'sync', '--no-status', '--rate-limit', UNLIMITED, ...args], {
    env: {
      ...process.env,
      EVENTSYNC_BASE_URL: sandbox.url,
      EVENTSYNC_API_KEY: sandbox.apiKey,
      ...heapProbeEnv(probe),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const cpuMs = async (): Promise<number> => (await readHeapProbe(probe)).cpuMs;
  return { child, exited, stderr: () => stderr, cpuMs };
}

/** The sink file's size over time, seen from outside: one sample per append. */
interface Appends {
  readonly samples: ReadonlyArray<{ readonly at: number; readonly size: number }>;
  /** The file's final size. */
  readonly bytes: number;
}

function watchAppends(directory: string, file: string): () => Appends {
  const samples: Array<{ at: number; size: number }> = [];
  const watcher = watch(directory, () => {
    const size = statSync(join(directory, file), { throwIfNoEntry: false })?.size ?? 0;
    if (size > (samples.at(-1)?.size ?? 0)) samples.push({ at: performance.now(), size });
  });
  return () => {
    watcher.close();
    const bytes = statSync(join(directory, file)).size;
    if (samples.length < 2 || samples.at(-1)!.size !== bytes) throw new Error(`the sink's appends were not seen (${samples.length} seen)`);
    return { samples, bytes };
  };
}

/** One `sync --once` drain of the backlog: its sink's appends and the CPU the sync spent in all. */
async function drain(sandbox: SandboxProcess, metrics: boolean): Promise<{ appends: Appends; cpuMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-metrics-drain-'));
  const port = await freePort();
  const watching = watchAppends(dir, 'events.ndjson');
  const sync = startSync(['--once', '--lookback', '1s', '--data-dir', dir, ...(metrics ? ['--metrics-port', String(port)] : [])], sandbox, dir);
  const stopScraping = metrics ? scraper(port) : async () => 0;
  const code = await sync.exited;
  const scrapes = await stopScraping();
  const appends = watching();
  const cpuMs = await sync.cpuMs();
  await rm(dir, { recursive: true, force: true });
  const summary = /(\d+) events written/.exec(sync.stderr());
  if (code !== 0 || !summary || Number(summary[1]) !== BACKLOG) throw new Error(`drain failed (exit ${code}): ${sync.stderr()}`);
  if (metrics && scrapes === 0) throw new Error('the metrics endpoint was never scraped');
  return { appends, cpuMs };
}

/** Events per second written between `from` and `to`, by their share of the file's bytes (lines differ little in size). */
function drainRateWithin({ samples, bytes }: Appends, from: number, to: number): number {
  const sizeAt = (time: number): number => samples.findLast(({ at }) => at <= time)?.size ?? 0;
  return (BACKLOG * ((sizeAt(to) - sizeAt(from)) / bytes)) / ((to - from) / 1000);
}

/**
 * The two drains run at the same time, each from a sandbox of its own (the same backlog), and
 * each is timed over the window both were writing, as the receivers are (receive() says why).
 * The window leaves out start-up and the last pass's wait for the API's clock, which is not
 * work: a `--once` drain ends once the `Date` header, cut to the second, has passed the target
 * by the look-back, so its length varies by up to a second with where that second fell.
 * Which sandbox serves which sync alternates from round to round.
 */
async function drains(feeds: readonly [SandboxProcess, SandboxProcess]): Promise<{ on: Run[]; off: Run[] }> {
  const runs = { on: [] as Run[], off: [] as Run[] };
  await Promise.all(feeds.map((feed) => drain(feed, false))); // warm the sandboxes and the disk cache once
  for (let round = 0; round < DRAIN_ROUNDS; round++) {
    const [onFeed, offFeed] = round % 2 === 0 ? feeds : [feeds[1], feeds[0]];
    const [on, off] = await Promise.all([drain(onFeed, true), drain(offFeed, false)]);
    const from = Math.max(on.appends.samples[0]!.at, off.appends.samples[0]!.at);
    const to = Math.min(on.appends.samples.at(-1)!.at, off.appends.samples.at(-1)!.at);
    runs.on.push({ perSecond: drainRateWithin(on.appends, from, to), cpuMs: on.cpuMs });
    runs.off.push({ perSecond: drainRateWithin(off.appends, from, to), cpuMs: off.cpuMs });
  }
  return runs;
}

/** A `sync --listen` kept running for all the bursts, beside its twin. */
interface Receiver {
  readonly metrics: boolean;
  readonly process: CliProcess;
  readonly url: string;
  readonly secret: string;
  readonly metricsPort: number;
  readonly dir: string;
}

async function startReceiver(sandbox: SandboxProcess, metrics: boolean): Promise<Receiver> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-metrics-receiver-'));
  const [listen, metricsPort] = [await freePort(), await freePort()];
  const args = ['sync', '--no-status', '--rate-limit', UNLIMITED, '--listen', String(listen), '--poll-interval', '1m', '--data-dir', dir];
  const sync = startCliProcess([...args, ...(metrics ? ['--metrics-port', String(metricsPort)] : [])], { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey });
  const subscriptionFile = join(dir, 'state', 'subscription.json');
  let secret: string | undefined;
  while (!secret) {
    await sleep(50);
    secret = await readFile(subscriptionFile, 'utf8').then((text) => (JSON.parse(text) as { secret: string }).secret, () => undefined);
  }
  return { metrics, process: sync, url: `http://127.0.0.1:${listen}/webhooks`, secret, metricsPort, dir };
}

/** One burst into one receiver: when each delivery was sent and answered, and the CPU the receiver spent meanwhile (/proc). */
async function burst(receiver: Receiver, index: number): Promise<{ times: DeliveryTimes; cpuMs: number }> {
  const stopScraping = receiver.metrics ? scraper(receiver.metricsPort) : async () => 0;
  const before = await processUsage(receiver.process.pid);
  const plan = { url: receiver.url, secret: receiver.secret, deliveries: BURST, concurrency: CONCURRENCY, idPrefix: `evt_${receiver.metrics ? 'm' : 'p'}${index}_`, padBytes: 0 };
  const times = await sendDeliveries(plan);
  const after = await processUsage(receiver.process.pid);
  await stopScraping();
  return { times, cpuMs: (after.cpuSeconds - before.cpuSeconds) * 1000 };
}

/** Deliveries per second answered between `from` and `to`. */
function rateWithin({ answeredAt }: DeliveryTimes, from: number, to: number): number {
  return answeredAt.filter((at) => at >= from && at <= to).length / ((to - from) / 1000);
}

/**
 * Both receivers take a burst at the same time, each from a sender of its own, and each is
 * timed over the window both were busy: whatever the host's load does then, it does to both.
 * Run one after the other, even seconds apart, single pairs ranged from 0.67 to 1.63 and
 * medians of 24 pairs from 0.94 to 1.01 between runs. Sharing two cores, each gets about its
 * share of them, so their rates compare what a delivery costs each.
 */
async function receive(sandbox: SandboxProcess): Promise<{ on: Run[]; off: Run[] }> {
  const receivers = [await startReceiver(sandbox, false), await startReceiver(sandbox, true)];
  const runs = { on: [] as Run[], off: [] as Run[] };
  try {
    await Promise.all(receivers.map((receiver) => burst(receiver, -1))); // warm both up once
    for (let round = 0; round < RECEIVER_ROUNDS; round++) {
      const bursts = await Promise.all(receivers.map((receiver) => burst(receiver, round)));
      const from = Math.max(...bursts.map(({ times }) => Math.min(...times.sentAt)));
      const to = Math.min(...bursts.map(({ times }) => Math.max(...times.answeredAt)));
      bursts.forEach(({ times, cpuMs }, index) => runs[receivers[index]!.metrics ? 'on' : 'off'].push({ perSecond: rateWithin(times, from, to), cpuMs }));
    }
  } finally {
    for (const receiver of receivers) {
      await receiver.process.stop();
      await rm(receiver.dir, { recursive: true, force: true });
    }
  }
  return runs;
}

export async function run(): Promise<void> {
  const backlog = { seed: 9, policies: false, backlog: { count: BACKLOG, spanMs: 6 * 3_600_000 } } as const;
  const feeds = [await sandboxProcess(backlog), await sandboxProcess(backlog)] as const;
  const empty = await sandboxProcess({ seed: 10, policies: false });
  let drained: { on: Run[]; off: Run[] };
  let received: { on: Run[]; off: Run[] };
  try {
    drained = await drains(feeds);
    received = await receive(empty);
  } finally {
    for (const sandbox of [...feeds, empty]) await sandbox.stop();
  }
  const rate = (runs: Run[]): string => `${Math.round(median(runs.map((run) => run.perSecond))).toLocaleString('en-US')}/s`;
  // The CPU each sync spent (Run says which) is printed beside its rate: with metrics over
  // without, above 1 is what they cost.
  const pairedRatios = (on: number[], off: number[]): number[] => on.map((value, round) => value / off[round]!);
  const spread = (ratios: number[]): string => `rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
  const report = (name: string, { on, off }: { on: Run[]; off: Run[] }): string => {
    const ratios = pairedRatios(on.map((run) => run.perSecond), off.map((run) => run.perSecond));
    const cpu = median(pairedRatios(on.map((run) => run.cpuMs), off.map((run) => run.cpuMs)));
    const ratio = median(ratios);
    return `${name}: ${rate(on)} with, ${rate(off)} without; ratio ${ratio.toFixed(3)}, ${spread(ratios)} (target >= 0.97: ${verdict(ratio >= 0.97)}); CPU with / without ${cpu.toFixed(3)}`;
  };
  console.log(`\n## Metrics overhead: eventsync sync with --metrics-port (scraped every ${SCRAPE_EVERY_MS} ms) vs without, side by side, the median of the rounds' ratios`);
  console.log(report(`drains side by side, ${DRAIN_ROUNDS} rounds of ${BACKLOG.toLocaleString('en-US')} events each`, drained));
  console.log(report(`receivers side by side, ${RECEIVER_ROUNDS} rounds of ${BURST.toLocaleString('en-US')} deliveries into each, ${CONCURRENCY} connections each`, received));
}
