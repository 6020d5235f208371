/**
 * `eventsync sync`'s flags, checked and turned into settings before anything starts: a
 * usage error must not leave an embedded sandbox running or a file half-created.
 */
import { EVENT_TYPES, isEventType, PAGE_LIMIT_MAX } from '@eventsync/core';
import { resolveConnection, type Connection, type ConnectionFlags } from '../connection.js';
import { parseDuration } from '../durations.js';
import type { OpsFlags } from '../ops/ops-settings.js';
import { UsageError } from '../usage-error.js';

export interface SyncFlags extends ConnectionFlags, OpsFlags {
  readonly sink?: string;
  readonly source?: string;
  readonly tablePrefix?: string;
  readonly schema?: string;
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

/** Where the events go: a file (the default), stdout, a database, or an existing handler. */
export type SinkChoice =
  | { readonly kind: 'file'; readonly path: string | undefined }
  | { readonly kind: 'stdout' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'forward'; readonly url: string; readonly secret: string };

/** How a database sink names its rows and tables. */
export interface TableOptions {
  /** The rows' `source`; default: the API's tenant and host. */
  readonly source: string | undefined;
  readonly tablePrefix: string | undefined;
  /** Postgres only. */
  readonly schema: string | undefined;
}

export interface SyncSettings {
  readonly connection: Connection;
  readonly types: string[];
  readonly pageSize: number;
  readonly budgetShare: number;
  readonly lookbackMs: number | undefined;
  readonly pollIntervalMs: number;
  readonly healthIntervalMs: number;
  /** Receive webhooks on this port; on (a free port) with the embedded sandbox. */
  readonly listenPort: number | undefined;
  readonly sink: SinkChoice;
  readonly tables: TableOptions;
}

export function parseSyncSettings(flags: SyncFlags, env: NodeJS.ProcessEnv): SyncSettings {
  const connection = resolveConnection(flags, env);
  // The embedded sandbox shows the whole design: webhooks first, polling behind them.
  const listenPort = flags.listen !== undefined ? parsePort(flags.listen) : connection.kind === 'none' ? 0 : undefined;
  if (flags.publicUrl !== undefined && listenPort === undefined) throw new UsageError('--public-url goes with --listen <port>');
  return {
    connection,
    types: parseTypes(flags.types),
    pageSize: parsePageSize(flags.pageSize),
    budgetShare: parseBudgetShare(flags.budgetShare),
    lookbackMs: flags.lookback === undefined ? undefined : parseDuration(flags.lookback, '--lookback'),
    // Behind webhooks, polling only fills gaps, so it can afford to be slower.
    pollIntervalMs: parseDuration(flags.pollInterval ?? (listenPort === undefined ? '2s' : '15s'), '--poll-interval'),
    healthIntervalMs: parseDuration(flags.healthInterval, '--health-interval'),
    listenPort,
    sink: parseSinkChoice(flags, env),
    tables: parseTableOptions(flags),
  };
}

/** `a,b` into event types, checked against the API's list; empty or `*` means all. */
export function parseTypes(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '' || text.trim() === '*') return [];
  const types = text.split(',').map((type) => type.trim()).filter(Boolean);
  const unknown = types.filter((type) => !isEventType(type));
  if (unknown.length > 0) {
    throw new UsageError(`unknown event type ${unknown.map((type) => `"${type}"`).join(', ')}; types are lower-case: ${EVENT_TYPES.join(', ')}`);
  }
  return types;
}

/** One sink at most; `--forward` needs the secret its handler verifies with. */
function parseSinkChoice(flags: SyncFlags, env: NodeJS.ProcessEnv): SinkChoice {
  const chosen = [flags.sink !== undefined, flags.out !== undefined, flags.stdout === true, flags.forward !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --sink, --out, --stdout and --forward');
  if (flags.sink !== undefined) return parseSinkUrl(flags.sink);
  if (flags.stdout) return { kind: 'stdout' };
  if (flags.forward === undefined) return { kind: 'file', path: flags.out };
  if (!URL.canParse(flags.forward)) throw new UsageError(`--forward takes the handler's URL, e.g. https://example.com/webhooks; got "${flags.forward}"`);
  const secret = env.EVENTSYNC_FORWARD_SECRET;
  if (!secret) throw new UsageError('--forward signs each event: put the secret your handler verifies with in EVENTSYNC_FORWARD_SECRET');
  return { kind: 'forward', url: flags.forward, secret };
}

/** `file:<path>`, `-`, `sqlite:<path>`, `postgres://...` or `postgresql://...`. */
export function parseSinkUrl(text: string): SinkChoice {
  if (text === '-') return { kind: 'stdout' };
  const [scheme, rest] = [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)];
  if (scheme === 'file' && rest !== '') return { kind: 'file', path: rest.replace(/^\/\/(?=\/)/, '') };
  if (scheme === 'sqlite' && rest !== '') return { kind: 'sqlite', path: rest.replace(/^\/\/(?=\/)/, '') };
  if ((scheme === 'postgres' || scheme === 'postgresql') && URL.canParse(text)) return { kind: 'postgres', url: text };
  throw new UsageError(
    `--sink takes file:<path>, sqlite:<path>, postgres://user:password@host/database or - for stdout; got "${text.includes('@') ? `${scheme}:…` : text}"`,
  );
}

/** --source, --table-prefix and --schema, checked; sync and replay take them alike. */
export function parseTableOptions(flags: Pick<SyncFlags, 'source' | 'tablePrefix' | 'schema'>): TableOptions {
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/;
  if (flags.tablePrefix !== undefined && !name.test(flags.tablePrefix)) {
    throw new UsageError(`--table-prefix takes letters, digits and underscores, starting with a letter or underscore; got "${flags.tablePrefix}"`);
  }
  if (flags.schema !== undefined && !name.test(flags.schema)) throw new UsageError(`--schema takes a plain schema name; got "${flags.schema}"`);
  if (flags.source !== undefined && flags.source.trim() === '') throw new UsageError('--source takes a name for this connection, e.g. acme-production');
  return { source: flags.source, tablePrefix: flags.tablePrefix, schema: flags.schema };
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
