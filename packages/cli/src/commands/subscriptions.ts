/** `eventsync subscriptions list|create|delete|enable|disable|test|failures`: what each action does and prints. */
import { MANAGED_BY, type ManagedBy, type Subscription } from '@eventsync/core';
import type { NodeClient } from '@eventsync/core/node';
import { createCliClient } from '../cli-client.js';
import { requireApi, resolveConnection, type ConnectionFlags } from '../connection.js';
import { UsageError } from '../usage-error.js';

export interface SubscriptionFlags extends ConnectionFlags {
  readonly json?: boolean;
}

export interface CreateFlags extends SubscriptionFlags {
  readonly events?: string;
  readonly description?: string;
  readonly managedBy?: string;
}

export interface FailuresFlags extends SubscriptionFlags {
  readonly limit?: string;
}

export interface SubscriptionsIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Writes one result: its JSON line with --json, otherwise the line for people. */
type Print = (value: unknown, line: string) => void;

export function listSubscriptions(flags: SubscriptionFlags, io: SubscriptionsIO): Promise<void> {
  return withClient(flags, io, async (client, print) => {
    let shown = 0;
    for await (const subscription of client.subscriptions.iterate()) {
      print(subscription, describe(subscription));
      shown++;
    }
    if (shown === 0 && !flags.json) io.stdout.write('no subscriptions\n');
  });
}

export function createSubscription(url: string, flags: CreateFlags, io: SubscriptionsIO): Promise<void> {
  const { managedBy } = flags;
  return withClient(flags, io, async (client, print) => {
    required(url, 'create <url>');
    if (managedBy && !(MANAGED_BY as readonly string[]).includes(managedBy)) {
      throw new UsageError(`--managed-by is one of ${MANAGED_BY.join(', ')}; got "${managedBy}"`);
    }
    const created = await client.subscriptions.create({
      url,
      events: flags.events ? flags.events.split(',').map((type) => type.trim()) : ['*'],
      ...(flags.description ? { description: flags.description } : {}),
      ...(managedBy ? { managedBy: managedBy as ManagedBy } : {}),
    });
    print(created, `${describe(created)}\nsigning secret: ${created.secret}\nStore it now (a secret manager, an environment variable): the API never shows it again.`);
  });
}

export function deleteSubscription(id: string, flags: SubscriptionFlags, io: SubscriptionsIO): Promise<void> {
  return withClient(flags, io, async (client, print) => {
    required(id, 'delete <id>');
    const { deleted } = await client.subscriptions.delete(id);
    print({ id, deleted }, deleted ? `deleted ${id}` : `${id} was already gone`);
  });
}

/** `enable` and `disable`: the subscription as it stands afterwards. */
export function setSubscriptionActive(id: string, active: boolean, flags: SubscriptionFlags, io: SubscriptionsIO): Promise<void> {
  return withClient(flags, io, async (client, print) => {
    required(id, `${active ? 'enable' : 'disable'} <id>`);
    const updated = active ? await client.subscriptions.enable(id) : await client.subscriptions.disable(id);
    print(updated, describe(updated));
  });
}

export function testSubscription(id: string, flags: SubscriptionFlags, io: SubscriptionsIO): Promise<void> {
  return withClient(flags, io, async (client, print) => {
    required(id, 'test <id>');
    const result = await client.subscriptions.test(id);
    print(result, `${result.ok ? 'delivered' : 'FAILED'}: ${result.delivery_id} answered ${result.http_status ?? 'nothing'} in ${result.duration_ms} ms`);
  });
}

export function listFailures(id: string, flags: FailuresFlags, io: SubscriptionsIO): Promise<void> {
  const limit = Number(flags.limit ?? 20);
  return withClient(flags, io, async (client, print) => {
    required(id, 'failures <id>');
    let shown = 0;
    for await (const failure of client.subscriptions.iterateFailures(id)) {
      print(failure, `${failure.attempted_at}  ${failure.delivery_id} attempt ${failure.attempt}  ${failure.http_status ?? '---'}  ${failure.event_id}  ${failure.error}`);
      if (++shown >= limit) break;
    }
    if (shown === 0 && !flags.json) io.stdout.write('no failed deliveries\n');
  });
}

/** Runs `action` with a client for the configured API, closed afterwards whatever happens. */
async function withClient(flags: SubscriptionFlags, io: SubscriptionsIO, action: (client: NodeClient, print: Print) => Promise<void>): Promise<void> {
  const client = createCliClient(requireApi(resolveConnection(flags, io.env)), flags, io);
  const print: Print = (value, line) => void io.stdout.write(flags.json ? `${JSON.stringify(value)}\n` : `${line}\n`);
  try {
    await action(client, print);
  } finally {
    client.close();
  }
}

/** An empty argument ('') gets past commander's check for a missing one. */
function required(value: string, usage: string): void {
  if (!value) throw new UsageError(`usage: eventsync subscriptions ${usage}`);
}

function describe(subscription: Subscription): string {
  const state = subscription.active
    ? 'active'
    : subscription.auto_disabled_at
      ? `DISABLED by the circuit breaker at ${subscription.auto_disabled_at} (${subscription.consecutive_failures} failures in a row)`
      : 'disabled';
  const owner = subscription.managed_by ? `, managed by ${subscription.managed_by}` : '';
  return `${subscription.id}  ${state}${owner}  ${subscription.url}  [${subscription.events.join(',')}]`;
}
