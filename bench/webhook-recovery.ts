/**
 * Recovery after a webhook outage: the handler is down for T seconds while events keep
 * coming (the sandbox's first retry is a minute away, so webhooks will not bring them
 * back soon). Measured: from the handler's return until the sink holds every event, next
 * to the poll interval that bounds it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SyncEngine, WebhookIntake } from '@eventsync/core';
import { createNodeClient, NdjsonFileStorage, startWebhookReceiver } from '@eventsync/core/node';
import { startSandbox } from '@eventsync/sandbox';
import { seconds } from './support.ts';

const OUTAGE_MS = 5_000;
const POLL_INTERVAL_MS = 3_000;
const RATE = 200;

export async function run(): Promise<void> {
  const sandbox = await startSandbox({ seed: 8, visibilityLagMs: 1_000, policies: false });
  const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: 'read:100000/1m', write: 'write:100000/1m' } });
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-recovery-'));
  const storage = new NdjsonFileStorage({ path: join(dir, 'events.ndjson'), stateDir: join(dir, 'state') });
  const poller = await SyncEngine.open({
    feed: client.events,
    storage,
    now: Date.now,
    sleep: (ms) => sleep(ms),
    pollIntervalMs: POLL_INTERVAL_MS,
    checkpoint: { lookbackMs: 2_000 },
  });
  let secret = '';
  const intake = new WebhookIntake({ poller, signature: client.config.signature, secrets: () => [secret], now: Date.now });
  let receiver = await startWebhookReceiver({ intake, port: 0 });
  const port = Number(new URL(receiver.url).port);
  secret = (await client.subscriptions.create({ url: receiver.url, events: ['*'] })).secret;
  const running = poller.run();

  sandbox.startGenerator({ ratePerSecond: RATE });
  await sleep(2_000);
  await receiver.close();
  await sleep(OUTAGE_MS);
  sandbox.stopGenerator();
  const back = performance.now();
  receiver = await startWebhookReceiver({ intake, port });
  const expected = sandbox.eventIds().length;
  while (poller.progress.delivered < expected) await sleep(20);
  const recovery = performance.now() - back;
  const { byChannel } = poller.progress;
  poller.stop();
  await running;
  await receiver.close();
  await storage.close();
  client.close();
  await sandbox.stop();
  await rm(dir, { recursive: true, force: true });

  console.log(`\n## Recovery after a ${seconds(OUTAGE_MS)} webhook outage at ${RATE} events/s, poll interval ${seconds(POLL_INTERVAL_MS)}, look-back 2 s`);
  console.log(
    `every one of ${expected} events in the sink ${seconds(recovery)} after the handler came back (${(recovery / POLL_INTERVAL_MS).toFixed(2)} poll intervals); ` +
      `${byChannel.webhook} by webhook, ${byChannel.poll} by polling`,
  );
}
