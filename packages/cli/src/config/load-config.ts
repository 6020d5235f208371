/**
 * `eventsync run --config <file>`: the file read, parsed (YAML, which JSON is too), `${NAME}`
 * replaced from the environment, checked against the schema, every connection's key found,
 * and every default applied, into the RunConfig the runner starts from (run-config.ts).
 *
 * Nothing stops at the first mistake: every problem in the file is collected and thrown
 * together as one ConfigFileError (config-errors.ts), a usage error, so the CLI exits 2.
 * The format, as a user reads it, is docs/config-file.md.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_PRESET, PAGE_LIMIT_MAX } from '@eventsync/core';
import { LineCounter, parseDocument } from 'yaml';
import { parseDuration } from '../durations.js';
import { DEFAULT_ALERT_LAG, DEFAULT_METRICS_HOST } from '../ops/ops-settings.js';
import { resolveApiKey, type KeyPlace, type ResolvedKey } from './api-keys.js';
import { ConfigFileError, toProblems, urlSecrets, type PathProblem, type SettingPath } from './config-errors.js';
import { describeIssues, valueAt } from './config-issues.js';
import { configFileSchema, type ConfigFile } from './config-schema.js';
import { DEFAULT_SINK, resolveSink, sharedFiles, type PlacedSink } from './config-sinks.js';
import { interpolateEnv } from './env-interpolation.js';
import type { ConnectionConfig, RunConfig } from './run-config.js';

/** As `sync`'s defaults (program.ts: --health-interval, --page-size, --budget-share; settings.ts: --poll-interval). */
const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
const DEFAULT_BUDGET_SHARE = 0.75;
const POLL_INTERVAL_MS = { polling: 2_000, behindWebhooks: 15_000 };
/** Each connection's state goes in <this>/<name>, next to the config file unless defaults.stateDir says otherwise. */
const DEFAULT_STATE_DIR = 'eventsync-state';

type Mapping = Record<string, unknown>;

export async function loadRunConfig(path: string, env: NodeJS.ProcessEnv): Promise<RunConfig> {
  const file = resolve(path);
  const dir = dirname(file);
  const { text, mode } = await readConfigFile(file);
  const written = parseConfigText(file, text);
  const { value, problems: found } = interpolateEnv(written, env);
  const data = value as Mapping;
  const secrets = secretsIn(written, data, env);

  const parsed = configFileSchema.safeParse(data);
  if (!parsed.success) found.push(...describeIssues(parsed.error.issues, written));

  const place: KeyPlace = { file, dir, fileMode: mode, env };
  const keys = connectionEntries(data).map(({ entry, at }) => resolveApiKey(entry, asMapping(valueAt(written, at)) ?? {}, at, place));
  for (const key of keys) {
    if (Array.isArray(key)) found.push(...key);
    else secrets.push(key.apiKey);
  }
  found.push(...duplicateNames(data), ...missingBaseUrls(data), ...sharedFiles(placedSinks(data, dir)));

  if (found.length > 0 || !parsed.success) throw new ConfigFileError(file, toProblems(found), secrets);
  return assemble(parsed.data, keys as ResolvedKey[], file, dir);
}

async function readConfigFile(file: string): Promise<{ text: string; mode: number }> {
  try {
    const [text, status] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { text, mode: status.mode & 0o777 };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'not found: check the path given to --config'
        : code === 'EISDIR'
          ? 'is a directory: give the path of the config file itself'
          : code === 'EACCES'
            ? 'permission denied: the file must be readable by the user running eventsync'
            : `could not be read (${code ?? String(error)})`;
    throw new ConfigFileError(file, [{ path: '', message: why }]);
  }
}

/** YAML (JSON is YAML too) into plain values; syntax errors with their line and column, never the line's text (it may hold a key). */
function parseConfigText(file: string, text: string): Mapping {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (document.errors.length > 0) {
    throw new ConfigFileError(
      file,
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: `line ${line}, column ${col}`, message: error.message.split('\n')[0]! };
      }),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigFileError(file, [{ path: '', message: `could not be read as YAML: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  if (value === null || value === undefined) throw new ConfigFileError(file, [{ path: '', message: 'is empty: it needs at least a connections list' }]);
  const mapping = asMapping(value);
  if (!mapping) {
    const kind = Array.isArray(value) ? 'a list' : 'a single value';
    throw new ConfigFileError(file, [{ path: '', message: `expected a mapping of settings (version, defaults, connections, ...) at the top; got ${kind}` }]);
  }
  return mapping;
}

/** The connections that are mappings, with their places; the schema reports the others. */
function connectionEntries(data: Mapping): { entry: Mapping; at: SettingPath; index: number }[] {
  const list = Array.isArray(data.connections) ? (data.connections as unknown[]) : [];
  return list.flatMap((item, index) => {
    const entry = asMapping(item);
    return entry ? [{ entry, at: ['connections', index] as SettingPath, index }] : [];
  });
}

function duplicateNames(data: Mapping): PathProblem[] {
  const first = new Map<string, number>();
  const problems: PathProblem[] = [];
  for (const { entry, at, index } of connectionEntries(data)) {
    if (typeof entry.name !== 'string') continue;
    const earlier = first.get(entry.name);
    if (earlier === undefined) first.set(entry.name, index);
    else problems.push({ at: [...at, 'name'], message: `${JSON.stringify(entry.name)} is already the name of connections[${earlier}]` });
  }
  return problems;
}

function missingBaseUrls(data: Mapping): PathProblem[] {
  if (asMapping(data.defaults)?.baseUrl !== undefined) return [];
  return connectionEntries(data)
    .filter(({ entry }) => entry.baseUrl === undefined)
    .map(({ at }) => ({ at: [...at, 'baseUrl'], message: "missing: the API's URL, e.g. https://api.example.com (here, or in defaults for every connection)" }));
}

/** Each named connection's sink where it can be read; the schema reports the rest, duplicateNames a second use of a name. */
function placedSinks(data: Mapping, dir: string): PlacedSink[] {
  const defaults = asMapping(data.defaults);
  const names = new Set<string>();
  return connectionEntries(data).flatMap(({ entry, at }): PlacedSink[] => {
    if (typeof entry.name !== 'string' || names.has(entry.name)) return [];
    names.add(entry.name);
    const [text, writtenAt]: [unknown, SettingPath] =
      entry.sink !== undefined ? [entry.sink, [...at, 'sink']] : defaults?.sink !== undefined ? [defaults.sink, ['defaults', 'sink']] : [DEFAULT_SINK, [...at, 'sink']];
    if (typeof text !== 'string') return [];
    try {
      return [{ name: entry.name, writtenAt, sink: resolveSink(text.trim(), entry.name, dir) }];
    } catch {
      return [];
    }
  });
}

function assemble(config: ConfigFile, keys: readonly ResolvedKey[], file: string, dir: string): RunConfig {
  const defaults = config.defaults ?? {};
  const listen = config.listen && { port: config.listen.port, publicUrl: config.listen.publicUrl?.replace(/\/+$/, '') };
  const stateRoot = absolute(defaults.stateDir ?? DEFAULT_STATE_DIR, dir);
  const connections = config.connections.map((entry, index): ConnectionConfig => {
    const key = keys[index]!;
    const policies = entry.rateLimit ?? defaults.rateLimit;
    return {
      name: entry.name,
      client: {
        // The schema and missingBaseUrls saw to it that one of the two is set.
        baseUrl: (entry.baseUrl ?? defaults.baseUrl)!,
        apiKey: key.apiKey,
        preset: entry.preset ?? defaults.preset ?? DEFAULT_PRESET,
        ...(policies ? { policies } : {}),
      },
      keyFile: key.keyFile,
      keySource: key.keySource,
      types: entry.types ?? defaults.types ?? [],
      // Behind webhooks, polling only fills gaps, so it can afford to be slower (as sync).
      pollIntervalMs: entry.pollInterval ?? defaults.pollInterval ?? (listen ? POLL_INTERVAL_MS.behindWebhooks : POLL_INTERVAL_MS.polling),
      pageSize: entry.pageSize ?? defaults.pageSize ?? PAGE_LIMIT_MAX,
      lookbackMs: entry.lookback ?? defaults.lookback,
      budgetShare: entry.budgetShare ?? defaults.budgetShare ?? DEFAULT_BUDGET_SHARE,
      sink: resolveSink(entry.sink ?? defaults.sink ?? DEFAULT_SINK, entry.name, dir),
      tables: { source: entry.name, tablePrefix: entry.tablePrefix ?? defaults.tablePrefix, schema: entry.schema ?? defaults.schema },
      stateDir: join(stateRoot, entry.name),
    };
  });
  return {
    path: file,
    listen,
    metrics: config.metrics && { host: config.metrics.host ?? DEFAULT_METRICS_HOST, port: config.metrics.port },
    alerts: config.alerts && { url: config.alerts.url, lagMs: config.alerts.lag ?? parseDuration(DEFAULT_ALERT_LAG, 'alerts.lag') },
    sharedLimiter: config.sharedLimiter,
    healthIntervalMs: config.healthInterval ?? DEFAULT_HEALTH_INTERVAL_MS,
    connections,
  };
}

/**
 * What no message may show: keys written in the file (wherever they ended up), keys named by
 * apiKeyEnv, and passwords in any URL. Messages are built not to show them; this is the net.
 */
function secretsIn(written: Mapping, data: Mapping, env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const root of [written, data]) {
    for (const { entry } of connectionEntries(root)) {
      if (typeof entry.apiKey === 'string') secrets.push(entry.apiKey, entry.apiKey.trim());
      if (typeof entry.apiKeyEnv === 'string' && env[entry.apiKeyEnv]) secrets.push(env[entry.apiKeyEnv]!);
    }
  }
  const walk = (node: unknown): void => {
    if (typeof node === 'string') secrets.push(...urlSecrets(node.trim()));
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(data);
  return secrets;
}

function asMapping(value: unknown): Mapping | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Mapping) : undefined;
}

function absolute(path: string, dir: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}
