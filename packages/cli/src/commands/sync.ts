/**
 * `eventsync sync`: keep a sink in step with the API's events feed. With no API configured
 * it syncs from an embedded sandbox, so the first run shows the whole thing working.
 *
 * The stages: settings from flags (sync/settings.ts), a connection (the API, or an embedded
 * sandbox), the sink and its checkpoint, the engine (with webhooks when listening), the run,
 * and a summary. Whatever was started is stopped in reverse order, whatever happens.
 */
import { join, resolve } from 'node:path';
import { keyHint, SyncEngine, type ClientConfig, type Sink, type SyncState } from '@eventsync/core';
import { FileCursorStore, ForwardSink, NdjsonFileSink, NdjsonStreamSink, stoppableSleep, type NodeClient } from '@eventsync/core/node';
import type { Sandbox } from '@eventsync/sandbox';
import { createCliClient } from '../cli-client.js';
import { parseInstant } from '../durations.js';
import { StatusLine } from '../status-line.js';
import { startEmbeddedSandbox } from '../sync/embedded-sandbox.js';
import { checkSameSource, clockOffsetNote, explainRetention, pauseNote, summary } from '../sync/messages.js';
import { parseSyncSettings, type SinkChoice, type SyncFlags, type SyncSettings } from '../sync/settings.js';
import { WebhookChannel } from '../webhook-channel.js';

export type { SyncFlags } from '../sync/settings.js';

export interface SyncIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  readonly stopRequested: Promise<void>;
}

type Position = number | undefined;

/** What one run holds open, closed in reverse by `shutDown`. */
interface Run {
  sandbox?: Sandbox;
  client?: NodeClient;
  sink?: Sink<Position>;
  webhooks?: WebhookChannel;
  statusLine?: StatusLine;
  /** A stop the user asked for, or the end of `--once`: the webhook subscription goes too. */
  clean: boolean;
}

export async function runSync(flags: SyncFlags, io: SyncIO): Promise<void> {
  const startedAt = Date.now();
  const settings = parseSyncSettings(flags, io.env);
  const run: Run = { clean: false };
  const log = (line: string): void => {
    run.statusLine?.clear();
    io.stderr.write(`eventsync: ${line}\n`);
  };
  try {
    const { config, dataDir } = await connect(settings, flags, io, run);
    const client = (run.client = createCliClient(config, flags, io, settings.budgetShare));
    const stateDir = resolve(flags.stateDir ?? join(dataDir, 'state'));
    const sink = (run.sink = openSink(settings.sink, dataDir, client, io));

    // Fail fast on a wrong URL or key; once syncing, transient failures are waited out instead.
    const me = await client.me({ maxAttempts: 2 });
    log(`syncing ${me.tenant.slug} as key "${me.key.name}" (${keyHint(client.config.apiKey)}) into ${describeSink(settings.sink, dataDir)}; checkpoint in ${stateDir}`);
    const offsetNote = clockOffsetNote(client);
    if (offsetNote) log(offsetNote);
    // "Now" is the API's: it decides what the feed shows. The upper bound, so --once never stops short.
    const drainTarget = client.api.clock.upperBound();

    const engine = await openEngine(settings, flags, { client, sink, stateDir, log });
    void io.stopRequested.then(() => {
      run.clean = true;
      engine.stop();
    });
    if (settings.listenPort !== undefined) {
      run.webhooks = await WebhookChannel.start({
        client,
        poller: engine,
        port: settings.listenPort,
        ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
        stateDir,
        types: settings.types,
        healthIntervalMs: settings.healthIntervalMs,
        log,
      });
    }
    if (flags.status !== false) run.statusLine = startStatusLine(engine, client, run.webhooks, io.stderr);

    try {
      if (flags.once) await engine.drainUntil(drainTarget);
      else await engine.run();
      run.clean = true;
    } catch (error) {
      throw explainRetention(error, stateDir);
    }
    run.statusLine?.stop();
    run.statusLine = undefined;
    io.stderr.write(`eventsync: ${summary(engine.progress, run.webhooks !== undefined, Date.now() - startedAt)}\n`);
  } finally {
    await shutDown(run, io.stderr);
  }
}

/** The API named by flags or environment, or an embedded sandbox when none is. */
async function connect(settings: SyncSettings, flags: SyncFlags, io: SyncIO, run: Run): Promise<{ config: ClientConfig; dataDir: string }> {
  const dataDir = resolve(flags.dataDir);
  if (settings.connection.kind === 'api') return { config: settings.connection.config, dataDir };
  const embedded = await startEmbeddedSandbox(settings.connection.preset, dataDir, io.stderr);
  run.sandbox = embedded.sandbox;
  return { config: embedded.config, dataDir: embedded.dataDir };
}

function openSink(choice: SinkChoice, dataDir: string, client: NodeClient, io: SyncIO): Sink<Position> {
  switch (choice.kind) {
    case 'forward':
      return new ForwardSink({ url: choice.url, secret: choice.secret, signature: client.config.signature });
    case 'stdout':
      return new NdjsonStreamSink(io.stdout);
    case 'file':
      return new NdjsonFileSink(outPath(choice, dataDir));
  }
}

function outPath(choice: Extract<SinkChoice, { kind: 'file' }>, dataDir: string): string {
  return resolve(choice.path ?? join(dataDir, 'events.ndjson'));
}

function describeSink(choice: SinkChoice, dataDir: string): string {
  return choice.kind === 'file' ? outPath(choice, dataDir) : choice.kind === 'forward' ? choice.url : 'stdout';
}

interface EngineParts {
  readonly client: NodeClient;
  readonly sink: Sink<Position>;
  readonly stateDir: string;
  readonly log: (line: string) => void;
}

/** The engine over the sink and its checkpoint, refusing a checkpoint that belongs to another source. */
async function openEngine(settings: SyncSettings, flags: SyncFlags, { client, sink, stateDir, log }: EngineParts): Promise<SyncEngine<Position>> {
  const store = new FileCursorStore<SyncState<Position>>(join(stateDir, 'checkpoint.json'));
  const source = { baseUrl: client.config.baseUrl, basePath: client.config.basePath, types: [...settings.types].sort() };
  const saved = await store.load();
  checkSameSource(saved?.source, source, stateDir);
  const startAt = flags.since === undefined ? undefined : parseInstant(flags.since, '--since', client.api.clock.now());
  if (saved && startAt) log(`--since ignored: resuming from the checkpoint in ${stateDir}`);
  return SyncEngine.open<Position>({
    feed: client.events,
    sink,
    store,
    now: Date.now,
    sleep: stoppableSleep,
    types: settings.types,
    pageSize: settings.pageSize,
    pollIntervalMs: settings.pollIntervalMs,
    checkpoint: settings.lookbackMs === undefined ? {} : { lookbackMs: settings.lookbackMs },
    source,
    ...(startAt ? { startAt } : {}),
    onNotice: log,
  });
}

function startStatusLine(engine: SyncEngine<Position>, client: NodeClient, webhooks: WebhookChannel | undefined, stream: NodeJS.WriteStream): StatusLine {
  const statusLine = new StatusLine(
    {
      progress: () => engine.progress,
      bucket: () => client.api.buckets.get(client.config.policies.read.bucket),
      note: () => pauseNote(client),
      requests: () => client.api.stats.requests,
      ...(webhooks ? { rejected: () => webhooks.intake.stats.rejectedSignatures } : {}),
    },
    { stream, channels: webhooks !== undefined, now: () => client.api.clock.now() },
  );
  statusLine.start();
  return statusLine;
}

async function shutDown(run: Run, stderr: NodeJS.WritableStream): Promise<void> {
  run.statusLine?.stop();
  // A crash keeps the subscription (and its file) for the next run to reuse; a clean stop removes it.
  await run.webhooks?.close({ deleteSubscription: run.clean }).catch((error: unknown) => {
    stderr.write(`eventsync: could not delete the webhook subscription: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  await run.sink?.close();
  run.client?.close();
  await run.sandbox?.stop();
}
