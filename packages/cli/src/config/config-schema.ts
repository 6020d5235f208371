/**
 * The config file's shape (docs/config-file.md) as a zod schema: every object strict, so a
 * misspelt setting is an error rather than a default silently kept, and every value parsed
 * (config-values.ts) into what the runner uses. What needs more than one value at a time (one
 * key per connection, unique names, files not shared) or the disk and the environment (key
 * files, key variables, the file's mode) is load-config.ts's, after this.
 */
import { z } from 'zod';
import {
  budgetShare,
  connectionName,
  duration,
  eventTypes,
  httpUrl,
  pageSize,
  port,
  preset,
  rateLimit,
  redisUrl,
  sink,
  sqlName,
  text,
  version,
} from './config-values.js';

/** What `defaults` sets for every connection, and each connection may set for itself. */
const overridable = {
  baseUrl: httpUrl({ credentials: 'refuse' }).optional(),
  preset: preset.optional(),
  sink: sink.optional(),
  tablePrefix: sqlName.optional(),
  schema: sqlName.optional(),
  types: eventTypes.optional(),
  pollInterval: duration({ positive: true }).optional(),
  pageSize: pageSize.optional(),
  lookback: duration({ positive: false }).optional(),
  budgetShare: budgetShare.optional(),
  rateLimit: rateLimit.optional(),
};

export const defaultsSchema = z.strictObject({
  ...overridable,
  /** Each connection's state goes in <stateDir>/<name>. */
  stateDir: text('a directory').optional(),
});

export const connectionSchema = z.strictObject({
  name: connectionName,
  ...overridable,
  apiKeyEnv: text('the name of an environment variable', { secret: true }).optional(),
  apiKeyFile: text('a file name').optional(),
  apiKey: text('an API key', { secret: true }).optional(),
});

export const listenSchema = z.strictObject({
  port,
  publicUrl: httpUrl({ credentials: 'allow' }).optional(),
});

export const metricsSchema = z.strictObject({
  port,
  host: text('a host name or address').optional(),
});

export const alertsSchema = z.strictObject({
  url: httpUrl({ credentials: 'allow', secretInPath: true }),
  lag: duration({ positive: true }).optional(),
});

export const configFileSchema = z.strictObject({
  version: version.optional(),
  defaults: defaultsSchema.optional(),
  healthInterval: duration({ positive: true }).optional(),
  listen: listenSchema.optional(),
  metrics: metricsSchema.optional(),
  alerts: alertsSchema.optional(),
  sharedLimiter: redisUrl.optional(),
  connections: z.array(connectionSchema).min(1, { error: 'is empty: list at least one connection (name, baseUrl and its key)' }),
});

/** The file as parsed: values checked and converted, defaults not yet applied. */
export type ConfigFile = z.output<typeof configFileSchema>;
export type ConnectionEntry = z.output<typeof connectionSchema>;
export type DefaultsEntry = z.output<typeof defaultsSchema>;

/** The settings each kind of mapping takes, for "unknown setting (did you mean ...?)". */
export const SETTINGS = {
  top: Object.keys(configFileSchema.shape),
  defaults: Object.keys(defaultsSchema.shape),
  connection: Object.keys(connectionSchema.shape),
  listen: Object.keys(listenSchema.shape),
  metrics: Object.keys(metricsSchema.shape),
  alerts: Object.keys(alertsSchema.shape),
} as const;

export type SettingsPlace = keyof typeof SETTINGS;
