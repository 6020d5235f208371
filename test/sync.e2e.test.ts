/**
 * `eventsync sync` against the sandbox over real sockets: a backlog plus live events that
 * commit out of order, synced with nothing lost and nothing twice, across kill -9s.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { completeLines, duplicates, idsInFile, runCli, startCli, tempDir } from './support/cli.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

/** Sandbox lag 2 s, client look-back 3 s: the same relation as the API's 10 s and the default 15 s, in less time. */
const LAG_MS = 2_000;
const SYNC_FLAGS = ['--lookback', '3s', '--poll-interval', '200ms', '--no-status', '--rate-limit', 'read:100000/1m'];

function syncArgs(dir: string, ...extra: string[]): string[] {
  return ['sync', '--out', join(dir, 'events.ndjson'), '--state-dir', join(dir, 'state'), ...SYNC_FLAGS, ...extra];
}

function envFor(box: Sandbox): Record<string, string> {
  return { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };
}

describe('eventsync sync', () => {
  it('syncs a backlog of 6,000 events, with live ones committing late, with zero lost and zero duplicated', async () => {
    sandbox = await startSandbox({
      seed: 42,
      visibilityLagMs: LAG_MS,
      policies: false,
      backlog: { count: 4_000, spanMs: 30 * 60_000 },
    });
    sandbox.generate(2_000); // created now, committing over the next 2 s, out of order
    sandbox.startGenerator({ ratePerSecond: 300 });
    const dir = await tempDir('backlog');
    const startedAt = Date.now();
    const first = await runCli(syncArgs(dir, '--once'), envFor(sandbox));
    expect(first.stderr).not.toMatch(/\n\s+at /);
    expect(first.code).toBe(0);

    const ids = await idsInFile(join(dir, 'events.ndjson'));
    expect(duplicates(ids)).toEqual([]);
    const createdBefore = new Set(
      sandbox.events().filter((event) => Date.parse(event.created_at) < startedAt).map((event) => event.id),
    );
    expect(createdBefore.size).toBeGreaterThanOrEqual(6_000);
    const synced = new Set(ids);
    expect([...createdBefore].filter((id) => !synced.has(id))).toEqual([]);

    // A second run resumes from the checkpoint; once the generator stops, the file is the feed, exactly.
    sandbox.stopGenerator();
    await sleep(50);
    const second = await runCli(syncArgs(dir, '--once'), envFor(sandbox));
    expect(second.code).toBe(0);
    const all = await idsInFile(join(dir, 'events.ndjson'));
    expect(duplicates(all)).toEqual([]);
    expect(new Set(all)).toEqual(new Set(sandbox.eventIds()));
  }, 60_000);

  it('ends with the exact event set after being kill -9ed several times mid-sync', async () => {
    sandbox = await startSandbox({
      seed: 7,
      visibilityLagMs: LAG_MS,
      policies: false,
      backlog: { count: 6_000, spanMs: 30 * 60_000 },
      faults: { latencyMs: [2, 8] },
    });
    sandbox.startGenerator({ ratePerSecond: 200 });
    const dir = await tempDir('kill9');
    const kills: number[] = [];
    for (let round = 0; round < 6; round++) {
      const child = startCli(syncArgs(dir), envFor(sandbox));
      const after = 300 + ((round * 397) % 900); // spread over the drain, deterministic
      await sleep(after);
      child.kill('SIGKILL');
      const result = await child.result;
      expect(result.signal).toBe('SIGKILL');
      kills.push(await completeLines(join(dir, 'events.ndjson')));
    }
    // The kills landed while there was still work to do, not after it was all done.
    expect(kills[0]).toBeLessThan(6_000);

    sandbox.stopGenerator();
    await sleep(50);
    const last = await runCli(syncArgs(dir, '--once'), envFor(sandbox));
    expect(last.code).toBe(0);
    const ids = await idsInFile(join(dir, 'events.ndjson'));
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sandbox.eventIds()));
  }, 90_000);
});
