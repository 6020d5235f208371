/**
 * Signed deliveries end to end on loopback, 16 concurrent keep-alive connections, into an
 * fdatasynced NDJSON file: deliveries/s and the latency from send to durable, p50 and p99.
 *
 * Baseline, measured in the same run: a minimal node:http receiver with group commit (one
 * append and one fdatasync per batch of whatever arrived meanwhile) that answers after its
 * fdatasync. Eventsync does more (verifies each signature, dedupes, keeps the checkpoint),
 * and is measured both ways it can answer: after the commit (`durable`, the default) and at
 * once (`received`, durable a moment later). Targets: throughput >= 1.0x, p99 <= 1.5x.
 */
import http from 'node:http';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliveryHeaders, EventsyncClient, PRESETS, SyncEngine, WebhookIntake, type EventEnvelope } from '@eventsync/core';
import { NdjsonFileStorage, startWebhookReceiver } from '@eventsync/core/node';
import { median, verdict } from './support.ts';

const DELIVERIES = 20_000;
const CONCURRENCY = 16;
/** Alternating rounds, medians reported: one round each swung the ratio from 0.8x to 1.26x (fdatasync latency wanders). */
const ROUNDS = 3;
const SECRET = 'whsec_' + Buffer.from('receiver-benchmark-secret').toString('base64');
const SIGNATURE = PRESETS.integration.signature;

interface Result {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
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

/** Sends the deliveries and measures send -> durable (the 200, or the storage's word). */
async function load(target: Target, durableOnAnswer: boolean): Promise<Result> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  target.onDurable = durableOnAnswer ? undefined : (id) => latencies.push(performance.now() - sentAt.get(id)!);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const send = (index: number): Promise<void> => {
    const event: EventEnvelope = { id: `evt_${String(index).padStart(8, '0')}`, type: 'customer.created', created_at: new Date().toISOString(), data: { customer_id: `cus_${index}`, pad: 'x'.repeat(200) } };
    const body = JSON.stringify(event);
    const headers = deliveryHeaders(SIGNATURE, { secrets: [SECRET], body, timestamp: Math.floor(Date.now() / 1000), id: `del_${index}`, eventType: event.type });
    sentAt.set(event.id, performance.now());
    return new Promise((resolve, reject) => {
      const request = http.request(target.url, { method: 'POST', agent, headers: { ...headers, 'Content-Type': 'application/json' } }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode !== 200) return reject(new Error(`status ${response.statusCode}`));
          if (durableOnAnswer) latencies.push(performance.now() - sentAt.get(event.id)!);
          resolve();
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  };
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < DELIVERIES) await send(next++);
  }));
  while (latencies.length < DELIVERIES) await sleep(2);
  const elapsed = performance.now() - start;
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  return { perSecond: DELIVERIES / (elapsed / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** The baseline: the least a durable receiver must do. */
async function minimalReceiver(dir: string): Promise<Target> {
  const file = await open(join(dir, 'baseline.ndjson'), 'a');
  let pending: Array<{ body: Buffer; res: http.ServerResponse }> = [];
  let writing = false;
  const flush = async (): Promise<void> => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      await file.write(Buffer.concat(batch.flatMap(({ body }) => [body, Buffer.from('\n')])));
      await file.datasync();
      for (const { res } of batch) res.writeHead(200).end('ok');
    }
    writing = false;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pending.push({ body: Buffer.concat(chunks), res });
      if (!writing) void flush();
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
  });
  const [baseline, durable, received] = [middle(arms.baseline.results), middle(arms.durable.results), middle(arms.received.results)];

  const line = (name: string, result: Result): string =>
    `${name}: ${Math.round(result.perSecond).toLocaleString('en-US')} deliveries/s, send -> durable p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`;
  const compare = (result: Result): string => {
    const throughput = result.perSecond / baseline.perSecond;
    const p99 = result.p99 / baseline.p99;
    return `throughput ${throughput.toFixed(2)}x (target >= 1.0: ${verdict(throughput >= 1)}), p99 ${p99.toFixed(2)}x (target <= 1.5: ${verdict(p99 <= 1.5)})`;
  };
  console.log(`\n## Webhook receiver: ${DELIVERIES.toLocaleString('en-US')} signed deliveries, ${CONCURRENCY} connections, into an fdatasynced NDJSON file, median of ${ROUNDS} alternating rounds`);
  console.log(line('baseline, minimal group-commit receiver answering after fdatasync', baseline));
  console.log(`${line('eventsync, answering once committed (default)', durable)}; ${compare(durable)}`);
  console.log(`${line('eventsync, answering on receipt', received)}; ${compare(received)}`);
}
