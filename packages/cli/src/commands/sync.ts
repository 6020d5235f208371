/**
 * `eventsync sync`: keep a sink in step with the API's events feed. With no API configured
 * it syncs from an embedded sandbox, so the first run shows the whole thing working.
 *
 * The stages: settings from flags (sync/settings.ts), a connection (the API, or an embedded
 * sandbox), the sink and its checkpoint, the engine (with webhooks when listening), the run,
 * and a summary. Whatever was started is stopped in reverse order, whatever happens.
 */
import { join, resolve } from 'node:path';
import { keyHint, SyncEngine, type ClientConfig, type EventStorage, type SyncEngineOptions } from '@eventsync/core';
import { acquireLock, startWebhookReceiver, stoppableSleep, type NodeClient } from '@eventsync/core/node';
import type { Sandbox } from '@eventsync/sandbox';
import { createCliClient } from '../cli-client.js';
import { parseInstant } from '../durations.js';
import { Operations } from '../ops/operations.js';
import { parseOpsSettings } from '../ops/ops-settings.js';
import { StatusLine } from '../status-line.js';
import { startEmbeddedSandbox } from '../sync/embedded-sandbox.js';
import { checkSameSource, clockOffsetNote, explainRetention, pauseNote, summary } from '../sync/messages.js';
import { parseSyncSettings, type SyncFlags, type SyncSettings } from '../sync/settings.js';
import { createStorage } from '../sync/storage.js';
import { WebhookChannel } from '../webhook-channel.js';

export type { SyncFlags } from '../sync/settings.js';

export interface SyncIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM), which prints the notice. */
  readonly stopRequested: (notice: string) => Promise<void>;
}

/** What one run holds open, closed in reverse by `shutDown`. */
interface Run {
  sandbox?: Sandbox;
  client?: NodeClient;
  storage?: EventStorage;
  webhooks?: WebhookChannel;
  /** Held while listening: the state directory's subscription belongs to this process (`subscriptions rotate` finds it). */
  stateLock?: { release(): Promise<void> };
  statusLine?: StatusLine;
  /** Metrics, health, alerts, key file and secret rotation: observers of the rest. */
  ops?: Operations;
  /** A stop the user asked for, or the end of `--once`: the webhook subscription goes too. */
  clean: boolean;
}

export async function runSync(flags: SyncFlags, io: SyncIO): Promise<void> {
  const startedAt = Date.now();
  // Asked before anything starts, so that a stop during start-up is a clean stop too.
  const stopRequested = io.stopRequested('stopping after the page in hand is saved');
  const settings = parseSyncSettings(flags, io.env);
  const opsSettings = parseOpsSettings(flags, io.env, settings.listenPort !== undefined);
  const run: Run = { clean: false };
  const log = (line: string): void => {
    run.statusLine?.clear();
    io.stderr.write(`eventsync: ${line}\n`);
  };
  try {
    const { config, dataDir } = await connect(settings, flags, io, run);
    const ops = (run.ops = await Operations.create({
      settings: opsSettings,
      keyFile: settings.connection.kind === 'api' ? settings.connection.keyFile : undefined,
      apiKey: config.apiKey,
      once: flags.once === true,
      listening: settings.listenPort !== undefined,
      healthIntervalMs: settings.healthIntervalMs,
      log,
    }));
    const client = (run.client = createCliClient(config, flags, io, settings.budgetShare, ops.clientHooks()));
    const stateDir = resolve(flags.stateDir ?? join(dataDir, 'state'));

    // Fail fast on a wrong URL or key; once syncing, transient failures are waited out instead.
    const me = await client.me({ maxAttempts: 2 });
    const defaultSource = `${me.tenant.slug}@${new URL(client.config.baseUrl).host}`;
    const storage = createStorage(settings.sink, { dataDir, stateDir, client, stdout: io.stdout, tables: settings.tables, defaultSource });
    log(`syncing ${me.tenant.slug} as key "${me.key.name}" (${keyHint(client.config.apiKey)}) into ${storage.description} (${storage.guarantee}); checkpoint in ${stateDir}`);
    const offsetNote = clockOffsetNote(client);
    if (offsetNote) log(offsetNote);
    // "Now" is the API's: it decides what the feed shows. The upper bound, so --once never stops short.
    const drainTarget = client.api.clock.upperBound();

    const engine = await openEngine(settings, flags, { client, storage, stateDir, log, hooks: ops.engineHooks() }, run);
    void stopRequested.then(() => {
      run.clean = true;
      engine.stop();
    });
    if (settings.listenPort !== undefined) {
      run.stateLock = await acquireLock(join(stateDir, 'lock'), `the webhook subscription in ${stateDir}`);
      run.webhooks = await WebhookChannel.start({
        client,
        poller: engine,
        openEndpoint: (intake) =>
          startWebhookReceiver({
            intake,
            port: settings.listenPort!,
            onProcessError: (error) => log(`a verified delivery could not be written (polling will fetch it): ${String(error)}`),
          }),
        description: 'eventsync sync --listen',
        ownsUrl: true,
        ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
        stateDir,
        types: settings.types,
        healthIntervalMs: settings.healthIntervalMs,
        log,
        onHealth: ops.onHealth,
      });
    }
    if (flags.status !== false) run.statusLine = startStatusLine(engine, client, run.webhooks, io.stderr);
    await ops.start({ name: defaultSource, client, engine, sinkDescription: storage.description, webhooks: run.webhooks });

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

interface EngineParts {
  readonly client: NodeClient;
  readonly storage: EventStorage;
  readonly stateDir: string;
  readonly log: (line: string) => void;
  /** Observers (and the wait for a new key) from Operations. */
  readonly hooks: Pick<SyncEngineOptions, 'onCommit' | 'onPass' | 'waitOut'>;
}

/** The engine over the storage, refusing a checkpoint that belongs to another source. */
async function openEngine(settings: SyncSettings, flags: SyncFlags, { client, storage, stateDir, log, hooks }: EngineParts, run: Run): Promise<SyncEngine> {
  const fingerprint = { baseUrl: client.config.baseUrl, basePath: client.config.basePath, types: [...settings.types].sort() };
  const startAt = flags.since === undefined ? undefined : parseInstant(flags.since, '--since', client.api.clock.now());
  run.storage = storage;
  const engine = await SyncEngine.open({
    feed: client.events,
    storage,
    now: Date.now,
    sleep: stoppableSleep,
    types: settings.types,
    pageSize: settings.pageSize,
    pollIntervalMs: settings.pollIntervalMs,
    checkpoint: settings.lookbackMs === undefined ? {} : { lookbackMs: settings.lookbackMs },
    fingerprint,
    ...(startAt ? { startAt } : {}),
    onNotice: log,
    ...hooks,
  });
  const resumed = engine.resumedFrom;
  checkSameSource(resumed.fingerprint, fingerprint, `${storage.description} (checkpoint in ${stateDir})`);
  if (startAt && (resumed.watermark !== null || resumed.seen.length > 0)) log(`--since ignored: resuming from the checkpoint of ${storage.description}`);
  return engine;
}

function startStatusLine(engine: SyncEngine, client: NodeClient, webhooks: WebhookChannel | undefined, stream: NodeJS.WriteStream): StatusLine {
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
  await run.ops?.stop();
  // A crash keeps the subscription (and its file) for the next run to reuse; a clean stop removes it.
  await run.webhooks?.close({ deleteSubscription: run.clean }).catch((error: unknown) => {
    stderr.write(`eventsync: could not delete the webhook subscription: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  await run.stateLock?.release();
  await run.storage?.close();
  run.client?.close();
  await run.sandbox?.stop();
}
