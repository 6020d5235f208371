/** The webhook commands as a user runs them: sync --forward, verify, subscriptions. */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryHeaders, PRESETS, verifyWebhook } from '@eventsync/core';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { CLI, cliEnv, runCli, tempDir } from './support/cli.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SECRET = 'whsec_' + Buffer.from('cli-webhooks-test-secret').toString('base64');

async function sandbox(): Promise<Sandbox> {
  const box = await startSandbox({ seed: 21, visibilityLagMs: 200, policies: false, backlog: { count: 300, spanMs: 600_000 } });
  cleanups.push(() => box.stop());
  return box;
}

/** Runs the CLI with `input` on stdin. */
function withStdin(args: string[], env: Record<string, string>, input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function capture(body: string, timestamp: number, secret = SECRET): Buffer {
  const headers = deliveryHeaders(PRESETS.integration.signature, { secrets: [secret], body, timestamp, id: 'del_capture', eventType: 'customer.created' });
  const lines = ['POST /webhooks HTTP/1.1', 'Content-Type: application/json', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

describe('eventsync sync --forward', () => {
  it('POSTs every event, signed as a delivery, to an existing handler', async () => {
    const box = await sandbox();
    const received = new Set<string>();
    let rejected = 0;
    const handler = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
          verifyWebhook({ settings: PRESETS.integration.signature, rawBody: body, headers: req.headers, secrets: SECRET, now: Date.now() });
        } catch {
          rejected++;
          return void res.writeHead(401).end();
        }
        received.add((JSON.parse(body.toString()) as { id: string }).id);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => handler.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => handler.close(resolve)));
    const { port } = handler.address() as { port: number };
    const dir = await tempDir('forward');
    const result = await runCli(
      ['sync', '--once', '--forward', `http://127.0.0.1:${port}/hook`, '--data-dir', dir, '--lookback', '1s', '--no-status', '--rate-limit', 'read:100000/1m'],
      { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey, EVENTSYNC_FORWARD_SECRET: SECRET },
    );
    expect(result.stderr).toMatch(/at-least-once/);
    expect(result.code, result.stderr).toBe(0);
    expect(rejected).toBe(0);
    expect(received).toEqual(new Set(box.eventIds()));
  });

  it('says where the forwarding secret goes when it is missing', async () => {
    const box = await sandbox();
    const result = await runCli(['sync', '--once', '--forward', 'http://127.0.0.1:9/hook', '--no-status'], { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('EVENTSYNC_FORWARD_SECRET');
  });
});

describe('eventsync verify', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'customer.created', created_at: '2026-04-03T09:15:00.000Z', data: {} });
  const now = Math.floor(Date.now() / 1000);

  it('accepts an untouched capture and names the delivery', async () => {
    const result = await withStdin(['verify', '--secret-env', 'HOOK_SECRET'], { HOOK_SECRET: SECRET }, capture(body, now));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid: timestamped signature in X-Webhook-Signature matches the secret');
    expect(result.stdout).toContain(`over ${Buffer.byteLength(body)} body bytes`);
  });

  it('explains a body changed after signing, without echoing the secret', async () => {
    const tampered = capture(body, now);
    tampered[tampered.length - 3] = '1'.charCodeAt(0);
    const result = await withStdin(['verify', '--secret-env', 'HOOK_SECRET'], { HOOK_SECRET: SECRET }, tampered);
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('invalid (no_match)');
    expect(result.stderr).toContain('re-serialised');
    expect(result.stderr).not.toContain(SECRET);
  });

  it('explains an old capture, and checks it as of --at', async () => {
    const old = capture(body, now - 3_600);
    const late = await withStdin(['verify', '--secret-env', 'HOOK_SECRET'], { HOOK_SECRET: SECRET }, old);
    expect(late.code).toBe(7);
    expect(late.stderr).toContain('timestamp_outside_window');
    const asOfThen = await withStdin(['verify', '--secret-env', 'HOOK_SECRET', '--at', String(now - 3_590)], { HOOK_SECRET: SECRET }, old);
    expect(asOfThen.code).toBe(0);
  });

  it('refuses an --at that is not a time, naming the flag', async () => {
    const result = await withStdin(['verify', '--secret-env', 'HOOK_SECRET', '--at', 'Infinity'], { HOOK_SECRET: SECRET }, capture(body, now - 3_600));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--at takes unix seconds; got "Infinity"');
  });

  it('accepts a capture signed with the previous secret during a rotation', async () => {
    const previous = 'whsec_' + Buffer.from('the-old-secret').toString('base64');
    const result = await withStdin(
      ['verify', '--secret-env', 'HOOK_SECRET', '--previous-secret-env', 'OLD_SECRET'],
      { HOOK_SECRET: SECRET, OLD_SECRET: previous },
      capture(body, now, previous),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('matches the previous secret');
  });
});

describe('eventsync subscriptions', () => {
  it('creates, lists, tests, audits, disables, enables and deletes', async () => {
    const box = await sandbox();
    const env = { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey };
    const created = await runCli(['subscriptions', 'create', 'http://127.0.0.1:9/nothing-here', '--events', 'invoice.paid', '--json'], env);
    expect(created.code).toBe(0);
    const subscription = JSON.parse(created.stdout) as { id: string; secret: string };
    expect(subscription.secret).toMatch(/^whsec_/);

    const listed = await runCli(['subscriptions', 'list'], env);
    expect(listed.stdout).toContain(`${subscription.id}  active`);
    expect(listed.stdout).not.toContain(subscription.secret);

    const tested = await runCli(['subscriptions', 'test', subscription.id], env);
    expect(tested.stdout).toContain('FAILED');
    const failures = await runCli(['subscriptions', 'failures', subscription.id], env);
    expect(failures.stdout).toMatch(/attempt 1\s+---/);

    expect((await runCli(['subscriptions', 'disable', subscription.id], env)).stdout).toContain(`${subscription.id}  disabled`);
    expect((await runCli(['subscriptions', 'enable', subscription.id], env)).stdout).toContain(`${subscription.id}  active`);
    expect((await runCli(['subscriptions', 'delete', subscription.id], env)).stdout).toContain(`deleted ${subscription.id}`);
    expect((await runCli(['subscriptions', 'delete', subscription.id], env)).stdout).toContain('was already gone');
  });

  it('rejects an unknown action with the list of actions', async () => {
    const box = await sandbox();
    const result = await runCli(['subscriptions', 'frobnicate'], { EVENTSYNC_BASE_URL: box.url, EVENTSYNC_API_KEY: box.apiKey });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('list, create, delete, enable, disable, test, failures or rotate');
  });
});
