/** `eventsync sandbox`: the API, run locally, for trying things without a vendor account. */
import { isEventType, isPresetName, PRESET_NAMES, type EventType } from '@eventsync/core';
import { startSandbox } from '@eventsync/sandbox';
import { parseDuration } from '../durations.js';
import { UsageError } from '../usage-error.js';

export interface SandboxFlags {
  readonly port: string;
  readonly preset: string;
  readonly rate: string;
  readonly backlog: string;
  readonly lag?: string;
  readonly seed?: string;
  readonly types?: string;
  readonly unlimited?: boolean;
}

export async function runSandbox(
  flags: SandboxFlags,
  io: { stdout: NodeJS.WritableStream; stopRequested: (notice: string) => Promise<void> },
): Promise<void> {
  if (!isPresetName(flags.preset)) throw new UsageError(`unknown preset "${flags.preset}"; choose one of ${PRESET_NAMES.join(', ')}`);
  const port = wholeNumber(flags.port, '--port');
  const rate = Number(flags.rate);
  if (!Number.isFinite(rate) || rate < 0) throw new UsageError(`--rate takes events per second (0 or more); got "${flags.rate}"`);
  const types = flags.types?.split(',').map((type) => type.trim());
  if (types?.some((type) => !isEventType(type))) throw new UsageError(`--types lists unknown event types: ${flags.types}`);
  const sandbox = await startSandbox({
    port,
    preset: flags.preset,
    ...(flags.seed ? { seed: wholeNumber(flags.seed, '--seed') } : {}),
    ...(flags.lag ? { visibilityLagMs: parseDuration(flags.lag, '--lag') } : {}),
    ...(flags.unlimited ? { policies: false as const } : {}),
    backlog: { count: wholeNumber(flags.backlog, '--backlog'), ...(types ? { types: types as EventType[] } : {}) },
    generator: rate > 0 ? { ratePerSecond: rate, ...(types ? { types: types as EventType[] } : {}) } : false,
  });
  io.stdout.write(
    [
      `Eventsync sandbox (preset ${sandbox.preset.name}) listening on ${sandbox.url}`,
      `  base URL: ${sandbox.baseUrl}`,
      `  API key:  ${sandbox.apiKey}   (a local test key)`,
      `  events:   ${flags.backlog} in the backlog, ${rate}/s from now on`,
      '',
      'Sync from it in another terminal:',
      `  export EVENTSYNC_BASE_URL=${sandbox.url} EVENTSYNC_API_KEY=${sandbox.apiKey} EVENTSYNC_PRESET=${sandbox.preset.name}`,
      '  eventsync sync',
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  await io.stopRequested('stopping the sandbox; its events, records and subscriptions were in memory only');
  await sandbox.stop();
}

function wholeNumber(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`${option} takes a whole number; got "${text}"`);
  return value;
}
