/**
 * `eventsync replay --since <time> [--until <time>] [--types a,b] --forward <url>`: sends
 * events already in the sink to a handler again (the handler lost them, or is new), each
 * signed as a delivery (delivery id `rpl_<event id>`, secret in EVENTSYNC_FORWARD_SECRET),
 * one at a time: in the order written from the NDJSON file, by (created_at, id) from a
 * database sink (one --source's rows).
 *
 * It only reads the sink (replay/sink-readers.ts): no lock is taken and the sync's
 * checkpoint is never touched, so it runs beside a sync that goes on writing.
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PRESET, getPreset, isPresetName, NetworkError, PRESET_NAMES, type EventEnvelope } from '@eventsync/core';
import { ForwardOutput } from '@eventsync/core/node';
import { parseInstant } from '../durations.js';
import { ReplayProgress } from '../replay/replay-progress.js';
import { openSinkReader, type ReplaySelection } from '../replay/sink-readers.js';
import { parseSinkUrl, parseTableOptions, parseTypes, type SinkChoice } from '../sync/settings.js';
import { UsageError } from '../usage-error.js';

export interface ReplayFlags {
  readonly since: string;
  readonly until?: string;
  readonly types?: string;
  readonly forward: string;
  readonly sink?: string;
  readonly out?: string;
  readonly dataDir: string;
  readonly source?: string;
  readonly tablePrefix?: string;
  readonly schema?: string;
  readonly preset?: string;
  readonly progress?: boolean;
}

export interface ReplayIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: NodeJS.WriteStream;
  /** Resolves at the first Ctrl-C or SIGTERM, after printing `notice`. */
  readonly stopRequested: (notice: string) => Promise<void>;
}

/** A handler having a moment is waited for, as the API's dispatcher would (on a much shorter schedule). */
const RETRY_DELAYS_MS = [500, 1_000, 2_000, 4_000];

export async function runReplay(flags: ReplayFlags, io: ReplayIO): Promise<void> {
  const selection = parseSelection(flags);
  const secret = io.env.EVENTSYNC_FORWARD_SECRET;
  if (!URL.canParse(flags.forward)) throw new UsageError(`--forward takes the handler's URL, e.g. https://example.com/webhooks; got "${flags.forward}"`);
  if (!secret) throw new UsageError('replay signs each event: put the secret your handler verifies with in EVENTSYNC_FORWARD_SECRET');
  const presetName = flags.preset ?? io.env.EVENTSYNC_PRESET ?? DEFAULT_PRESET;
  if (!isPresetName(presetName)) throw new UsageError(`unknown preset "${presetName}"; choose one of ${PRESET_NAMES.join(', ')}`);
  const reader = openSinkReader(sinkChoice(flags), resolve(flags.dataDir), parseTableOptions(flags));
  const output = new ForwardOutput({ url: flags.forward, secret, signature: getPreset(presetName).signature, concurrency: 1, deliveryIdPrefix: 'rpl_' });
  const target = shownUrl(flags.forward);

  let stopRequested = false;
  void io.stopRequested('stopping after the event in hand (Ctrl-C again to quit at once)').then(() => (stopRequested = true));
  const progress = flags.progress === false ? undefined : new ReplayProgress(io.stderr);
  const startedAt = Date.now();
  let sent = 0;
  for await (const { event, done } of reader.read(selection)) {
    if (stopRequested) break;
    await send(output, event, sent);
    sent++;
    progress?.update(sent, done);
  }
  progress?.finish();
  const seconds = (Date.now() - startedAt) / 1000;
  const how = stopRequested ? 'stopped after sending' : 'replayed';
  io.stderr.write(
    `eventsync: ${how} ${sent.toLocaleString('en-US')} events (${describe(selection)}) from ${reader.description} to ${target} in ${seconds.toFixed(1)} s; the sync's checkpoint was not touched\n`,
  );
}

async function send(output: ForwardOutput, event: EventEnvelope, sentBefore: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await output.write([event]);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined) {
        throw new NetworkError(
          `${error.message}. ${sentBefore.toLocaleString('en-US')} events were sent before it; to go on from there, run again with --since ${event.created_at}`,
          {},
          error.failure,
        );
      }
      await sleep(delay);
    }
  }
}

function parseSelection(flags: ReplayFlags): ReplaySelection {
  const now = Date.now();
  const since = Date.parse(parseInstant(flags.since, '--since', now));
  const until = flags.until === undefined ? undefined : Date.parse(parseInstant(flags.until, '--until', now));
  if (until !== undefined && until <= since) throw new UsageError(`--until (${new Date(until).toISOString()}) must be after --since (${new Date(since).toISOString()})`);
  return { since, until, types: parseTypes(flags.types) };
}

/** The sink the sync wrote: --sink, or --out, or the default file under --data-dir. */
function sinkChoice(flags: ReplayFlags): SinkChoice {
  if (flags.sink !== undefined && flags.out !== undefined) throw new UsageError('choose one of --sink and --out');
  if (flags.sink !== undefined) return parseSinkUrl(flags.sink);
  return { kind: 'file', path: flags.out };
}

function describe(selection: ReplaySelection): string {
  const from = new Date(selection.since).toISOString();
  const to = selection.until === undefined ? 'now' : new Date(selection.until).toISOString();
  return `created ${from} to ${to}, ${selection.types.length === 0 ? 'all types' : selection.types.join(', ')}`;
}

/** A handler's URL may carry a token in its query: the summary shows origin and path only. */
function shownUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
