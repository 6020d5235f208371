/** The `eventsync` command line: options, help texts and the wiring to each command. */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_PRESET, PRESET_NAMES } from '@eventsync/core';
import { runEventsList, type EventsListFlags } from './commands/events-list.js';
import { runSandbox, type SandboxFlags } from './commands/sandbox.js';
import { runSubscriptions, type SubscriptionFlags } from './commands/subscriptions.js';
import { runSync, type SyncFlags } from './commands/sync.js';
import { runVerify, type VerifyFlags } from './commands/verify.js';
import { describeError, EXIT, exitCodeFor } from './exit-codes.js';

export interface CliIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stopRequested: Promise<void>;
}

const CONNECTION_HELP = `
Connection (flags win over the environment):
  EVENTSYNC_BASE_URL   origin of the API, e.g. https://api.example.com
  EVENTSYNC_API_KEY    the API key (prefer this to --api-key, which other users can see in ps)
  EVENTSYNC_PRESET     API variant: ${PRESET_NAMES.join(', ')} (default ${DEFAULT_PRESET})
  EVENTSYNC_BASE_PATH  override the preset's base path, e.g. /api/v1/partner
  EVENTSYNC_RATE_LIMIT the plan's budget when above the preset's, e.g. read:600/1m
  EVENTSYNC_REDIS_URL  Redis that processes sharing a key use for one rate-limit budget`;

function connectionOptions(command: Command): Command {
  return command
    .option('--base-url <url>', 'API origin (default $EVENTSYNC_BASE_URL)')
    .option('--api-key <key>', 'API key (default $EVENTSYNC_API_KEY)')
    .addOption(new Option('--preset <name>', 'API variant (default $EVENTSYNC_PRESET or integration)').choices([...PRESET_NAMES]))
    .option('--rate-limit <policies>', "your plan's budget if above the preset's, e.g. read:600/1m,write:60/1m (default $EVENTSYNC_RATE_LIMIT)")
    .option('--shared-limiter <redis-url>', 'share the rate-limit budget with every process on this key through Redis (default $EVENTSYNC_REDIS_URL)');
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('eventsync')
    .description(
      "Keep a system in sync with an integration API's events: webhooks first, polling behind them, every event written exactly once.",
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride();

  connectionOptions(
    program
      .command('sync')
      .description('Sync events into an NDJSON file, SQLite or Postgres (or stdout). With no API configured, syncs from an embedded sandbox.')
      .option('--sink <url>', 'where events go: file:<path>, sqlite:<path>, postgres://user:pass@host/db, or - for stdout (default file:<data-dir>/events.ndjson)')
      .option('--out <file>', 'short for --sink file:<file>')
      .option('--stdout', 'short for --sink -: events on stdout (at-least-once: a crash may repeat up to one page)')
      .option('--source <name>', "database sinks: the rows' source column (default <tenant>@<api host>)")
      .option('--table-prefix <prefix>', 'database sinks: table name prefix (default eventsync_)')
      .option('--schema <name>', 'Postgres: the schema for the tables (default public)')
      .option('--forward <url>', 'POST each event, signed like a delivery (secret in $EVENTSYNC_FORWARD_SECRET), to an existing webhook handler')
      .option('--data-dir <dir>', 'where the file and state go by default', './eventsync-data')
      .option('--state-dir <dir>', 'checkpoint directory (default <data-dir>/state)')
      .option('--types <list>', 'comma-separated event types (default all)')
      .option('--since <time>', 'first run only: start at an ISO time or a duration ago (2h, 7d); default the oldest kept event')
      .option('--once', 'drain every event created before now, then exit 0')
      .option('--poll-interval <duration>', 'time from one poll to the next once caught up (default 2s; 15s with --listen)')
      .option('--listen <port>', 'receive webhooks on this port (0 picks one): creates a managed subscription, deleted on Ctrl-C')
      .option('--public-url <url>', 'the URL the API should deliver to, when not http://127.0.0.1:<port>/webhooks (a tunnel, a proxy)')
      .option('--health-interval <duration>', 'how often to check that the subscription is still active', '30s')
      .option('--lookback <duration>', 'how late events may appear; at least the API\'s 10 s visibility lag (default 15s)')
      .option('--page-size <n>', 'events per request, 1-100', '100')
      .option('--budget-share <share>', "the share of the key's rate limit the sync may use; the rest stays for the key's other systems", '0.75')
      .option('--no-status', 'no status line / progress lines on stderr'),
  )
    .addHelpText('after', CONNECTION_HELP)
    .action((flags: SyncFlags) => runSync(flags, io));

  const events = program.command('events').description('Read the events feed');
  connectionOptions(
    events
      .command('list')
      .description('List events, newest first by default')
      .option('--since <time>', 'ISO time or duration ago (2h)')
      .option('--until <time>', 'ISO time or duration ago, exclusive')
      .option('--types <list>', 'comma-separated event types')
      .option('--limit <n>', 'how many events to show', '20')
      .option('--order <order>', 'asc or desc', 'desc')
      .option('--json', 'NDJSON instead of a table'),
  )
    .addHelpText('after', CONNECTION_HELP)
    .action((flags: EventsListFlags) => runEventsList(flags, io));

  connectionOptions(
    program
      .command('subscriptions')
      .description('Manage webhook subscriptions: list | create <url> | delete <id> | enable <id> | disable <id> | test <id> | failures <id>')
      .argument('<action>', 'list, create, delete, enable, disable, test or failures')
      .argument('[args...]', 'the URL (create) or the subscription id')
      .option('--events <list>', 'create: comma-separated event types (default all: *)')
      .option('--description <text>', 'create: a note for whoever reads the list later')
      .option('--managed-by <tool>', 'create: zapier, n8n, make or eventsync; others then cannot change its URL or events')
      .option('--limit <n>', 'failures: how many to show', '20')
      .option('--json', 'NDJSON output'),
  )
    .addHelpText('after', CONNECTION_HELP)
    .action((action: string, args: string[], flags: SubscriptionFlags) => runSubscriptions(action, args, flags, io));

  program
    .command('verify')
    .description('Check a captured delivery (headers, blank line, body) read from stdin against a signing secret')
    .requiredOption('--secret-env <name>', 'environment variable holding the signing secret')
    .option('--previous-secret-env <name>', 'variable holding the old secret during a rotation')
    .addOption(new Option('--preset <name>', 'API variant: its scheme and header names').choices([...PRESET_NAMES]))
    .addOption(new Option('--scheme <scheme>', 'override the preset\'s scheme').choices(['timestamped', 'body', 'standard-webhooks']))
    .option('--at <unix-seconds>', 'judge the timestamp as of then (a capture is checked long after it arrived)')
    .action((flags: VerifyFlags) => runVerify(flags, io));

  program
    .command('sandbox')
    .description('Run the API locally: events feed, records, webhooks, rate limits; prints its URL and key')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4010')
    .addOption(new Option('--preset <name>', 'API variant to imitate').choices([...PRESET_NAMES]).default(DEFAULT_PRESET))
    .option('--rate <n>', 'events generated per second', '5')
    .option('--backlog <n>', 'events already in the feed at start', '1000')
    .option('--lag <duration>', 'visibility lag (default 10s, as the contract says)')
    .option('--types <list>', 'only generate these event types')
    .option('--seed <n>', 'seed for deterministic ids and data')
    .option('--unlimited', 'no rate limits')
    .action((flags: SandboxFlags) => runSandbox(flags, io));

  return program;
}

/** Runs the command line and returns the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.stderr.write(`eventsync: ${describeError(error, io.env.EVENTSYNC_DEBUG === '1')}\n`);
    return exitCodeFor(error);
  }
}
