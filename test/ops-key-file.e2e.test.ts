/**
 * A key revoked under a running sync, and replaced through --api-key-file: /readyz says what
 * is wrong and recovers, the process is never restarted, and the sink ends with every event once.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyHint } from '@eventsync/core';
import { startSandbox } from '@eventsync/sandbox';
import { duplicates, idsInFile, startCli, tempDir } from './support/cli.js';
import { getJson, jsonReceiver, waitFor } from './support/ops.js';
import { freePort } from './support/ports.js';

/** The sandbox runs without rate limits here; the sync's limiter is told so, or it would pace itself at the preset's 60 a minute. */
const UNLIMITED = 'read:100000/1m,write:100000/1m';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SECOND_KEY = 'wlcro_test_second0key0for0rotation0Zq9';

/** Replaced the way secret managers do it: a new file renamed over the old one. */
async function replaceKeyFile(path: string, key: string): Promise<void> {
  await writeFile(`${path}.new`, `${key}\n`, { mode: 0o600 });
  await rename(`${path}.new`, path);
}

describe('eventsync sync --api-key-file', () => {
  it('/readyz turns 503 naming the revoked key, and 200 again once the key file holds a valid key, with no restart and every event once', async () => {
    const sandbox = await startSandbox({
      seed: 41,
      visibilityLagMs: 200,
      backlog: { count: 500, spanMs: 600_000 },
      generator: { ratePerSecond: 25 },
      policies: false,
      keys: [{ key: SECOND_KEY, name: 'rotated key' }],
    });
    cleanups.push(() => sandbox.stop());
    const dir = await tempDir('ops-key');
    const keyFile = join(dir, 'api-key');
    await replaceKeyFile(keyFile, sandbox.apiKey);
    const alerts = await jsonReceiver();
    cleanups.push(() => alerts.close());
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const sync = startCli(
      ['sync', '--api-key-file', keyFile, '--metrics-port', String(port), '--alert-url', alerts.url, '--poll-interval', '300ms', '--lookback', '1s', '--no-status', '--rate-limit', UNLIMITED, '--data-dir', dir],
      { EVENTSYNC_BASE_URL: sandbox.url },
    );
    cleanups.push(() => sync.kill('SIGKILL'));
    await waitFor('ready', async () => (await getJson(`${origin}/readyz`).catch(() => undefined))?.status === 200);

    sandbox.revokeKey(sandbox.apiKey);
    const notReady = await waitFor('/readyz to turn 503', async () => {
      const answer = await getJson(`${origin}/readyz`);
      return answer.status === 503 ? (answer.body as { ready: boolean; problems: Array<{ check: string; message: string }> }) : undefined;
    });
    expect(notReady.ready).toBe(false);
    expect(notReady.problems[0]!.check).toBe('api');
    expect(notReady.problems[0]!.message).toContain('401');
    expect(notReady.problems[0]!.message).toContain(keyHint(sandbox.apiKey));
    expect(JSON.stringify(notReady)).not.toContain(sandbox.apiKey);
    await waitFor('the key alert', () => alerts.bodies.some((body) => (body as { alert: string }).alert === 'api_key_rejected'), 10_000);
    expect(sync.exitCode).toBeNull();

    await replaceKeyFile(keyFile, SECOND_KEY);
    await waitFor('/readyz to turn 200 again', async () => (await getJson(`${origin}/readyz`)).status === 200);
    expect(sync.exitCode).toBeNull();

    sandbox.stopGenerator();
    const sink = join(dir, 'events.ndjson');
    await waitFor('every event in the sink', async () => (await idsInFile(sink)).length >= sandbox.eventIds().length, 30_000);
    await waitFor('the key alert to resolve', () => alerts.bodies.some((body) => (body as { state: string }).state === 'resolved'), 10_000);
    sync.kill('SIGTERM');
    const result = await sync.result;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`API key replaced from ${keyFile}: now the key ending ${keyHint(SECOND_KEY)}`);
    expect(result.stderr).not.toContain(SECOND_KEY);
    const ids = await idsInFile(sink);
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual(sandbox.eventIds().sort());
    expect(alerts.bodies.map((body) => `${(body as { alert: string }).alert} ${(body as { state: string }).state}`)).toEqual([
      'api_key_rejected firing',
      'api_key_rejected resolved',
    ]);
  }, 90_000);
});
