/**
 * The first Ctrl-C prints what the running command does before it exits: the sync saves the
 * page in hand, the sandbox just stops. A command with nothing to save ends at once.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '@eventsync/sandbox';
import { startCli, tempDir } from './support/cli.js';
import { waitFor } from './support/ops.js';

/** Starts the CLI, waits for `ready` on stdout or stderr, sends SIGINT once and returns the result. */
async function interrupt(args: string[], ready: string, env: Record<string, string> = {}) {
  const child = startCli(args, env);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (const deadline = Date.now() + 10_000; !output.includes(ready) && Date.now() < deadline; ) await sleep(20);
  expect(output).toContain(ready);
  child.kill('SIGINT');
  return child.result;
}

describe('the first Ctrl-C', () => {
  it('eventsync sandbox says it stops the sandbox, not the sync, and exits 0', async () => {
    const result = await interrupt(['sandbox', '--port', '0', '--backlog', '0', '--rate', '0'], 'Ctrl-C stops it.');
    expect(result.stderr).toContain('eventsync: stopping the sandbox');
    expect(result.stderr).not.toContain('page in hand');
    expect(result.code).toBe(0);
  });

  it('eventsync sync says it saves the page in hand, and exits 0', async () => {
    const sandbox = await startSandbox({ policies: false, backlog: { count: 10, spanMs: 60_000 } });
    try {
      const dir = await tempDir('stop-notice');
      const result = await interrupt(['sync', '--data-dir', dir, '--no-status'], 'eventsync: syncing', {
        EVENTSYNC_BASE_URL: sandbox.url,
        EVENTSYNC_API_KEY: sandbox.apiKey,
      });
      expect(result.stderr).toContain('eventsync: stopping after the page in hand is saved');
      expect(result.code).toBe(0);
    } finally {
      await sandbox.stop();
    }
  });

  it('ends a command with nothing to save at once, exit 130', async () => {
    // An API that accepts connections and never answers: `events list` waits on it.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const child = startCli(['events', 'list'], { EVENTSYNC_BASE_URL: url, EVENTSYNC_API_KEY: 'wlcro_test_silent' });
      // Once its request has reached the API the command is waiting on it (a fixed pause raced start-up on a loaded machine).
      await waitFor('the request to reach the silent API', () => sockets.size > 0);
      const sentAt = Date.now();
      child.kill('SIGINT');
      const result = await child.result;
      expect(result.code).toBe(130);
      expect(result.stderr).not.toContain('stopping');
      expect(Date.now() - sentAt).toBeLessThan(1_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
