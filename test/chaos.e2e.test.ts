/**
 * Webhook-first sync under chaos: 20,000+ events while the sandbox drops 30 % of deliveries,
 * duplicates 10 %, delays and so reorders them, answers 503s and 429 storms, and the sync
 * process is kill -9ed at random moments and restarted. The sink must end up holding every
 * event exactly once.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { completeLines, duplicates, idsInFile, runCli, startCli, tempDir } from './support/cli.js';
import { freePort } from './support/ports.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

/** Deterministic "random" kill moments (ms), spread across the run. */
function killSchedule(seed: number, count: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 700 + (state % 1_800);
  });
}

describe('webhook-first sync under chaos', () => {
  it('holds each of 20,000+ events exactly once after drops, duplicates, 503s, 429 storms and kill -9s', async () => {
    sandbox = await startSandbox({
      seed: 2026,
      visibilityLagMs: 1_000,
      policies: { read: 'read:3000/1m', write: 'write:3000/1m' },
      faults: { unavailableRate: 0.05, rateLimitStormRate: 0.05, stormRetryAfterSeconds: 1, latencyMs: [0, 5] },
      webhooks: { timeScale: 0.001, faults: { dropRate: 0.3, duplicateRate: 0.1, delayMs: [0, 300] } },
    });
    const dir = await tempDir('chaos');
    const port = await freePort();
    const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };
    const args = (...extra: string[]) => [
      'sync',
      '--listen', String(port),
      '--out', join(dir, 'events.ndjson'),
      '--state-dir', join(dir, 'state'),
      '--lookback', '2s',
      '--poll-interval', '1s',
      '--health-interval', '1s',
      '--rate-limit', 'read:3000/1m',
      '--no-status',
      ...extra,
    ];

    sandbox.startGenerator({ ratePerSecond: 1_600 });
    for (const wait of killSchedule(7, 6)) {
      const child = startCli(args(), env);
      await sleep(wait);
      child.kill('SIGKILL');
      expect((await child.result).signal).toBe('SIGKILL');
    }
    while (sandbox.eventIds().length < 20_000) await sleep(100);
    sandbox.stopGenerator();
    expect(await completeLines(join(dir, 'events.ndjson'))).toBeGreaterThan(0);

    // The last run drains everything created before it started, then stops cleanly.
    const last = await runCli(args('--once'), env);
    expect(last.stderr).not.toMatch(/\n\s+at /);
    expect(last.code).toBe(0);

    const ids = await idsInFile(join(dir, 'events.ndjson'));
    const all = sandbox.eventIds();
    expect(all.length).toBeGreaterThanOrEqual(20_000);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(all));

    // Webhooks did real work (and some were refused or lost), and the clean stop left no subscription behind.
    const delivered = sandbox.deliveries.filter((delivery) => delivery.ok);
    expect(delivered.length).toBeGreaterThan(1_000);
    expect(sandbox.deliveries.some((delivery) => delivery.fault === 'dropped')).toBe(true);
    expect(sandbox.deliveries.some((delivery) => delivery.fault === 'duplicate')).toBe(true);
    expect(sandbox.requests.some((request) => request.status === 503)).toBe(true);
    expect(sandbox.requests.some((request) => request.status === 429)).toBe(true);
    const leftovers = await runCli(['subscriptions', 'list', '--json'], env);
    expect(leftovers.stdout.trim()).toBe('');
  }, 300_000);
});
