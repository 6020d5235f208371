/**
 * `eventsync sync --sink ...` as a user runs it: one writer per output, and sink URLs that
 * are wrong get a message saying what is expected.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { duplicates, idsInFile, runCli, startCli, tempDir } from './support/cli.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

describe('eventsync sync --sink file:', () => {
  it('refuses a second sync on the same output while the first runs, and the output ends exact', async () => {
    sandbox = await startSandbox({ seed: 8, visibilityLagMs: 0, policies: false, backlog: { count: 3_000, spanMs: 3_600_000 } });
    const box = sandbox;
    const dir = await tempDir('two-writers');
    const out = join(dir, 'events.ndjson');
    const args = ['sync', '--sink', `file:${out}`, '--state-dir', join(dir, 'state'), '--no-status', '--lookback', '1s', '--rate-limit', 'read:600/1m'];
    const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };

    const first = startCli(args, env);
    let stderr = '';
    first.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (const deadline = Date.now() + 10_000; !stderr.includes('eventsync: syncing') && Date.now() < deadline; ) await sleep(20);
    const second = await runCli([...args, '--once'], env);
    expect(second.code).toBe(8);
    expect(second.stderr).toMatch(new RegExp(`another sync \\(pid ${first.pid} on \\S+\\) is writing ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    first.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
    const last = await runCli([...args, '--once', '--rate-limit', 'read:100000/1m'], env);
    expect(last.code).toBe(0);
    const ids = await idsInFile(out);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(box.eventIds()));
  }, 60_000);

  it.each([
    ['ftp://example.com/events', /--sink takes file:<path>, sqlite:<path>, postgres:\/\/user:password@host\/database or - for stdout/],
    ['file:', /--sink takes/],
    ['postgres://user:hunter2@', /--sink takes .*got "postgres:…"/],
  ])('refuses --sink %s with what it takes (exit 2), never echoing a password', async (url, message) => {
    const result = await runCli(['sync', '--sink', url, '--no-status'], { EVENTSYNC_BASE_URL: 'http://127.0.0.1:9', EVENTSYNC_API_KEY: 'wlcro_test_x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('hunter2');
  });
});
