/**
 * `eventsync sandbox`: the API, run locally, for trying things without a vendor account.
 * With `--tenants N`, one server serves N tenants (the key picks the tenant), and
 * `--write-config` writes every tenant's connection to a config file: a summary on the screen
 * never lists a thousand keys.
 */
import { ConfigError, isEventType, isPresetName, PRESET_NAMES, type EventType } from '@eventsync/core';
import { startSandbox, type Sandbox, type SandboxOptions } from '@eventsync/sandbox';
import { parseDuration } from '../durations.js';
import { DEFAULT_SANDBOX_SINK, writeSandboxConfig } from '../sandbox-config.js';
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
  readonly tenants?: string;
  /** `slug=count`, repeated. */
  readonly tenantBacklog?: readonly string[];
  readonly writeConfig?: string;
  readonly sink?: string;
}

export async function runSandbox(
  flags: SandboxFlags,
  io: { stdout: NodeJS.WritableStream; stopRequested: (notice: string) => Promise<void> },
): Promise<void> {
  const options = sandboxOptions(flags);
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox(options);
  } catch (error) {
    // The sandbox names its option; the user typed a flag.
    if (error instanceof ConfigError && error.setting.startsWith('backlogs')) throw new UsageError(`--tenant-backlog: ${error.message}`);
    throw error;
  }
  try {
    if (flags.writeConfig !== undefined) await writeConfig(sandbox, flags, flags.writeConfig);
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  io.stdout.write(options.tenants === undefined ? singleSummary(sandbox, flags) : tenantsSummary(sandbox, flags));
  await io.stopRequested('stopping the sandbox; its events, records and subscriptions were in memory only');
  await sandbox.stop();
}

function sandboxOptions(flags: SandboxFlags): SandboxOptions {
  if (!isPresetName(flags.preset)) throw new UsageError(`unknown preset "${flags.preset}"; choose one of ${PRESET_NAMES.join(', ')}`);
  const port = wholeNumber(flags.port, '--port');
  const rate = Number(flags.rate);
  if (!Number.isFinite(rate) || rate < 0) throw new UsageError(`--rate takes events per second (0 or more); got "${flags.rate}"`);
  const types = flags.types?.split(',').map((type) => type.trim());
  if (types?.some((type) => !isEventType(type))) throw new UsageError(`--types lists unknown event types: ${flags.types}`);
  const tenants = flags.tenants === undefined ? undefined : wholeNumber(flags.tenants, '--tenants');
  if (tenants === 0) throw new UsageError('--tenants takes the number of tenants, at least 1');
  const backlogs = tenantBacklogs(flags.tenantBacklog ?? []);
  if (backlogs && tenants === undefined) throw new UsageError('--tenant-backlog names a tenant of --tenants N: add --tenants');
  if (flags.sink !== undefined && flags.writeConfig === undefined) {
    throw new UsageError('--sink sets the default sink of the config file: add --write-config <file>');
  }
  return {
    port,
    preset: flags.preset,
    ...(flags.seed ? { seed: wholeNumber(flags.seed, '--seed') } : {}),
    ...(flags.lag ? { visibilityLagMs: parseDuration(flags.lag, '--lag') } : {}),
    ...(flags.unlimited ? { policies: false as const } : {}),
    ...(tenants === undefined ? {} : { tenants }),
    ...(backlogs ? { backlogs } : {}),
    backlog: { count: wholeNumber(flags.backlog, '--backlog'), ...(types ? { types: types as EventType[] } : {}) },
    generator: rate > 0 ? { ratePerSecond: rate, ...(types ? { types: types as EventType[] } : {}) } : false,
  };
}

/** `tenant-0001=500000` → { 'tenant-0001': 500000 }; undefined when none were given. */
function tenantBacklogs(entries: readonly string[]): Record<string, number> | undefined {
  if (entries.length === 0) return undefined;
  const backlogs: Record<string, number> = {};
  for (const entry of entries) {
    const match = /^([^=\s]+)=(\d+)$/.exec(entry.trim());
    if (!match) throw new UsageError(`--tenant-backlog takes <slug>=<events>, e.g. tenant-0001=500000; got "${entry}"`);
    backlogs[match[1]!] = Number(match[2]);
  }
  return backlogs;
}

async function writeConfig(sandbox: Sandbox, flags: SandboxFlags, path: string): Promise<void> {
  await writeSandboxConfig(path, {
    command: flags.tenants === undefined ? 'eventsync sandbox' : `eventsync sandbox --tenants ${sandbox.tenants.length}`,
    baseUrl: sandbox.url,
    preset: sandbox.preset.name,
    sink: flags.sink ?? DEFAULT_SANDBOX_SINK,
    connections: sandbox.tenants.map((tenant) => ({ name: tenant.slug, apiKey: tenant.apiKey })),
  });
}

function singleSummary(sandbox: Sandbox, flags: SandboxFlags): string {
  return [
    `Eventsync sandbox (preset ${sandbox.preset.name}) listening on ${sandbox.url}`,
    `  base URL: ${sandbox.baseUrl}`,
    `  API key:  ${sandbox.apiKey}   (a local test key)`,
    `  events:   ${flags.backlog} in the backlog, ${Number(flags.rate)}/s from now on`,
    ...(flags.writeConfig === undefined ? [] : [`  config:   ${flags.writeConfig} (one connection; mode 0600, it holds the key)`]),
    '',
    'Sync from it in another terminal:',
    `  export EVENTSYNC_BASE_URL=${sandbox.url} EVENTSYNC_API_KEY=${sandbox.apiKey} EVENTSYNC_PRESET=${sandbox.preset.name}`,
    '  eventsync sync',
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

/** A few lines whatever N is: the first key only, and where the others are. */
function tenantsSummary(sandbox: Sandbox, flags: SandboxFlags): string {
  const { tenants } = sandbox;
  const first = tenants[0]!;
  const others = tenants.length - 1;
  const range = others === 0 ? first.slug : `${first.slug} … ${tenants.at(-1)!.slug}`;
  const overrides = (flags.tenantBacklog ?? []).map((entry) => entry.trim().replace('=', ': ')).join(', ');
  const where =
    flags.writeConfig === undefined
      ? `GET ${sandbox.url}/_sandbox/tenants lists them (or start with --write-config <file>)`
      : `in ${flags.writeConfig} (mode 0600)`;
  return [
    `Eventsync sandbox (preset ${sandbox.preset.name}) listening on ${sandbox.url}: ${tenants.length} tenant${tenants.length === 1 ? '' : 's'}`,
    `  tenants:   ${range}, one local test key each; the key on a request picks the tenant`,
    `  base URL:  ${sandbox.baseUrl}`,
    `  first key: ${first.apiKey}   (${first.slug})`,
    ...(others === 0 ? [] : [`  the other ${others} key${others === 1 ? '' : 's'}: ${where}`]),
    ...(flags.writeConfig === undefined || others > 0 ? [] : [`  config:    ${flags.writeConfig} (mode 0600)`]),
    `  events:    ${flags.backlog} in each tenant's backlog${overrides ? ` (${overrides})` : ''}, ${Number(flags.rate)}/s in each from now on`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

function wholeNumber(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`${option} takes a whole number; got "${text}"`);
  return value;
}
