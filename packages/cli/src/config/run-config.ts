/**
 * What `eventsync run --config <file>` runs, once the file is read, checked and resolved
 * (load-config.ts): every duration in milliseconds, every path absolute, every key read, every
 * default applied. The command codes against these types only, never against the file's shape.
 */
import type { ClientConfig } from '@eventsync/core';
import type { SinkChoice, TableOptions } from '../sync/settings.js';

export interface RunConfig {
  /** Absolute path of the file. */
  readonly path: string;
  /** One receiver for all connections, each at /webhooks/<name>; publicUrl has no trailing slash. */
  readonly listen: { readonly port: number; readonly publicUrl: string | undefined } | undefined;
  readonly metrics: { readonly host: string; readonly port: number } | undefined;
  readonly alerts: { readonly url: string; readonly lagMs: number } | undefined;
  /** A redis:// URL: the per-key budget shared across processes. */
  readonly sharedLimiter: string | undefined;
  readonly healthIntervalMs: number;
  readonly connections: readonly ConnectionConfig[];
}

export interface ConnectionConfig {
  readonly name: string;
  /** baseUrl, apiKey (resolved), preset, policies (from rateLimit). */
  readonly client: ClientConfig;
  /** Absolute, when the key came from a file (the runner re-reads it on change). */
  readonly keyFile: string | undefined;
  /** For messages: 'env ACME_API_KEY' | 'file /abs/path' | 'inline'. Never the key. */
  readonly keySource: string;
  /** [] = all. */
  readonly types: string[];
  readonly pollIntervalMs: number;
  readonly pageSize: number;
  readonly lookbackMs: number | undefined;
  readonly budgetShare: number;
  /** file (absolute path), sqlite (absolute path) or postgres; never 'stdout' or 'forward'. */
  readonly sink: SinkChoice;
  /** source = name. */
  readonly tables: TableOptions;
  /** Absolute: <stateDir>/<name>. */
  readonly stateDir: string;
}
