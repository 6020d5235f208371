/**
 * `eventsync sync`: keep a sink in step with the API's events feed. With no API configured
 * it syncs from an embedded sandbox, so the first run shows the whole thing working.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  EVENT_TYPES,
  isEventType,
  keyHint,
  PAGE_LIMIT_MAX,
  SyncEngine,
  ValidationError,
  type ClientConfig,
  type PresetName,
  type Sink,
  type SyncState,
} from '@eventsync/core';
import { FileCursorStore, ForwardSink, NdjsonFileSink, NdjsonStreamSink, stoppableSleep, type NodeClient } from '@eventsync/core/node';
import { startSandbox, type Sandbox } from '@eventsync/sandbox';
import { createCliClient } from '../cli-client.js';
import { resolveConnection, type ConnectionFlags } from '../connection.js';
import { parseDuration, parseInstant } from '../durations.js';
import { formatSeconds, StatusLine } from '../status-line.js';
import { WebhookChannel } from '../webhook-channel.js';
import { UsageError } from '../usage-error.js';

export interface SyncFlags extends ConnectionFlags {
  readonly out?: string;
  readonly stdout?: boolean;
  readonly forward?: string;
  readonly stateDir?: string;
  readonly dataDir: string;
  readonly types?: string;
  readonly since?: string;
  readonly once?: boolean;
  readonly pollInterval?: string;
  readonly listen?: string;
  readonly publicUrl?: string;
  readonly healthInterval: string;
  readonly lookback?: string;
  readonly pageSize: string;
  readonly status?: boolean;
  readonly budgetShare: string;
}

export interface SyncIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  readonly stopRequested: Promise<void>;
}

/** Events per second of the embedded sandbox's generator: enough to watch, little enough to read. */
const EMBEDDED_RATE = 20;
/** Share of webhook deliveries the embedded sandbox loses, so the polling fallback has work to show. */
const EMBEDDED_DROP = 0.2;
const EMBEDDED_BACKLOG = 600;

export async function runSync(flags: SyncFlags, io: SyncIO): Promise<void> {
  const startedAt = Date.now();
  const types = parseTypes(flags.types);
  const pageSize = parsePageSize(flags.pageSize);
  const budgetShare = parseBudgetShare(flags.budgetShare);
  const lookbackMs = flags.lookback === undefined ? undefined : parseDuration(flags.lookback, '--lookback');
  const healthIntervalMs = parseDuration(flags.healthInterval, '--health-interval');
  const connection = resolveConnection(flags, io.env);
  // The embedded sandbox shows the whole design: webhooks first, polling behind them.
  const listenPort = flags.listen !== undefined ? parsePort(flags.listen) : connection.kind === 'none' ? 0 : undefined;
  if (flags.publicUrl !== undefined && listenPort === undefined) throw new UsageError('--public-url goes with --listen <port>');
  // Behind webhooks, polling only fills gaps, so it can afford to be slower.
  const pollIntervalMs = parseDuration(flags.pollInterval ?? (listenPort === undefined ? '2s' : '15s'), '--poll-interval');
  // Checked before anything starts: a usage error must not leave an embedded sandbox running.
  const forwardSecret = checkSinkFlags(flags, io.env);

  let sandbox: Sandbox | undefined;
  let config: ClientConfig;
  let dataDir = resolve(flags.dataDir);
  if (connection.kind === 'none') {
    sandbox = await startEmbeddedSandbox(connection.preset);
    config = { baseUrl: sandbox.url, apiKey: sandbox.apiKey, preset: connection.preset };
    // The embedded sandbox is new on every run, so its checkpoint and file are too.
    dataDir = join(dataDir, 'sandbox');
    await rm(dataDir, { recursive: true, force: true });
    io.stderr.write(
      `eventsync: no API configured (EVENTSYNC_BASE_URL, EVENTSYNC_API_KEY), so syncing from an embedded sandbox at ${sandbox.baseUrl}\n` +
        `eventsync: it generates ${EMBEDDED_RATE} events/s after a backlog of ${EMBEDDED_BACKLOG} and delivers them by webhook, dropping ${EMBEDDED_DROP * 100}% of deliveries: watch polling fill the gaps.\n` +
        'eventsync: set both variables to sync a real API.\n',
    );
  } else {
    config = connection.config;
  }

  const client = createCliClient(config, flags, io, budgetShare);
  const outPath = flags.stdout || flags.forward ? undefined : resolve(flags.out ?? join(dataDir, 'events.ndjson'));
  const stateDir = resolve(flags.stateDir ?? join(dataDir, 'state'));
  const sink: Sink<number | undefined> =
    flags.forward !== undefined && forwardSecret !== undefined
      ? new ForwardSink({ url: flags.forward, secret: forwardSecret, signature: client.config.signature })
      : outPath
        ? new NdjsonFileSink(outPath)
        : new NdjsonStreamSink(io.stdout);
  const store = new FileCursorStore<SyncState<number | undefined>>(join(stateDir, 'checkpoint.json'));
  const source = { baseUrl: client.config.baseUrl, basePath: client.config.basePath, types: [...types].sort() };
  let statusLine: StatusLine | undefined;
  let webhooks: WebhookChannel | undefined;
  let cleanStop = false;
  try {
    // Fail fast on a wrong URL or key; once syncing, transient failures are waited out instead.
    const me = await client.me({ maxAttempts: 2 });
    io.stderr.write(
      `eventsync: syncing ${me.tenant.slug} as key "${me.key.name}" (${keyHint(client.config.apiKey)}) into ${outPath ?? flags.forward ?? 'stdout'}; checkpoint in ${stateDir}\n`,
    );
    reportClockOffset(client, io);
    // "Now" is the API's: it decides what the feed shows. The upper bound, so --once never stops short.
    const drainTarget = client.api.clock.upperBound();
    const saved = await store.load();
    checkSameSource(saved?.source, source, stateDir);
    const startAt = flags.since === undefined ? undefined : parseInstant(flags.since, '--since', client.api.clock.now());
    if (saved && startAt) io.stderr.write(`eventsync: --since ignored: resuming from the checkpoint in ${stateDir}\n`);

    const poller = await SyncEngine.open<number | undefined>({
      feed: client.events,
      sink,
      store,
      now: Date.now,
      sleep: stoppableSleep,
      types,
      pageSize,
      pollIntervalMs,
      checkpoint: lookbackMs === undefined ? {} : { lookbackMs },
      source,
      ...(startAt ? { startAt } : {}),
      onNotice: (line) => {
        statusLine?.clear();
        io.stderr.write(`eventsync: ${line}\n`);
      },
    });
    void io.stopRequested.then(() => {
      cleanStop = true;
      poller.stop();
    });
    if (listenPort !== undefined) {
      webhooks = await WebhookChannel.start({
        client,
        poller,
        port: listenPort,
        ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
        stateDir,
        types,
        healthIntervalMs,
        log: (line) => {
          statusLine?.clear();
          io.stderr.write(`eventsync: ${line}\n`);
        },
      });
    }

    if (flags.status !== false) {
      statusLine = new StatusLine(
        {
          progress: () => poller.progress,
          bucket: () => client.api.buckets.get(client.config.policies.read.bucket),
          note: () => pauseNote(client),
          requests: () => client.api.stats.requests,
          ...(webhooks ? { rejected: () => webhooks!.intake.stats.rejectedSignatures } : {}),
        },
        { stream: io.stderr, channels: webhooks !== undefined, now: () => client.api.clock.now() },
      );
      statusLine.start();
    }
    try {
      if (flags.once) await poller.drainUntil(drainTarget);
      else await poller.run();
      cleanStop = true;
    } catch (error) {
      throw explainRetention(error, stateDir);
    }
    statusLine?.stop();
    statusLine = undefined;
    const { delivered, byChannel, duplicatesSkipped, watermark } = poller.progress;
    const channels = webhooks ? ` (${byChannel.webhook} by webhook, ${byChannel.poll} by polling)` : '';
    io.stderr.write(
      `eventsync: ${delivered} events written${channels}, ${duplicatesSkipped} duplicates skipped, in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; ` +
        `complete up to ${watermark === null ? '-' : new Date(watermark).toISOString()}\n`,
    );
  } finally {
    statusLine?.stop();
    // A crash keeps the subscription (and its file) for the next run to reuse; a clean stop removes it.
    await webhooks?.close({ deleteSubscription: cleanStop }).catch((error: unknown) => {
      io.stderr.write(`eventsync: could not delete the webhook subscription: ${error instanceof Error ? error.message : String(error)}\n`);
    });
    await sink.close();
    client.close();
    await sandbox?.stop();
  }
}

async function startEmbeddedSandbox(preset: PresetName): Promise<Sandbox> {
  return startSandbox({
    preset,
    seed: Date.now() % 1_000_000,
    backlog: { count: EMBEDDED_BACKLOG, spanMs: 60 * 60 * 1000 },
    generator: { ratePerSecond: EMBEDDED_RATE },
    webhooks: { faults: { dropRate: EMBEDDED_DROP } },
  });
}

function parseTypes(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '' || text.trim() === '*') return [];
  const types = text.split(',').map((type) => type.trim()).filter(Boolean);
  const unknown = types.filter((type) => !isEventType(type));
  if (unknown.length > 0) {
    throw new UsageError(`unknown event type ${unknown.map((type) => `"${type}"`).join(', ')}; types are lower-case: ${EVENT_TYPES.join(', ')}`);
  }
  return types;
}

/** One sink at most; `--forward` needs the secret its handler verifies with. Returns that secret. */
function checkSinkFlags(flags: SyncFlags, env: NodeJS.ProcessEnv): string | undefined {
  const chosen = [flags.out !== undefined, flags.stdout === true, flags.forward !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --out, --stdout and --forward');
  if (flags.forward === undefined) return undefined;
  if (!URL.canParse(flags.forward)) throw new UsageError(`--forward takes the handler's URL, e.g. https://example.com/webhooks; got "${flags.forward}"`);
  const secret = env.EVENTSYNC_FORWARD_SECRET;
  if (!secret) throw new UsageError('--forward signs each event: put the secret your handler verifies with in EVENTSYNC_FORWARD_SECRET');
  return secret;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--listen takes a port number (0 picks a free one); got "${text}"`);
  return port;
}

function parseBudgetShare(text: string): number {
  const share = Number(text);
  if (!(share > 0 && share <= 1)) throw new UsageError(`--budget-share takes the share of the key's rate limit the sync may use, above 0 and at most 1 (e.g. 0.5); got "${text}"`);
  return share;
}

function parsePageSize(text: string): number {
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > PAGE_LIMIT_MAX) {
    throw new UsageError(`--page-size takes a whole number from 1 to ${PAGE_LIMIT_MAX}; got "${text}"`);
  }
  return size;
}

function checkSameSource(saved: Readonly<Record<string, unknown>> | undefined, current: Record<string, unknown>, stateDir: string): void {
  if (!saved || JSON.stringify(saved) === JSON.stringify(current)) return;
  throw new UsageError(
    `the checkpoint in ${stateDir} belongs to another sync (${JSON.stringify(saved)}); ` +
      `this one is ${JSON.stringify(current)}. Use another --state-dir and --out, or move that directory aside to start over.`,
  );
}

/** Said once at start when the clocks disagree by more than the feed's resolution: the sync follows the API's. */
function reportClockOffset(client: NodeClient, io: SyncIO): void {
  const offset = client.api.clock.offset;
  if (!offset) return;
  const ms = (offset.low + offset.high) / 2;
  if (Math.abs(ms) < 2_000) return;
  io.stderr.write(
    `eventsync: this machine's clock is ${formatSeconds(Math.abs(ms))} ${ms < 0 ? 'ahead of' : 'behind'} the API's; the sync judges what the feed shows by the API's clock\n`,
  );
}

function pauseNote(client: NodeClient): string | undefined {
  const { pausedUntil } = client.limiter.status(client.config.policies.read.bucket);
  const left = pausedUntil - Date.now();
  return left > 0 ? `paused ${Math.ceil(left / 1000)} s by the API's rate limit` : undefined;
}

/** A checkpoint older than the feed's retention is a gap that no retry closes: say so, and how to go on. */
function explainRetention(error: unknown, stateDir: string): unknown {
  if (!(error instanceof ValidationError) || error.field !== 'since') return error;
  return new UsageError(
    `${error.message}\nThe checkpoint in ${stateDir} is older than the API keeps events, so some events are gone from the feed. ` +
      'To resume from the oldest event still kept (accepting that gap), move that directory aside and run again with --since set to the time the message names.',
  );
}
