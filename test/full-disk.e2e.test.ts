/**
 * `eventsync sync` when the disk fills: a 256 KiB tmpfs holds the output (and in the second
 * case the checkpoint too), far less than the backlog. The sync must stop with one line
 * naming the file and the cause, leave a checkpoint that points nowhere past the file's end,
 * and after space is freed resume to the exact event set. Mounting needs root, as CI has.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { duplicates, idsInFile, runCli, tempDir } from './support/cli.js';
import { growDisk, smallDisk } from './support/tmpfs.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

describe('eventsync sync on a disk that fills up', () => {
  it.each([
    ['the events file', false],
    ['the events file and the checkpoint', true],
  ])('stops with the cause when %s cannot be written, and resumes exactly once space is freed', async (_label, stateOnDisk) => {
    sandbox = await startSandbox({ seed: 9, visibilityLagMs: 0, policies: false, backlog: { count: 5_000, spanMs: 60 * 60_000 } });
    const disk = await smallDisk('256k', 'full-disk');
    const elsewhere = await tempDir('full-disk-state');
    const out = join(disk, 'events.ndjson');
    const stateDir = stateOnDisk ? join(disk, 'state') : join(elsewhere, 'state');
    await mkdir(stateDir, { recursive: true });
    const args = ['sync', '--once', '--out', out, '--state-dir', stateDir, '--no-status', '--lookback', '1s'];
    const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };

    const full = await runCli(args, env);
    expect(full.code).toBe(8);
    const lastLine = full.stderr.trim().split('\n').at(-1)!;
    expect(lastLine).toMatch(/^eventsync: could not (write events to|save the checkpoint) \S+: no space left on the device \(ENOSPC\)/);
    expect(full.stderr).not.toMatch(/unexpected error|\n\s+at /);

    // The checkpoint names no byte and no id that is not in the file.
    const state = JSON.parse(await readFile(join(stateDir, 'checkpoint.json'), 'utf8').catch(() => '{}')) as {
      sinkPosition?: number;
      checkpoint?: { seen: Array<[string, string]> };
    };
    const { size } = await stat(out);
    expect(state.sinkPosition ?? 0).toBeLessThanOrEqual(size);
    const written = new Set(await idsInFile(out));
    expect((state.checkpoint?.seen ?? []).filter(([id]) => !written.has(id))).toEqual([]);
    expect(written.size).toBeLessThan(5_000);

    growDisk(disk, '8m');
    const resumed = await runCli(args, env);
    expect(resumed.stderr).not.toMatch(/shorter/);
    expect(resumed.code).toBe(0);
    const ids = await idsInFile(out);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(sandbox.eventIds()));
  }, 60_000);
});
