/** `eventsync subscriptions list|create|delete|enable|disable|test|failures`. */
import { MANAGED_BY, type ManagedBy, type Subscription } from '@eventsync/core';
import { createCliClient } from '../cli-client.js';
import { requireApi, resolveConnection, type ConnectionFlags } from '../connection.js';
import { UsageError } from '../usage-error.js';

export interface SubscriptionFlags extends ConnectionFlags {
  readonly json?: boolean;
  readonly events?: string;
  readonly description?: string;
  readonly managedBy?: string;
  readonly limit?: string;
}

interface IO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}


export async function runSubscriptions(action: string, args: readonly string[], flags: SubscriptionFlags, io: IO): Promise<void> {
  const client = createCliClient(requireApi(resolveConnection(flags, io.env)), flags, io);
  const print = (value: unknown, line: string): void => void io.stdout.write(flags.json ? `${JSON.stringify(value)}\n` : `${line}\n`);
  try {
    switch (action) {
      case 'list': {
        let shown = 0;
        for await (const subscription of client.subscriptions.iterate()) {
          print(subscription, describe(subscription));
          shown++;
        }
        if (shown === 0 && !flags.json) io.stdout.write('no subscriptions\n');
        return;
      }
      case 'create': {
        const url = one(args, 'create <url>');
        if (flags.managedBy && !(MANAGED_BY as readonly string[]).includes(flags.managedBy)) {
          throw new UsageError(`--managed-by is one of ${MANAGED_BY.join(', ')}; got "${flags.managedBy}"`);
        }
        const created = await client.subscriptions.create({
          url,
          events: flags.events ? flags.events.split(',').map((type) => type.trim()) : ['*'],
          ...(flags.description ? { description: flags.description } : {}),
          ...(flags.managedBy ? { managedBy: flags.managedBy as ManagedBy } : {}),
        });
        print(created, `${describe(created)}\nsigning secret: ${created.secret}\nStore it now (a secret manager, an environment variable): the API never shows it again.`);
        return;
      }
      case 'delete': {
        const id = one(args, 'delete <id>');
        const { deleted } = await client.subscriptions.delete(id);
        print({ id, deleted }, deleted ? `deleted ${id}` : `${id} was already gone`);
        return;
      }
      case 'enable':
      case 'disable': {
        const id = one(args, `${action} <id>`);
        const updated = action === 'enable' ? await client.subscriptions.enable(id) : await client.subscriptions.disable(id);
        print(updated, describe(updated));
        return;
      }
      case 'test': {
        const id = one(args, 'test <id>');
        const result = await client.subscriptions.test(id);
        print(result, `${result.ok ? 'delivered' : 'FAILED'}: ${result.delivery_id} answered ${result.http_status ?? 'nothing'} in ${result.duration_ms} ms`);
        return;
      }
      case 'failures': {
        const id = one(args, 'failures <id>');
        const limit = Number(flags.limit ?? 20);
        let shown = 0;
        for await (const failure of client.subscriptions.iterateFailures(id)) {
          print(failure, `${failure.attempted_at}  ${failure.delivery_id} attempt ${failure.attempt}  ${failure.http_status ?? '---'}  ${failure.event_id}  ${failure.error}`);
          if (++shown >= limit) break;
        }
        if (shown === 0 && !flags.json) io.stdout.write('no failed deliveries\n');
        return;
      }
      default:
        throw new UsageError(`unknown action "${action}"; use list, create, delete, enable, disable, test or failures`);
    }
  } finally {
    client.close();
  }
}

function one(args: readonly string[], usage: string): string {
  if (args.length !== 1 || !args[0]) throw new UsageError(`usage: eventsync subscriptions ${usage}`);
  return args[0];
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
