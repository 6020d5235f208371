/**
 * Signed deliveries end to end on loopback: a sender signing each event as the sandbox
 * does (16 concurrent keep-alive connections) -> the receiver -> verification -> the
 * poller's door -> an fsynced NDJSON file. Reports deliveries/s and the latency from
 * send to the sink's write returning, p50 and p99.
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliveryHeaders, EventsyncClient, Poller, PRESETS, WebhookIntake, type EventEnvelope, type SyncState } from '@eventsync/core';
import { FileCursorStore, NdjsonFileSink, startWebhookReceiver, stoppableSleep } from '@eventsync/core/node';
import { seconds } from './support.ts';

const DELIVERIES = 20_000;
const CONCURRENCY = 16;
const SECRET = 'whsec_' + Buffer.from('receiver-benchmark-secret').toString('base64');

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-receiver-'));
  const signature = PRESETS.integration.signature;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const sink = new NdjsonFileSink(join(dir, 'events.ndjson'));
  const write = sink.write.bind(sink);
  sink.write = async (events: readonly EventEnvelope[]) => {
    const position = await write(events);
    const now = performance.now();
    for (const event of events) latencies.push(now - sentAt.get(event.id)!);
    return position;
  };
  // No feed requests happen here: the poller is only the door into the sink.
  const client = new EventsyncClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused' }, { transport: async () => ({ status: 503, headers: {}, body: '' }), now: Date.now, sleep: stoppableSleep });
  const poller = new Poller<number>({ feed: client.events, sink, store: new FileCursorStore<SyncState<number>>(join(dir, 'state.json')), now: Date.now, sleep: stoppableSleep });
  await poller.open();
  const intake = new WebhookIntake({ poller, signature, secrets: () => [SECRET], now: Date.now });
  const receiver = await startWebhookReceiver({ intake, port: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const send = (index: number): Promise<void> => {
    const event: EventEnvelope = { id: `evt_${String(index).padStart(8, '0')}`, type: 'customer.created', created_at: new Date().toISOString(), data: { customer_id: `cus_${index}`, pad: 'x'.repeat(200) } };
    const body = JSON.stringify(event);
    const headers = deliveryHeaders(signature, { secrets: [SECRET], body, timestamp: Math.floor(Date.now() / 1000), id: `del_${index}`, eventType: event.type });
    sentAt.set(event.id, performance.now());
    return new Promise((resolve, reject) => {
      const request = http.request(receiver.url, { method: 'POST', agent, headers: { ...headers, 'Content-Type': 'application/json' } }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
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
  while (latencies.length < DELIVERIES) await sleep(5);
  const elapsed = performance.now() - start;
  agent.destroy();
  await receiver.close();
  await sink.close();
  await rm(dir, { recursive: true, force: true });

  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`\n## Webhook receiver: ${DELIVERIES.toLocaleString('en-US')} signed deliveries, ${CONCURRENCY} connections, into an fsynced NDJSON file`);
  console.log(
    `${Math.round(DELIVERIES / (elapsed / 1000)).toLocaleString('en-US')} deliveries/s (${seconds(elapsed)}); send -> sink write p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms; ${poller.progress.byChannel.webhook} written`,
  );
}
