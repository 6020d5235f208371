/**
 * A webhook go-live checklist (subscriptions, signatures, delivery semantics), item by item,
 * against the sandbox over real sockets: the subscription side through the client, the
 * handler side through the real receiver, intake and poller writing to an NDJSON file, and
 * the CLI's own subscription lifecycle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EventsyncClient,
  ManagedSubscriptionError,
  SyncEngine,
  SubscriptionHealth,
  WebhookIntake,
  signWebhook,
} from '@eventsync/core';
import { createNodeClient, NdjsonFileStorage, startWebhookReceiver, type NodeClient, type WebhookReceiver } from '@eventsync/core/node';
import { startSandbox, type Sandbox, type SandboxOptions } from '@eventsync/sandbox';
import { duplicates, idsInFile, startCli, tempDir } from './support/cli.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandboxWith(options: SandboxOptions = {}): Promise<{ sandbox: Sandbox; client: NodeClient }> {
  const sandbox = await startSandbox({ seed: 11, visibilityLagMs: 200, webhooks: { timeScale: 0.001 }, ...options });
  const client = createNodeClient({
    baseUrl: sandbox.url,
    apiKey: sandbox.apiKey,
    preset: sandbox.preset.name,
    policies: { read: 'read:100000/1m', write: 'write:100000/1m' },
  });
  cleanups.push(() => sandbox.stop(), () => client.close());
  return { sandbox, client };
}

/** The handler side as eventsync runs it: receiver -> intake -> poller's door -> NDJSON file. */
async function handler(client: EventsyncClient, secrets: () => string[], port = 0) {
  const dir = await tempDir('handler');
  const sinkPath = join(dir, 'events.ndjson');
  const poller = await SyncEngine.open({
    feed: client.events,
    storage: new NdjsonFileStorage({ path: sinkPath, stateDir: join(dir, 'state') }),
    now: Date.now,
    sleep: (ms) => sleep(ms),
    pollIntervalMs: 200,
    checkpoint: { lookbackMs: 1_000, settleMs: 100 },
  });
  const intake = new WebhookIntake({ poller, signature: client.config.signature, secrets, now: Date.now });
  let receiver: WebhookReceiver = await startWebhookReceiver({ intake, port });
  const actualPort = Number(new URL(receiver.url).port);
  cleanups.push(() => receiver.close());
  return {
    poller,
    intake,
    sinkPath,
    get url() {
      return receiver.url;
    },
    down: () => receiver.close(),
    up: async () => {
      receiver = await startWebhookReceiver({ intake, port: actualPort });
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('subscriptions (docs/api-contract.md, Webhook subscriptions)', () => {
  it('returns the secret once; list and get never show it', async () => {
    const { client } = await sandboxWith();
    const created = await client.subscriptions.create({ url: 'http://127.0.0.1:9/hook', events: ['*'] });
    expect(created.secret).toMatch(/^whsec_/);
    const listed = (await client.subscriptions.list()).data.find((subscription) => subscription.id === created.id)!;
    expect(listed).toMatchObject({ active: true, consecutive_failures: 0, auto_disabled_at: null });
    expect(listed).not.toHaveProperty('secret');
    expect(await client.subscriptions.get(created.id)).not.toHaveProperty('secret');
  });

  it('a managed subscription cannot be edited, but can be disabled and deleted', async () => {
    const { client } = await sandboxWith();
    const created = await client.subscriptions.create({ url: 'http://127.0.0.1:9/hook', events: ['*'], managedBy: 'zapier' });
    const error = await client.subscriptions.update(created.id, { url: 'http://127.0.0.1:10/other' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManagedSubscriptionError);
    expect((error as ManagedSubscriptionError).managedBy).toBe('zapier');
    expect((error as Error).message).toMatch(/managed by zapier: change it there/i);
    expect((await client.subscriptions.disable(created.id)).active).toBe(false);
    expect(await client.subscriptions.delete(created.id)).toEqual({ deleted: true });
    expect(await client.subscriptions.delete(created.id)).toEqual({ deleted: false });
  });

  it('records failed deliveries with their status in a paginated audit', async () => {
    const { sandbox, client } = await sandboxWith();
    const failing = http.createServer((_req, res) => res.writeHead(500).end('down'));
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => failing.close(resolve)));
    const { port } = failing.address() as { port: number };
    const created = await client.subscriptions.create({ url: `http://127.0.0.1:${port}/hook`, events: ['customer.created'] });
    for (let i = 0; i < 3; i++) sandbox.emit('customer.created');
    await until(async () => (await client.subscriptions.failures(created.id, { limit: 10 })).data.length >= 5);
    const first = await client.subscriptions.failures(created.id, { limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    expect(first.data[0]).toMatchObject({ http_status: 500 });
    const second = await client.subscriptions.failures(created.id, { cursor: first.next_cursor });
    expect(second.data.map((failure) => failure.delivery_id + failure.attempt)).not.toContain(first.data[0]!.delivery_id + first.data[0]!.attempt);
  });
});

describe('handler (docs/api-contract.md, Signatures and Deliveries)', () => {
  it('accepts a verified test delivery and rejects tampered bodies with 401, writing nothing for them', async () => {
    const { sandbox, client } = await sandboxWith();
    let secret = '';
    const stack = await handler(client, () => [secret]);
    const created = await client.subscriptions.create({ url: stack.url, events: ['*'] });
    secret = created.secret;
    expect(await client.subscriptions.test(created.id)).toMatchObject({ ok: true, http_status: 200 });

    sandbox.setWebhookFaults({ tamperRate: 1 });
    const event = sandbox.emit('invoice.paid');
    await until(() => sandbox.deliveries.some((delivery) => delivery.event_id === event.id && delivery.status === 401));
    expect(stack.intake.stats.rejectedSignatures).toBeGreaterThan(0);
    expect(await idsInFile(stack.sinkPath)).not.toContain(event.id);
  });

  it('rejects a delivery signed more than 5 minutes ago', async () => {
    const { client } = await sandboxWith({ preset: 'partner' });
    const secret = 'whsec_' + Buffer.from('handler-test').toString('base64');
    const stack = await handler(client, () => [secret]);
    const body = JSON.stringify({ id: 'evt_old', type: 'customer.created', created_at: new Date().toISOString(), data: {} });
    const timestamp = Math.floor(Date.now() / 1000) - 301;
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-VC-Timestamp': String(timestamp), 'X-VC-Signature': signWebhook('timestamped', { secret, body, timestamp, id: 'del_x' }) },
      body,
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toContain('in the past');
  });

  it('processes an event delivered twice only once', async () => {
    const { sandbox, client } = await sandboxWith({ webhooks: { timeScale: 0.001, faults: { duplicateRate: 1 } } });
    let secret = '';
    const stack = await handler(client, () => [secret]);
    secret = (await client.subscriptions.create({ url: stack.url, events: ['*'] })).secret;
    const events = Array.from({ length: 5 }, () => sandbox.emit('note.created'));
    await until(() => events.every((event) => sandbox.deliveries.filter((delivery) => delivery.event_id === event.id && delivery.ok).length >= 2));
    await until(async () => (await idsInFile(stack.sinkPath)).length >= 5);
    await sleep(100);
    const ids = await idsInFile(stack.sinkPath);
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual(events.map((event) => event.id).sort());
  });

  it('survives a brief outage of the handler through the retry schedule', async () => {
    const { sandbox, client } = await sandboxWith();
    let secret = '';
    const stack = await handler(client, () => [secret]);
    secret = (await client.subscriptions.create({ url: stack.url, events: ['*'] })).secret;
    await stack.down();
    const event = sandbox.emit('payment.received');
    await until(() => sandbox.deliveries.some((delivery) => delivery.event_id === event.id && !delivery.ok));
    await stack.up();
    // The counter moves once the write is durable, a moment after the bytes reach the file.
    await until(() => stack.poller.progress.byChannel.webhook === 1);
    expect(await idsInFile(stack.sinkPath)).toContain(event.id);
    const redelivery = sandbox.deliveries.find((delivery) => delivery.event_id === event.id && delivery.ok)!;
    expect(redelivery.attempt).toBeGreaterThan(1);
    expect(stack.poller.progress.byChannel).toMatchObject({ webhook: 1, poll: 0 });
  });

  it('after 20 failures the circuit breaker disables the subscription; the health watch re-enables it and polling fills the gap', async () => {
    const { sandbox, client } = await sandboxWith();
    let secret = 'whsec_' + Buffer.from('not the subscription secret').toString('base64');
    const stack = await handler(client, () => [secret]);
    const created = await client.subscriptions.create({ url: stack.url, events: ['*'] });
    const during = Array.from({ length: 25 }, () => sandbox.emit('appointment.scheduled'));
    await until(async () => (await client.subscriptions.get(created.id)).active === false);
    const disabled = await client.subscriptions.get(created.id);
    expect(disabled.auto_disabled_at).not.toBeNull();
    expect(disabled.consecutive_failures).toBeGreaterThanOrEqual(20);

    secret = created.secret; // the handler is fixed
    const alerts: string[] = [];
    const health = new SubscriptionHealth({
      subscriptions: client.subscriptions,
      subscriptionId: () => created.id,
      onGap: () => stack.poller.wake(),
      onAlert: (message) => alerts.push(message),
    });
    expect((await health.check()).state).toBe('re-enabled');
    expect(alerts[0]).toContain('circuit breaker');
    const after = Array.from({ length: 5 }, () => sandbox.emit('appointment.completed'));
    const draining = stack.poller.drainUntil(Date.now());
    await draining;
    await until(async () => (await idsInFile(stack.sinkPath)).length >= 30);
    const ids = await idsInFile(stack.sinkPath);
    expect(duplicates(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set([...during, ...after].map((event) => event.id)));
    expect((await client.subscriptions.get(created.id))).toMatchObject({ active: true, consecutive_failures: 0, auto_disabled_at: null });
  });

  it('rotates secrets with no gap: new subscription, accept both, delete the old, drop the old secret', async () => {
    const { sandbox, client } = await sandboxWith();
    let secrets: string[] = [];
    const stack = await handler(client, () => secrets);
    const old = await client.subscriptions.create({ url: stack.url, events: ['*'] });
    secrets = [old.secret];
    sandbox.startGenerator({ ratePerSecond: 200 });
    await sleep(300);
    const replacement = await client.subscriptions.create({ url: stack.url, events: ['*'] });
    secrets = [replacement.secret, old.secret];
    await sleep(300);
    await client.subscriptions.delete(old.id);
    await sleep(200);
    secrets = [replacement.secret];
    await sleep(300);
    sandbox.stopGenerator();
    // Deliveries still in flight settle; a loaded machine may need more than a moment.
    await until(async () => (await idsInFile(stack.sinkPath)).length >= sandbox.eventIds().length);
    await sleep(200);
    // No gap: every event arrived, once. The new subscription may deliver before its create
    // call has returned the secret to the handler, and on a loaded machine a delivery the old
    // subscription sent before its delete may arrive after its secret was dropped. Either 401
    // costs nothing: during the overlap both subscriptions deliver the same events.
    const ids = await idsInFile(stack.sinkPath);
    expect(duplicates(ids)).toEqual([]);
    expect(ids.length).toBeGreaterThan(100);
    expect(new Set(ids)).toEqual(new Set(sandbox.eventIds()));
    const deliveredBy = (id: string) => new Set(sandbox.deliveries.filter((d) => d.subscription_id === id && d.ok).map((d) => d.event_id));
    const deliveredByOld = deliveredBy(old.id);
    const deliveredByReplacement = deliveredBy(replacement.id);
    for (const refused of sandbox.deliveries.filter((delivery) => delivery.status === 401)) {
      const other = refused.subscription_id === replacement.id ? deliveredByOld : deliveredByReplacement;
      expect(other.has(refused.event_id)).toBe(true);
    }
  });
});

describe('eventsync sync --listen', () => {
  it('creates exactly one managed subscription, reuses it after a crash, and deletes it on SIGTERM', async () => {
    // No rate limit: the test's own polling of the subscriptions below would otherwise spend the
    // key's 60 reads a minute on a slow machine, and the second sync would rightly wait out a 429.
    const { sandbox, client } = await sandboxWith({ policies: false });
    const dir = await tempDir('listen');
    const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };
    const args = ['sync', '--listen', '0', '--data-dir', dir, '--no-status', '--rate-limit', 'read:100000/1m', '--lookback', '1s'];
    const subscriptions = async () => (await client.subscriptions.list()).data;

    const first = startCli(args, env);
    const savedFile = join(dir, 'state', 'subscription.json');
    // The CLI saves the id and secret right after the API answers the create.
    await until(async () => (await subscriptions()).length === 1 && existsSync(savedFile));
    const [created] = await subscriptions();
    expect(created).toMatchObject({ managed_by: 'eventsync', events: ['*'], active: true });
    expect((await stat(savedFile)).mode & 0o777).toBe(0o600);
    first.kill('SIGKILL');
    await first.result;

    // Port 0 picks a new port, so the subscription left behind points nowhere: it is replaced, not orphaned.
    const second = startCli(args, env);
    await until(async () => (await subscriptions()).some((subscription) => subscription.id !== created!.id));
    expect(await subscriptions()).toHaveLength(1);
    second.kill('SIGTERM');
    const result = await second.result;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('deleted webhook subscription');
    expect(await subscriptions()).toEqual([]);
  });
});

describe('secrets stay out of the repository', () => {
  it('has no real-looking signing secret in any file, only the public Standard Webhooks vector', () => {
    const PUBLIC_VECTOR = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    let output = '';
    try {
      // --untracked: a secret pasted into a new file is caught before it is ever committed.
      output = execFileSync('git', ['grep', '--untracked', '-nE', 'whsec_[A-Za-z0-9+/=]{16,}', '--', '.', ':!node_modules', ':!*.ndjson'], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        encoding: 'utf8',
      });
    } catch (error) {
      // git grep exits 1 when nothing matches.
      if ((error as { status?: number }).status !== 1) throw error;
    }
    const offending = output
      .split('\n')
      .filter((line) => line !== '')
      .filter((line) => line.replaceAll(PUBLIC_VECTOR, '').match(/whsec_[A-Za-z0-9+/=]{16,}/));
    expect(offending).toEqual([]);
  });
});
