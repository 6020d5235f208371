/**
 * /metrics as an operator reads it, scraped from a real `eventsync sync --listen` against the
 * sandbox with faults on (storm 429s, 503s, slow answers) and the circuit breaker tripped once,
 * every scrape parsed by a Prometheus text-format parser.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '@eventsync/sandbox';
import { duplicates, idsInFile, startCli, tempDir } from './support/cli.js';
import { getJson, Scrape, waitFor } from './support/ops.js';
import { freePort } from './support/ports.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Reading {
  readonly lag: number | undefined;
  readonly active: number | undefined;
  readonly deliveryFailures: number | undefined;
}

describe('eventsync sync --metrics-port: /metrics', () => {
  it('shows what the sink holds per channel, the 429s, the lag falling to near zero and the subscription going 1 -> 0 -> 1 around a breaker trip', async () => {
    const sandbox = await startSandbox({
      seed: 31,
      visibilityLagMs: 200,
      backlog: { count: 3_000, spanMs: 3_600_000 },
      generator: { ratePerSecond: 20 },
      policies: { read: 'read:600/1s', write: 'write:600/1s' },
      webhooks: { timeScale: 0.001, circuitBreakerThreshold: 5 },
    });
    cleanups.push(() => sandbox.stop());
    const dir = await tempDir('ops-metrics');
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const sync = startCli(
      ['sync', '--listen', '0', '--metrics-port', String(port), '--health-interval', '400ms', '--poll-interval', '500ms', '--lookback', '1s', '--page-size', '50']
        .concat(['--no-status', '--rate-limit', 'read:600/1s,write:600/1s', '--data-dir', dir]),
      { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey },
    );
    cleanups.push(() => sync.kill('SIGKILL'));
    await waitFor('the metrics server', async () => (await fetch(`${origin}/healthz`).catch(() => undefined))?.ok);
    // Faults once the sync is up (its start-up check fails fast by design): slow answers, storm 429s, 503s.
    sandbox.setFaults({ latencyMs: [10, 30], rateLimitStormRate: 0.1, stormRetryAfterSeconds: 1, unavailableRate: 0.05 });

    const readings: Reading[] = [];
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        const scrape = await Scrape.of(origin);
        readings.push({
          lag: scrape.value('eventsync_checkpoint_lag_seconds'),
          active: scrape.value('eventsync_subscription_active'),
          deliveryFailures: scrape.value('eventsync_webhook_delivery_failures'),
        });
        await sleep(100);
      }
    })();

    const caughtUp = (): Promise<boolean> =>
      Scrape.of(origin).then((scrape) => (scrape.value('eventsync_checkpoint_lag_seconds') ?? Number.POSITIVE_INFINITY) < 3);
    await waitFor('the backlog to be synced', caughtUp, 60_000);
    expect(Math.max(...readings.map((reading) => reading.lag ?? 0))).toBeGreaterThan(600);

    // Every delivery fails the receiver's signature check until the breaker trips and the sync notices.
    sandbox.setWebhookFaults({ tamperRate: 1 });
    await waitFor('the subscription gauge to read 0', () => readings.at(-1)?.active === 0, 30_000);
    sandbox.setWebhookFaults({});
    await waitFor('the subscription gauge to read 1 again', () => readings.at(-1)?.active === 1, 30_000);

    // Quiet: no new events, no faults; wait until the sink holds every event.
    sandbox.stopGenerator();
    sandbox.setFaults({});
    const sink = join(dir, 'events.ndjson');
    await waitFor('every event in the sink', async () => (await idsInFile(sink)).length === sandbox.eventIds().length, 60_000);
    await waitFor('the lag to fall near zero', caughtUp, 20_000);
    scraping = false;
    await scraper;

    const final = await Scrape.of(origin);
    const ids = await idsInFile(sink);
    const written = { poll: final.value('eventsync_events_written_total', { channel: 'poll' })!, webhook: final.value('eventsync_events_written_total', { channel: 'webhook' })! };
    expect(written.poll + written.webhook).toBe(ids.length);
    expect(written.webhook).toBeGreaterThan(0);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sandbox.eventIds()));

    const answered429 = sandbox.requests.filter((request) => request.status === 429).length;
    expect(answered429).toBeGreaterThan(0);
    expect(final.sum('eventsync_api_requests_total', { status: '429' })).toBe(answered429);
    expect(final.sum('eventsync_rate_limited_total')).toBe(answered429);
    expect(final.sum('eventsync_api_requests_total', { status: '503' })).toBe(sandbox.requests.filter((request) => request.status === 503).length);
    expect(final.family('eventsync_api_request_duration_seconds').type).toBe('HISTOGRAM');
    expect(final.count('eventsync_sink_commit_duration_seconds')).toBeGreaterThan(0);
    expect(final.count('eventsync_poll_pass_duration_seconds')).toBeGreaterThan(0);
    expect(final.value('eventsync_rate_limit_remaining', { bucket: 'read' })).toBeGreaterThanOrEqual(0);

    // The gauge's history: 1, then 0 while the breaker had it, then 1.
    const actives = readings.map((reading) => reading.active).filter((value, index, all) => index === 0 || value !== all[index - 1]);
    expect(actives).toEqual(expect.arrayContaining([1, 0]));
    expect(actives.at(-1)).toBe(1);
    expect(actives.indexOf(0)).toBeGreaterThan(actives.indexOf(1));
    expect(final.value('eventsync_subscription_reenabled_total')).toBeGreaterThanOrEqual(1);
    expect(final.value('eventsync_bad_signatures_total')).toBeGreaterThanOrEqual(5);
    expect(Math.max(...readings.map((reading) => reading.deliveryFailures ?? 0))).toBeGreaterThan(0);
    expect(final.value('eventsync_checkpoint_lag_seconds')).toBeLessThan(3);
    expect(final.has('process_cpu_seconds_total')).toBe(true);
    expect((await getJson(`${origin}/readyz`)).status).toBe(200);

    sync.kill('SIGTERM');
    expect((await sync.result).code).toBe(0);
  }, 180_000);
});
