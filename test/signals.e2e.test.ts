/**
 * A stop must not wait for the wait: SIGTERM or Ctrl-C while `eventsync sync` waits for a
 * rate-limit slot, a Retry-After, a 503 back-off or the next poll ends it within 2 s, with
 * what was written saved and exit code 0, as the README documents.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '@eventsync/sandbox';
import { duplicates, idsInFile, runCli, startSyncing, tempDir } from './support/cli.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

interface Case {
  readonly sandbox: SandboxOptions;
  readonly flags: readonly string[];
  /** Puts the sync into the wait once it has started syncing. */
  readonly then?: (box: Sandbox) => void;
}

const BACKLOG = { count: 3_000, spanMs: 60 * 60_000 };
const CASES: ReadonlyArray<readonly [string, Case]> = [
  ['a rate-limit slot', { sandbox: { policies: false, backlog: BACKLOG }, flags: ['--rate-limit', 'read:3/1m'] }],
  [
    'a Retry-After',
    { sandbox: { policies: false, backlog: BACKLOG }, flags: [], then: (box) => box.setFaults({ rateLimitStormRate: 1, stormRetryAfterSeconds: 60 }) },
  ],
  [
    'a 503 back-off',
    { sandbox: { policies: false, backlog: BACKLOG }, flags: [], then: (box) => box.setFaults({ unavailableRate: 1, unavailableRetryAfterSeconds: 60 }) },
  ],
  ['the poll interval', { sandbox: { policies: false, backlog: { count: 50, spanMs: 60_000 } }, flags: ['--poll-interval', '60s'] }],
  ['the poll interval behind webhooks', { sandbox: { policies: false, backlog: { count: 50, spanMs: 60_000 } }, flags: ['--listen', '0'] }],
];

describe.each(['SIGTERM', 'SIGINT'] as const)('%s while eventsync sync waits', (signal) => {
  it.each(CASES)('during %s, exits within 2 s with code 0 and what it wrote saved', async (_label, testCase) => {
    sandbox = await startSandbox({ seed: 5, visibilityLagMs: 0, ...testCase.sandbox });
    const box = sandbox;
    const dir = await tempDir('signals');
    const args = ['sync', '--out', join(dir, 'events.ndjson'), '--state-dir', join(dir, 'state'), '--no-status', '--lookback', '1s'];
    const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };
    const child = await startSyncing([...args, ...testCase.flags], env);
    testCase.then?.(box);
    await sleep(1_500); // well into the wait

    const sentAt = Date.now();
    child.kill(signal);
    const result = await child.result;
    const tookMs = Date.now() - sentAt;
    expect(result.stderr).toMatch(/events written/);
    expect(result.code).toBe(0);
    expect(tookMs).toBeLessThan(2_000);

    // What it wrote is what its checkpoint says: a clean run afterwards completes the set exactly.
    box.setFaults({});
    const rest = await runCli([...args, '--once'], env);
    expect(rest.code).toBe(0);
    const ids = await idsInFile(join(dir, 'events.ndjson'));
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(box.eventIds()));
  }, 60_000);
});
