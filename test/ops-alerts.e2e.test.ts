/** --alert-url as an on-call channel sees it: one alert when the breaker trips, one when it clears, and a broken channel that changes nothing. */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { idsInFile, startCli, tempDir } from './support/cli.js';
import { jsonReceiver, waitFor } from './support/ops.js';

/** The sandbox runs without rate limits here; the sync's limiter is told so, or it would pace itself at the preset's 60 a minute. */
const UNLIMITED = 'read:100000/1m,write:100000/1m';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Alert {
  readonly alert: string;
  readonly severity: string;
  readonly state: string;
  readonly source: string;
  readonly message: string;
  readonly at: string;
  readonly text: string;
}

async function sandbox(): Promise<Sandbox> {
  const box = await startSandbox({
    seed: 51,
    visibilityLagMs: 200,
    backlog: { count: 50, spanMs: 60_000 },
    generator: { ratePerSecond: 30 },
    policies: false,
    webhooks: { timeScale: 0.001, circuitBreakerThreshold: 5 },
  });
  cleanups.push(() => box.stop());
  return box;
}

function startSync(box: Sandbox, dir: string, alertUrl: string) {
  const sync = startCli(
    ['sync', '--listen', '0', '--alert-url', alertUrl, '--health-interval', '300ms', '--poll-interval', '500ms', '--lookback', '1s', '--no-status', '--rate-limit', UNLIMITED, '--data-dir', dir],
    { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey },
  );
  cleanups.push(() => sync.kill('SIGKILL'));
  return sync;
}

/** Deliveries fail the receiver's signature check until the API's breaker (5 failures in a row here) has turned the subscription off. */
async function tripTheBreaker(box: Sandbox): Promise<void> {
  const before = box.deliveries.length;
  box.setWebhookFaults({ tamperRate: 1 });
  await waitFor('the circuit breaker', () => box.deliveries.slice(before).filter((delivery) => delivery.status === 401).length >= 5, 20_000);
  box.setWebhookFaults({});
}

describe('eventsync sync --alert-url', () => {
  it('sends exactly one "subscription auto-disabled" and one "resolved" for one breaker trip', async () => {
    const box = await sandbox();
    const receiver = await jsonReceiver();
    cleanups.push(() => receiver.close());
    const dir = await tempDir('ops-alerts');
    const sync = startSync(box, dir, receiver.url);
    await waitFor('webhook deliveries', () => box.deliveries.some((delivery) => delivery.ok), 20_000);

    await tripTheBreaker(box);
    await waitFor('the resolved alert', () => (receiver.bodies as Alert[]).some((alert) => alert.state === 'resolved'), 20_000);
    await sleep(1_500); // several health intervals more: nothing else may arrive

    const alerts = receiver.bodies as Alert[];
    expect(alerts.map((alert) => `${alert.alert} ${alert.state}`)).toEqual(['subscription_auto_disabled firing', 'subscription_auto_disabled resolved']);
    const [firing, resolved] = alerts;
    expect(firing).toMatchObject({ severity: 'critical', source: expect.stringContaining('@127.0.0.1:') });
    expect(firing!.message).toMatch(/circuit breaker at .* after \d+ failed deliveries/);
    expect(firing!.text).toMatch(/^\[eventsync\] CRITICAL subscription_auto_disabled \(/);
    expect(resolved!.text).toMatch(/^\[eventsync\] RESOLVED subscription_auto_disabled/);
    expect(Date.parse(resolved!.at)).toBeGreaterThanOrEqual(Date.parse(firing!.at));
    sync.kill('SIGTERM');
    expect((await sync.result).code).toBe(0);
  }, 60_000);

  it('goes on syncing when the alert endpoint fails, and says so once per alert', async () => {
    const box = await sandbox();
    const broken = await jsonReceiver(500);
    cleanups.push(() => broken.close());
    const dir = await tempDir('ops-alerts-broken');
    const sync = startSync(box, dir, broken.url);
    await waitFor('webhook deliveries', () => box.deliveries.some((delivery) => delivery.ok), 20_000);
    await tripTheBreaker(box);
    await waitFor('both alerts tried three times', () => broken.bodies.length >= 6, 30_000);

    box.stopGenerator();
    const sink = join(dir, 'events.ndjson');
    await waitFor('every event in the sink', async () => (await idsInFile(sink)).length === box.eventIds().length, 20_000);
    sync.kill('SIGTERM');
    const result = await sync.result;
    expect(result.code).toBe(0);
    const complaints = result.stderr.split('\n').filter((line) => line.includes('could not deliver'));
    expect(complaints).toHaveLength(2);
    expect(complaints[0]).toContain('the endpoint answered 500');
    expect(complaints[0]).toContain(new URL(broken.url).origin);
    expect(result.stderr).not.toContain(new URL(broken.url).pathname);
  }, 60_000);
});
