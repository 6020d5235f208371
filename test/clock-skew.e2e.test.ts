/**
 * `eventsync sync` on a machine whose clock disagrees with the API's: the sandbox runs its
 * clock (events' `created_at`, the visibility lag, its `Date` header) off by an offset from
 * the CLI's. A live sync, then `--once`, must leave the file holding the feed exactly.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { duplicates, idsInFile, runCli, startSyncing, tempDir, untilStderrHas } from './support/cli.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

/** Sandbox lag 2 s, look-back 3 s: the API's 10 s and the default 15 s, in less time. */
const FLAGS = ['--lookback', '3s', '--poll-interval', '200ms', '--no-status', '--rate-limit', 'read:100000/1m'];

describe('eventsync sync with a clock that disagrees with the API', () => {
  it.each([
    ['30 s ahead of', -30_000],
    ['30 s behind', 30_000],
    ['10 minutes ahead of', -600_000],
    ['10 minutes behind', 600_000],
  ])('ends with the feed exactly when its clock is %s the API', async (label, serverOffsetMs) => {
    sandbox = await startSandbox({
      seed: 3,
      now: () => Date.now() + serverOffsetMs,
      visibilityLagMs: 2_000,
      policies: false,
      backlog: { count: 300, spanMs: 10 * 60_000 },
    });
    sandbox.startGenerator({ ratePerSecond: 100 });
    const box = sandbox;
    const dir = await tempDir('skew');
    const args = ['sync', '--out', join(dir, 'events.ndjson'), '--state-dir', join(dir, 'state'), ...FLAGS];
    const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };

    const live = await startSyncing(args, env);
    await untilStderrHas(live, `this machine's clock is`, 'warn of the clock');
    await sleep(1_500); // syncing live, webhooks off: polls every 200 ms while events arrive
    live.kill('SIGTERM');
    const first = await live.result;
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`this machine's clock is`);
    expect(first.stderr).toContain(label.split(' of')[0]!.replace(/^\d+ (s|minutes) /, ''));

    const once = await runCli([...args, '--once'], env);
    expect(once.code).toBe(0);
    // "Complete up to" names a moment the API's clock has reached, not one in its future.
    const completeUpTo = Date.parse(/complete up to (\S+)/.exec(once.stderr)?.[1] ?? '');
    expect(completeUpTo).toBeLessThanOrEqual(Date.now() + serverOffsetMs);

    box.stopGenerator();
    await sleep(2_200); // every event visible
    const last = await runCli([...args, '--once'], env);
    expect(last.code).toBe(0);
    const ids = await idsInFile(join(dir, 'events.ndjson'));
    expect(duplicates(ids)).toEqual([]);
    const feed = box.eventIds();
    expect(feed.length).toBeGreaterThan(500);
    expect(new Set(ids)).toEqual(new Set(feed));
  }, 60_000);
});
