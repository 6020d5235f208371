/** `eventsync replay` from the NDJSON sink a sync wrote, to a handler that verifies every delivery. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@eventsync/core';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { idsInFile, runCli, tempDir } from './support/cli.js';
import { verifyingHandler, type VerifyingHandler } from './support/verifying-handler.js';

const SECRET = 'whsec_' + Buffer.from('replay-test-secret').toString('base64');
const EVENTS = 10_000;

let sandbox: Sandbox;
let dir: string;
let sink: string;
const checkpoint = (): string => join(dir, 'state', 'checkpoint.json');

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 71, visibilityLagMs: 200, policies: false, backlog: { count: EVENTS, spanMs: 6 * 3_600_000 } });
  dir = await tempDir('ops-replay');
  sink = join(dir, 'events.ndjson');
  const synced = await runCli(['sync', '--once', '--lookback', '1s', '--no-status', '--rate-limit', 'read:100000/1m', '--data-dir', dir], {
    EVENTSYNC_BASE_URL: sandbox.url,
    EVENTSYNC_API_KEY: sandbox.apiKey,
  });
  expect(synced.code, synced.stderr).toBe(0);
}, 120_000);

afterAll(() => sandbox.stop());

async function replay(handler: VerifyingHandler, ...args: string[]) {
  return runCli(['replay', '--forward', handler.url, '--data-dir', dir, ...args], { EVENTSYNC_FORWARD_SECRET: SECRET });
}

describe('eventsync replay', () => {
  it('re-sends 10,000 events from the sink: every event once, in the order stored, signed; the checkpoint untouched', async () => {
    const before = { text: await readFile(checkpoint(), 'utf8'), mtimeMs: (await stat(checkpoint())).mtimeMs };
    const stored = await idsInFile(sink);
    expect(stored).toHaveLength(EVENTS);
    const handler = await verifyingHandler(SECRET);
    try {
      const result = await replay(handler, '--since', '7d');
      expect(result.code, result.stderr).toBe(0);
      expect(handler.rejected).toBe(0);
      expect(handler.received.map((event) => event.id)).toEqual(stored);
      expect(handler.deliveryIds).toEqual(stored.map((id) => `rpl_${id}`));
      expect(result.stderr).toMatch(/replayed 10,000 events \(created .* to now, all types\) from .*events\.ndjson to http:\/\/127\.0\.0\.1:\d+\/hook in [\d.]+ s; the sync's checkpoint was not touched/);
    } finally {
      await handler.close();
    }
    expect(await readFile(checkpoint(), 'utf8')).toBe(before.text);
    expect((await stat(checkpoint())).mtimeMs).toBe(before.mtimeMs);
  }, 120_000);

  it('sends only what --since, --until and --types select', async () => {
    const events = (await readFile(sink, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as EventEnvelope);
    const since = events[2_000]!.created_at;
    const until = events[6_000]!.created_at;
    const expected = events.filter((event) => event.created_at >= since && event.created_at < until && event.type === 'invoice.paid').map((event) => event.id);
    expect(expected.length).toBeGreaterThan(0);
    const handler = await verifyingHandler(SECRET);
    try {
      const result = await replay(handler, '--since', since, '--until', until, '--types', 'invoice.paid', '--no-progress');
      expect(result.code, result.stderr).toBe(0);
      expect(handler.received.map((event) => event.id)).toEqual(expected);
    } finally {
      await handler.close();
    }
  }, 60_000);

  it('refuses to run without the signing secret, naming where it goes', async () => {
    const result = await runCli(['replay', '--since', '1h', '--forward', 'http://127.0.0.1:9/hook', '--data-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('EVENTSYNC_FORWARD_SECRET');
  });

  it('an events file that is not there: one line naming it and the flag, exit 8 as for a database', async () => {
    const missing = join(dir, 'elsewhere.ndjson');
    const result = await runCli(['replay', '--since', '1h', '--forward', 'http://127.0.0.1:9/hook', '--out', missing], { EVENTSYNC_FORWARD_SECRET: SECRET });
    expect(result.code).toBe(8);
    expect(result.stderr.trim()).toBe(`eventsync: there is no events file at ${missing}; name the sync's file with --out <file> (or --sink file:<path>, or --data-dir)`);
  });
});
