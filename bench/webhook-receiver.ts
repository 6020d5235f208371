/**
 * Signed deliveries end to end on loopback, 16 concurrent keep-alive connections, into an
 * fdatasynced NDJSON file: deliveries/s and the latency from send to durable, p50 and p99.
 *
 * Baseline, measured in the same run: a minimal node:http receiver with group commit (one
 * append and one fdatasync per batch of whatever arrived meanwhile, through fs/promises)
 * that answers after its fdatasync. Eventsync does more (verifies each signature, dedupes,
 * keeps the checkpoint), and is measured both ways it can answer: after the commit
 * (`durable`, the default) and at once (`received`, durable a moment later). Targets:
 * throughput >= 1.0x, p99 <= 1.5x.
 *
 * Eventsync makes a quick fdatasync on the loop's thread (core's durable-append.ts), which
 * the baseline does not. A second minimal receiver that does the same is measured beside
 * them as a reference, without a target: the ratio to it is what eventsync's own work costs.
 *
 * The deliveries come from a process of their own (delivery-sender.ts), as from the API's
 * dispatcher: sent from this one, the sender's work and the receiver's took turns on one event
 * loop, and the figure measured the two together. With the receiver alone here, the CPU this
 * process spends per delivery is what each receiver costs, and is printed beside its rate.
 */
import { fdatasyncSync, writeSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventsyncClient, PRESETS, SyncEngine, WebhookIntake } from '@eventsync/core';
import { NdjsonFileStorage, startWebhookReceiver } from '@eventsync/core/node';
import { epochNow, sendDeliveries } from './delivery-sender.ts';
import { median, verdict } from './support.ts';

const DELIVERIES = 20_000;
const CONCURRENCY = 16;
/** Alternating rounds, medians reported: a single round swings the ratio from 0.8x to 1.2x (fdatasync latency wanders). */
const ROUNDS = 7;
const SECRET = 'whsec_' + Buffer.from('receiver-benchmark-secret').toString('base64');
const SIGNATURE = PRESETS.integration.signature;

interface Result {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU the receiving process spent per delivery (the sender runs in a process of its own). */
  readonly cpuMicros: number;
}

interface Target {
  readonly url: string;
  /** Called with each event id the moment it is durable; undefined: the 200 says so. */
  onDurable?: (id: string) => void;
  close(): Promise<void>;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends the deliveries from another process and measures send -> durable (the 200, or the storage's word). */
async function load(target: Target, durableOnAnswer: boolean): Promise<Result> {
  const plan = { url: target.url, secret: SECRET, deliveries: DELIVERIES, concurrency: CONCURRENCY, idPrefix: 'evt_', padBytes: 200 };
  const durableAt: number[] = new Array(DELIVERIES);
  let durableCount = 0;
  target.onDurable = durableOnAnswer
    ? undefined
    : (id) => {
        durableAt[Number(id.slice(plan.idPrefix.length))] = epochNow();
        durableCount++;
      };
  const cpuBefore = process.cpuUsage();
  const { sentAt, answeredAt } = await sendDeliveries(plan);
  while (!durableOnAnswer && durableCount < DELIVERIES) await sleep(2);
  const durable = durableOnAnswer ? answeredAt : durableAt;
  const cpu = process.cpuUsage(cpuBefore);
  const latencies = durable.map((at, index) => at - sentAt[index]!).sort((a, b) => a - b);
  const elapsed = Math.max(...durable) - Math.min(...sentAt);
  return {
    perSecond: DELIVERIES / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMicros: (cpu.user + cpu.system) / DELIVERIES,
  };
}

type Pending = Array<{ body: Buffer; res: http.ServerResponse }>;
const linesOf = (batch: Pending): Buffer => Buffer.concat(batch.flatMap(({ body }) => [body, Buffer.from('\n')]));

/**
 * The baseline: the least a durable receiver must do. `onLoop`: the reference, which writes
 * and fdatasyncs on the loop's thread; a batch is then what arrived in one turn of the loop.
 */
async function minimalReceiver(dir: string, onLoop = false): Promise<Target> {
  const file = await open(join(dir, 'baseline.ndjson'), 'a');
  let pending: Pending = [];
  let writing = false;
  const flush = async (): Promise<void> => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      await file.write(linesOf(batch));
      await file.datasync();
      for (const { res } of batch) res.writeHead(200).end('ok');
    }
    writing = false;
  };
  const flushOnLoop = (): void => {
    const batch = pending;
    pending = [];
    writeSync(file.fd, linesOf(batch));
    fdatasyncSync(file.fd);
    for (const { res } of batch) res.writeHead(200).end('ok');
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pending.push({ body: Buffer.concat(chunks), res });
      if (onLoop) {
        if (pending.length === 1) setImmediate(flushOnLoop);
      } else if (!writing) void flush();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await file.close();
    },
  };
}

/** Eventsync's receiver -> intake -> engine -> NDJSON file storage. */
async function eventsyncReceiver(dir: string, acknowledge: 'durable' | 'received'): Promise<Target> {
  const storage = new NdjsonFileStorage({ path: join(dir, `${acknowledge}.ndjson`), stateDir: join(dir, `${acknowledge}-state`) });
  const target: Target = { url: '', close: async () => undefined };
  const commit = storage.commit.bind(storage);
  storage.commit = async (events, watermark, fingerprint) => {
    await commit(events, watermark, fingerprint);
    for (const { event } of events) target.onDurable?.(event.id);
  };
  // No feed requests happen here: the engine is only the door into the storage.
  const client = new EventsyncClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused' }, { transport: async () => ({ status: 503, headers: {}, body: '' }), now: Date.now, sleep: (ms) => sleep(ms) });
  const engine = await SyncEngine.open({ feed: client.events, storage, now: Date.now, sleep: (ms) => sleep(ms) });
  const intake = new WebhookIntake({ poller: engine, signature: SIGNATURE, secrets: () => [SECRET], now: Date.now });
  const receiver = await startWebhookReceiver({ intake, port: 0, acknowledge });
  return Object.assign(target, {
    url: receiver.url,
    close: async () => {
      await receiver.close();
      await storage.close();
    },
  });
}

async function measure(make: () => Promise<Target>, durableOnAnswer: boolean): Promise<Result> {
  const target = await make();
  try {
    return await load(target, durableOnAnswer);
  } finally {
    await target.close();
  }
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-receiver-'));
  const arms = {
    baseline: { start: (at: string) => minimalReceiver(at), answersDurable: true, results: [] as Result[] },
    reference: { start: (at: string) => minimalReceiver(at, true), answersDurable: true, results: [] as Result[] },
    durable: { start: (at: string) => eventsyncReceiver(at, 'durable'), answersDurable: true, results: [] as Result[] },
    received: { start: (at: string) => eventsyncReceiver(at, 'received'), answersDurable: false, results: [] as Result[] },
  };
  const order = Object.values(arms);
  for (let round = 0; round < ROUNDS; round++) {
    // Each arm goes first once: a disk that is slower early or late in the run is shared out.
    for (let turn = 0; turn < order.length; turn++) {
      const arm = order[(round + turn) % order.length]!;
      // A directory of its own each time: the same event ids are sent every round, and a sink that kept them would skip them.
      const at = await mkdtemp(join(dir, 'round-'));
      arm.results.push(await measure(() => arm.start(at), arm.answersDurable));
    }
  }
  await rm(dir, { recursive: true, force: true });
  const middle = (results: Result[]): Result => ({
    perSecond: median(results.map((result) => result.perSecond)),
    p50: median(results.map((result) => result.p50)),
    p99: median(results.map((result) => result.p99)),
    cpuMicros: median(results.map((result) => result.cpuMicros)),
  });
  const [baseline, reference, durable, received] = [arms.baseline, arms.reference, arms.durable, arms.received].map((arm) => middle(arm.results)) as [Result, Result, Result, Result];

  const line = (name: string, result: Result): string =>
    `${name}: ${Math.round(result.perSecond).toLocaleString('en-US')} deliveries/s, send -> durable p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, receiver CPU ${result.cpuMicros.toFixed(0)} µs per delivery`;
  // Against the baseline of the same round, a neighbour in time: the median of those ratios
  // leaves out the machine's slower drifts, which move a run's rate by 10-20% here.
  const ratios = (results: Result[], against: Result[], figure: (result: Result) => number): number[] =>
    results.map((result, round) => figure(result) / figure(against[round]!));
  const compare = (results: Result[]): string => {
    const [throughputs, p99s] = [ratios(results, arms.baseline.results, (result) => result.perSecond), ratios(results, arms.baseline.results, (result) => result.p99)];
    const [throughput, p99] = [median(throughputs), median(p99s)];
    const spread = `rounds ${Math.min(...throughputs).toFixed(2)}-${Math.max(...throughputs).toFixed(2)}`;
    const toReference = median(ratios(results, arms.reference.results, (result) => result.perSecond));
    return `throughput ${throughput.toFixed(3)}x, ${spread} (target >= 1.0: ${verdict(throughput >= 1)}), p99 ${p99.toFixed(2)}x (target <= 1.5: ${verdict(p99 <= 1.5)}); throughput ${toReference.toFixed(3)}x the reference`;
  };
  console.log(`\n## Webhook receiver: ${DELIVERIES.toLocaleString('en-US')} signed deliveries, ${CONCURRENCY} connections, into an fdatasynced NDJSON file, medians of ${ROUNDS} alternating rounds`);
  console.log(line('baseline, minimal group-commit receiver answering after fdatasync', baseline));
  console.log(line('reference, the same making its write and fdatasync on the loop thread (no target)', reference));
  console.log(`${line('eventsync, answering once committed (default)', durable)}; ${compare(arms.durable.results)}`);
  console.log(`${line('eventsync, answering on receipt', received)}; ${compare(arms.received.results)}`);
}
