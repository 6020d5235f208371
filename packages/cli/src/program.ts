/** The `eventsync` command line: options, help texts and the wiring to each command. */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_PRESET, PRESET_NAMES, SIGNATURE_SCHEMES } from '@eventsync/core';
import { runEventsList, type EventsListFlags } from './commands/events-list.js';
import { runReplay, type ReplayFlags } from './commands/replay.js';
import { runRun, type RunFlags } from './commands/run.js';
import { runSandbox, type SandboxFlags } from './commands/sandbox.js';
import { runStatus, type StatusFlags } from './commands/status.js';
import { DEFAULT_SANDBOX_SINK } from './sandbox-config.js';
import { addSubscriptionsRotate } from './commands/subscriptions-rotate.js';
import { runSync, type SyncFlags } from './commands/sync.js';
import { runVerify, type VerifyFlags } from './commands/verify.js';
import { withConnection } from './connection-options.js';
import { describeError, EXIT, exitCodeFor } from './exit-codes.js';
import { addSubscriptionsCommand } from './subscriptions-command.js';
import { VERSION } from './version.js';

export interface CliIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /**
   * Resolves at the first Ctrl-C or SIGTERM, which then prints `notice`: what the command does
   * before it exits. Until a command asks, a signal ends the process at once (exit 130).
   */
  readonly stopRequested: (notice: string) => Promise<void>;
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('eventsync')
    .description(
      "Keep a system in sync with an integration API's events: webhooks first, polling behind them, every event written exactly once.",
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride();
  addSyncCommand(program, io);
  addRunCommand(program, io);
  addStatusCommand(program, io);
  addEventsCommand(program, io);
  addSubscriptionsCommand(program, io);
  addSubscriptionsRotate(program, io, withConnection);
  addReplayCommand(program, io);
  addVerifyCommand(program, io);
  addSandboxCommand(program, io);
  return program;
}

function addSyncCommand(program: Command, io: CliIO): void {
  withConnection(
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
      .option('--no-status', 'no status line / progress lines on stderr')
      .option('--metrics-port <port>', 'serve /healthz, /readyz, /metrics and a status page at / on this port (0 picks one; default $EVENTSYNC_METRICS_PORT)')
      .option('--metrics-host <host>', 'the address for --metrics-port (default 127.0.0.1: this machine only)')
      .option('--alert-url <url>', 'POST a JSON alert here when something needs a person (a Slack-style incoming webhook works), and when it clears')
      .option('--alert-lag <duration>', 'alert when the checkpoint falls this far behind, once caught up', '10m')
      .option('--rotate-secret-every <duration>', 'with --listen: rotate the webhook signing secret this often (SIGHUP rotates it at once)'),
  ).action((flags: SyncFlags) => runSync(flags, io));
}

function addRunCommand(program: Command, io: CliIO): void {
  program
    .command('run')
    .description('Sync every connection of a config file in one process; with --coordinator, share them with other processes on any machine')
    .requiredOption('--config <file>', 'eventsync.config.yaml (or .json): the connections and their defaults (docs/config-file.md)')
    .option('--coordinator <url>', "postgres://...: share the connections with every worker using this database (it must hold the connections' sinks)")
    .option('--lease-ttl <duration>', 'with --coordinator: a worker that stops renewing its leases loses them after this (default 15s; 1s to 1h)')
    .option('--concurrency <n>', 'requests on the wire at once, across connections; they take turns', '32')
    .option('--progress-every <duration>', 'how often to log a progress line', '30s')
    .action((flags: RunFlags) => runRun(flags, io));
}

function addStatusCommand(program: Command, io: CliIO): void {
  program
    .command('status')
    .description("A table of a config file's connections: owner, lag, newest event, last error. Reads only; safe beside running workers")
    .requiredOption('--config <file>', 'the eventsync.config.yaml the workers run')
    .option('--coordinator <url>', 'postgres://...: the workers\' coordinator, for owners and the errors they reported')
    .option('--json', 'one JSON object per connection instead of a table')
    .action((flags: StatusFlags) => runStatus(flags, io));
}

function addReplayCommand(program: Command, io: CliIO): void {
  program
    .command('replay')
    .description("Send events already in the sink to a handler again, signed as deliveries; the sync's checkpoint is not touched")
    .requiredOption('--since <time>', 'events created at or after this ISO time or duration ago (2h, 7d)')
    .option('--until <time>', 'and before this one (default: all)')
    .option('--types <list>', 'comma-separated event types (default all)')
    .requiredOption('--forward <url>', 'the handler; the secret it verifies with goes in $EVENTSYNC_FORWARD_SECRET')
    .option('--sink <url>', "the sync's sink: file:<path> (default file:<data-dir>/events.ndjson), sqlite:<path> or postgres://...")
    .option('--out <file>', 'short for --sink file:<file>')
    .option('--data-dir <dir>', "the sync's data directory", './eventsync-data')
    .option('--source <name>', "database sinks: the rows' source to replay (default: the only one in the table)")
    .option('--table-prefix <prefix>', 'database sinks: table name prefix (default eventsync_)')
    .option('--schema <name>', 'Postgres: the schema of the tables (default public)')
    .addOption(new Option('--preset <name>', 'API variant whose delivery signature to use (default $EVENTSYNC_PRESET or integration)').choices([...PRESET_NAMES]))
    .option('--no-progress', 'no progress bar on stderr')
    .action((flags: ReplayFlags) => runReplay(flags, io));
}

function addEventsCommand(program: Command, io: CliIO): void {
  const events = program.command('events').description('Read the events feed');
  withConnection(
    events
      .command('list')
      .description('List events, newest first by default')
      .option('--since <time>', 'ISO time or duration ago (2h)')
      .option('--until <time>', 'ISO time or duration ago, exclusive')
      .option('--types <list>', 'comma-separated event types')
      .option('--limit <n>', 'how many events to show', '20')
      .option('--order <order>', 'asc or desc', 'desc')
      .option('--json', 'NDJSON instead of a table'),
  ).action((flags: EventsListFlags) => runEventsList(flags, io));
}

function addVerifyCommand(program: Command, io: CliIO): void {
  program
    .command('verify')
    .description('Check a captured delivery (headers, blank line, body) read from stdin against a signing secret')
    .requiredOption('--secret-env <name>', 'environment variable holding the signing secret')
    .option('--previous-secret-env <name>', 'variable holding the old secret during a rotation')
    .addOption(new Option('--preset <name>', 'API variant: its scheme and header names').choices([...PRESET_NAMES]))
    .addOption(new Option('--scheme <scheme>', 'override the preset\'s scheme').choices(SIGNATURE_SCHEMES))
    .option('--at <unix-seconds>', 'judge the timestamp as of then (a capture is checked long after it arrived)')
    .action((flags: VerifyFlags) => runVerify(flags, io));
}

function addSandboxCommand(program: Command, io: CliIO): void {
  program
    .command('sandbox')
    .description('Run the API locally: events feed, records, webhooks, rate limits; prints its URL and key')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4010')
    .addOption(new Option('--preset <name>', 'API variant to imitate').choices([...PRESET_NAMES]).default(DEFAULT_PRESET))
    .option('--rate <n>', 'events generated per second (in each tenant)', '5')
    .option('--backlog <n>', 'events already in the feed at start (in each tenant)', '1000')
    .option('--lag <duration>', 'visibility lag (default 10s, as the real API has)')
    .option('--types <list>', 'only generate these event types')
    .option('--seed <n>', 'seed for deterministic ids and data')
    .option('--unlimited', 'no rate limits')
    .option('--tenants <n>', 'serve n tenants on the one port, each with its own key, feed, budget and webhooks')
    .option('--tenant-backlog <slug=n>', 'with --tenants: this tenant starts with n events instead (repeatable)', collect)
    .option('--write-config <file>', 'write a config file with one connection per tenant (keys inline, mode 0600)')
    .option('--sink <url>', `the config file's default sink (default ${DEFAULT_SANDBOX_SINK})`)
    .action((flags: SandboxFlags) => runSandbox(flags, io));
}

/** Commander's way to take an option more than once. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
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
