/**
 * What --metrics-port costs the sync: the real `eventsync sync` process with the metrics,
 * health and status server on (and /metrics scraped twice a second, far more often than
 * Prometheus would) against the same process with it off, in pairs (drains one after the
 * other, alternating which goes first; receivers at the same time); the figure is the median
 * of the pairs' ratios.
 *
 * - Unthrottled drain: `sync --once` of a 250k-event backlog from a sandbox in its own process,
 *   timed from the sink's first append to its last; 9 pairs of runs.
 * - Receiver: two `sync --listen` processes, one with metrics and one without, taking 20
 *   rounds of 10,000 signed deliveries each at the same time (see receive()), over 16
 *   keep-alive connections each, answered once committed, sent from processes of their own
 *   (delivery-sender.ts), with a sandbox whose feed is empty (polling has nothing to do).
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
const ROUNDS = 9;
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

/** One run's figures: its rate, and the CPU the sync process spent in all (heap-probe.cjs). */
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

/**
 * The sink file's growth seen from outside: the time of its first append and of the append
 * that brought it to its final size. A `--once` drain ends with a pass that waits for the
 * API's clock to pass the target by the look-back, on a `Date` header cut to the second, so
 * the run's own duration varies by up to a second with where that second fell at start-up:
 * more than the effect measured here. The appends time the work.
 */
function watchAppends(directory: string, file: string): () => { bytes: number; firstBytes: number; ms: number } {
  const sizes: Array<{ at: number; size: number }> = [];
  const watcher = watch(directory, () => {
    const size = statSync(join(directory, file), { throwIfNoEntry: false })?.size ?? 0;
    if (size > (sizes.at(-1)?.size ?? 0)) sizes.push({ at: performance.now(), size });
  });
  return () => {
    watcher.close();
    const bytes = statSync(join(directory, file)).size;
    const first = sizes[0];
    const last = sizes.find(({ size }) => size === bytes);
    if (!first || !last || last === first) throw new Error(`the sink's appends were not seen (${sizes.length} seen)`);
    return { bytes, firstBytes: first.size, ms: last.at - first.at };
  };
}

/** Events per second of one `sync --once` drain, from its first append to its last (watchAppends says why). */
async function drain(sandbox: SandboxProcess, metrics: boolean): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-metrics-drain-'));
  const port = await freePort();
  const appends = watchAppends(dir, 'events.ndjson');
  const sync = startSync(['--once', '--lookback', '1s', '--data-dir', dir, ...(metrics ? ['--metrics-port', String(port)] : [])], sandbox, dir);
  const stopScraping = metrics ? scraper(port) : async () => 0;
  const code = await sync.exited;
  const scrapes = await stopScraping();
  const { bytes, firstBytes, ms } = appends();
  const cpuMs = await sync.cpuMs();
  await rm(dir, { recursive: true, force: true });
  const summary = /(\d+) events written/.exec(sync.stderr());
  if (code !== 0 || !summary || Number(summary[1]) !== BACKLOG) throw new Error(`drain failed (exit ${code}): ${sync.stderr()}`);
  if (metrics && scrapes === 0) throw new Error('the metrics endpoint was never scraped');
  // The events after the first append, by their share of the file's bytes (lines differ little in size).
  return { perSecond: (BACKLOG * (1 - firstBytes / bytes)) / (ms / 1000), cpuMs };
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
  const feed = await sandboxProcess({ seed: 9, policies: false, backlog: { count: BACKLOG, spanMs: 6 * 3_600_000 } });
  const empty = await sandboxProcess({ seed: 10, policies: false });
  const drains = { on: [] as Run[], off: [] as Run[] };
  let receiver: { on: Run[]; off: Run[] };
  try {
    await drain(feed, false); // warm the sandbox and the disk cache once
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which goes first, so neither side always runs on a warmer machine.
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const metrics of order) drains[metrics ? 'on' : 'off'].push(await drain(feed, metrics));
    }
    receiver = await receive(empty);
  } finally {
    await feed.stop();
    await empty.stop();
  }
  const rate = (runs: Run[]): string => `${Math.round(median(runs.map((run) => run.perSecond))).toLocaleString('en-US')}/s`;
  // A pair's two runs are neighbours in time, so their ratio cancels the machine's slower
  // drifts (a shared host's load moves a run's rate by 10-20% here); the median of those ratios
  // is the figure. The CPU the sync spent moves far less with the host's load, and is printed
  // beside it: with metrics over without, above 1 is what they cost.
  const pairedRatios = (on: number[], off: number[]): number[] => on.map((value, pair) => value / off[pair]!);
  const spread = (ratios: number[]): string => `pairs ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
  const report = (name: string, { on, off }: { on: Run[]; off: Run[] }): string => {
    const ratios = pairedRatios(on.map((run) => run.perSecond), off.map((run) => run.perSecond));
    const cpu = median(pairedRatios(on.map((run) => run.cpuMs), off.map((run) => run.cpuMs)));
    const ratio = median(ratios);
    return `${name}: ${rate(on)} with, ${rate(off)} without; ratio ${ratio.toFixed(3)}, ${spread(ratios)} (target >= 0.97: ${verdict(ratio >= 0.97)}); CPU with / without ${cpu.toFixed(3)}`;
  };
  console.log(`\n## Metrics overhead: eventsync sync with --metrics-port (scraped every ${SCRAPE_EVERY_MS} ms) vs without, median of the ratios of pairs that alternate which goes first`);
  console.log(report(`drain of ${BACKLOG.toLocaleString('en-US')} events, ${ROUNDS} pairs of runs`, drains));
  console.log(report(`receivers side by side, ${RECEIVER_ROUNDS} rounds of ${BURST.toLocaleString('en-US')} deliveries into each, ${CONCURRENCY} connections each`, receiver));
}
