/**
 * `eventsync subscriptions <action>`: one commander subcommand per action, each with its own
 * arguments, flags and help. Every action takes the connection flags and --json.
 */
import type { Command } from 'commander';
import {
  createSubscription,
  deleteSubscription,
  listFailures,
  listSubscriptions,
  setSubscriptionActive,
  testSubscription,
  type CreateFlags,
  type FailuresFlags,
  type SubscriptionFlags,
  type SubscriptionsIO,
} from './commands/subscriptions.js';
import { withConnection } from './connection-options.js';
import { UsageError } from './usage-error.js';

export function addSubscriptionsCommand(program: Command, io: SubscriptionsIO): void {
  const group = program.command('subscriptions').description('Manage webhook subscriptions');
  const subcommand = (name: string, description: string): Command => group.command(name).description(description);
  const onSubscription = (name: string, description: string): Command => subcommand(name, description).argument('<id>', 'the subscription id');
  // Added last, so each action's own flags come first in its help.
  const common = (command: Command): Command => withConnection(command.option('--json', 'NDJSON output'));

  common(subcommand('list', 'List the subscriptions (never their secrets)')).action((flags: SubscriptionFlags) => listSubscriptions(flags, io));
  common(
    subcommand('create', 'Create a subscription; prints its signing secret, which the API never shows again')
      .argument('<url>', 'where deliveries go: https://, or http:// to a loopback host')
      .option('--events <list>', 'comma-separated event types (default all: *)')
      .option('--description <text>', 'a note for whoever reads the list later')
      .option('--managed-by <tool>', 'zapier, n8n, make or eventsync; others then cannot change its URL or events'),
  ).action((url: string, flags: CreateFlags) => createSubscription(url, flags, io));
  common(onSubscription('delete', 'Delete a subscription (says so if it was already gone)')).action((id: string, flags: SubscriptionFlags) =>
    deleteSubscription(id, flags, io),
  );
  common(onSubscription('enable', 'Turn a subscription on again and clear its failure count (also after the circuit breaker)')).action(
    (id: string, flags: SubscriptionFlags) => setSubscriptionActive(id, true, flags, io),
  );
  common(onSubscription('disable', 'Turn a subscription off: nothing is delivered until it is enabled again')).action(
    (id: string, flags: SubscriptionFlags) => setSubscriptionActive(id, false, flags, io),
  );
  common(onSubscription('test', 'Send a webhook.test delivery now and say how the endpoint answered')).action((id: string, flags: SubscriptionFlags) =>
    testSubscription(id, flags, io),
  );
  common(onSubscription('failures', 'List failed delivery attempts, newest first').option('--limit <n>', 'how many to show', '20')).action(
    (id: string, flags: FailuresFlags) => listFailures(id, flags, io),
  );

  group.on('command:*', ([name]: string[]) => {
    throw new UsageError(`unknown action "${name}"; use ${inWords(group.commands.map((command) => command.name()))}`);
  });
}

/** `a, b or c`. */
function inWords(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
