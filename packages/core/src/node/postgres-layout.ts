/**
 * The Postgres storage's tables, created and migrated when a storage opens, and the tables of
 * the workers that share connections (postgres-leases.ts), created when leases open.
 *
 * Migrations are numbered, each for one table set: `sink` (events, checkpoints) or
 * `coordination` (leases, workers, lease history). A storage migrates only `sink`, so a sync
 * without workers gets no lease tables and needs no CREATE privilege for them; one
 * `<prefix>migrations` table records each migration applied, whichever set. They run in one
 * transaction that first takes a transaction-level advisory lock on (schema, prefix): two
 * processes opening at once queue on it, and the second finds the work done. (Without the
 * lock, two concurrent `CREATE TABLE IF NOT EXISTS` can still collide in the catalog.) A
 * statement is only run when a migration is missing, so a role without CREATE can open tables
 * that an owner created.
 *
 * A table of ours that exists with another shape (a user's table of the same name, or ours
 * altered by hand) is refused on open with what differs, rather than failing later on an
 * insert: before migrating when nothing is recorded yet (such tables would be adopted by
 * `IF NOT EXISTS`), and after migrating otherwise.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

/**
 * What migrating needs of a connection; pg's clients fit it. Structural, so that these
 * declarations (exported for the CLI's readers) need no @types/pg in a consumer.
 */
export interface Queryable {
  query<Row extends object>(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
}

export interface Column {
  readonly name: string;
  /** As Postgres's format_type() spells it. */
  readonly type: string;
}

interface TableShape {
  readonly columns: readonly Column[];
  readonly primaryKey: readonly string[];
}

type TableRole = 'events' | 'checkpoints' | 'migrations' | 'leases' | 'workers' | 'lease_history';
/** Which tables a caller needs: a storage the sink's, a worker pool the coordination tables. */
export type TableSet = 'sink' | 'coordination';

const SHAPES: Readonly<Record<TableRole, TableShape>> = {
  events: {
    columns: [
      { name: 'source', type: 'text' },
      { name: 'id', type: 'text' },
      { name: 'type', type: 'text' },
      { name: 'created_at', type: 'timestamp with time zone' },
      { name: 'data', type: 'jsonb' },
      { name: 'channel', type: 'text' },
      { name: 'received_at', type: 'timestamp with time zone' },
    ],
    primaryKey: ['source', 'id'],
  },
  checkpoints: {
    columns: [
      { name: 'source', type: 'text' },
      { name: 'checkpoint', type: 'jsonb' },
      { name: 'updated_at', type: 'timestamp with time zone' },
    ],
    primaryKey: ['source'],
  },
  migrations: {
    columns: [
      { name: 'version', type: 'integer' },
      { name: 'name', type: 'text' },
      { name: 'applied_at', type: 'timestamp with time zone' },
    ],
    primaryKey: ['version'],
  },
  leases: {
    columns: [
      { name: 'connection', type: 'text' },
      { name: 'owner', type: 'text' },
      { name: 'epoch', type: 'bigint' },
      { name: 'expires_at', type: 'timestamp with time zone' },
      { name: 'acquired_at', type: 'timestamp with time zone' },
      { name: 'last_error', type: 'text' },
      { name: 'updated_at', type: 'timestamp with time zone' },
    ],
    primaryKey: ['connection'],
  },
  workers: {
    columns: [
      { name: 'worker', type: 'text' },
      { name: 'host', type: 'text' },
      { name: 'pid', type: 'integer' },
      { name: 'started_at', type: 'timestamp with time zone' },
      { name: 'heartbeat_at', type: 'timestamp with time zone' },
      { name: 'expires_at', type: 'timestamp with time zone' },
      { name: 'connections', type: 'text[]' },
    ],
    primaryKey: ['worker'],
  },
  lease_history: {
    columns: [
      { name: 'connection', type: 'text' },
      { name: 'epoch', type: 'bigint' },
      { name: 'owner', type: 'text' },
      { name: 'acquired_at', type: 'timestamp with time zone' },
      { name: 'first_commit_at', type: 'timestamp with time zone' },
      { name: 'last_commit_at', type: 'timestamp with time zone' },
      { name: 'commits', type: 'bigint' },
    ],
    primaryKey: ['connection', 'epoch'],
  },
};

/** Longest prefix whose table and index names stay within Postgres's 63 bytes. */
const MAX_PREFIX = 30;
/** A name SQL accepts without quotes. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class PostgresLayout {
  /**
   * As the catalog stores them. A plain name is taken as SQL takes it unquoted, in lowercase,
   * so that `SELECT ... FROM Reporting.MyApp_events` finds the tables; any other schema name
   * is used exactly as given.
   */
  readonly schema: string;
  readonly prefix: string;
  readonly names: Readonly<Record<TableRole, string>>;
  /** Qualified and quoted, for SQL text. */
  readonly events: string;
  readonly checkpoints: string;
  readonly migrations: string;
  readonly leases: string;
  readonly workers: string;
  readonly leaseHistory: string;

  /** @throws ConfigError for a schema or prefix Eventsync will not name tables with. */
  constructor(schema: string, prefix: string) {
    if (!PLAIN_NAME.test(prefix) || prefix.length > MAX_PREFIX) {
      throw new ConfigError(`the table prefix "${prefix}" must be at most ${MAX_PREFIX} letters, digits and underscores, not starting with a digit`, 'tablePrefix');
    }
    if (schema === '' || Buffer.byteLength(schema) > 63) throw new ConfigError(`the schema name "${schema}" must be 1 to 63 bytes long`, 'schema');
    this.schema = PLAIN_NAME.test(schema) ? schema.toLowerCase() : schema;
    this.prefix = prefix.toLowerCase();
    const names: Record<TableRole, string> = { events: '', checkpoints: '', migrations: '', leases: '', workers: '', lease_history: '' };
    for (const role of Object.keys(names) as TableRole[]) names[role] = `${this.prefix}${role}`;
    this.names = names;
    this.events = this.qualified(names.events);
    this.checkpoints = this.qualified(names.checkpoints);
    this.migrations = this.qualified(names.migrations);
    this.leases = this.qualified(names.leases);
    this.workers = this.qualified(names.workers);
    this.leaseHistory = this.qualified(names.lease_history);
  }

  qualified(name: string): string {
    return `${quote(this.schema)}.${quote(name)}`;
  }

  /** An advisory lock key for `purpose` within these tables (advisory locks are per database). */
  lockKey(purpose: string, ...more: string[]): string {
    const digest = createHash('sha256').update(JSON.stringify(['eventsync', purpose, this.schema, this.prefix, ...more])).digest();
    return digest.readBigInt64BE(0).toString();
  }
}

interface Migration {
  /** Unique across sets, so one migrations table records both. */
  readonly version: number;
  readonly set: TableSet;
  readonly name: string;
  /** The tables it creates: checked before it runs, since `IF NOT EXISTS` would adopt a stranger's. */
  readonly creates: readonly TableRole[];
  statements(layout: PostgresLayout): string[];
}

/** Each migration's statements, in order within its set; never edit one that has shipped: add the next. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    set: 'sink',
    name: 'events and checkpoints',
    creates: ['events', 'checkpoints'],
    statements: (layout) => [
      `CREATE TABLE IF NOT EXISTS ${layout.events} (
        source text NOT NULL, id text NOT NULL, type text NOT NULL, created_at timestamptz NOT NULL, data jsonb NOT NULL,
        channel text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, id))`,
      `CREATE INDEX IF NOT EXISTS ${quote(`${layout.prefix}events_source_created_at`)} ON ${layout.events} (source, created_at)`,
      `CREATE TABLE IF NOT EXISTS ${layout.checkpoints} (source text PRIMARY KEY, checkpoint jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    ],
  },
  {
    version: 2,
    set: 'coordination',
    name: 'leases, workers and lease history',
    creates: ['leases', 'workers', 'lease_history'],
    statements: (layout) => [
      // A row per connection; owner and expires_at null when nobody holds it. epoch counts the claims.
      `CREATE TABLE IF NOT EXISTS ${layout.leases} (
        connection text PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz,
        acquired_at timestamptz, last_error text, updated_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS ${layout.workers} (
        worker text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${layout.leaseHistory} (
        connection text NOT NULL, epoch bigint NOT NULL, owner text NOT NULL, acquired_at timestamptz NOT NULL,
        first_commit_at timestamptz, last_commit_at timestamptz, commits bigint NOT NULL DEFAULT 0, PRIMARY KEY (connection, epoch))`,
    ],
  },
  {
    version: 3,
    set: 'coordination',
    name: 'the connections each worker is configured with',
    creates: [],
    // What the worker registered ('{}' until it does); null only on the rows of workers of earlier versions.
    statements: (layout) => [`ALTER TABLE ${layout.workers} ADD COLUMN IF NOT EXISTS connections text[]`],
  },
];

/** The tables each set needs (besides the migrations table). */
const SET_TABLES: Readonly<Record<TableSet, readonly TableRole[]>> = {
  sink: ['events', 'checkpoints'],
  coordination: ['leases', 'workers', 'lease_history'],
};

/** Thrown by `migrate` for a table that exists with another shape; the storage words it for the user. */
export class TableShapeError extends Error {
  constructor(
    readonly table: string,
    readonly differences: readonly string[],
  ) {
    super(`table ${table} exists with another shape: ${differences.join('; ')}`);
  }
}

/** Creates or migrates the tables of `set`, then checks their shape; `client` must not be in a transaction. */
export async function migrate(client: Queryable, layout: PostgresLayout, set: TableSet = 'sink'): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [layout.lockKey('migrate')]);
    // Asked first: CREATE ... IF NOT EXISTS needs the privilege even when there is nothing to create.
    const schema = await client.query<{ found: boolean }>('SELECT to_regnamespace($1) IS NOT NULL AS found', [quote(layout.schema)]);
    if (!schema.rows[0]!.found) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(layout.schema)}`);
    const before = await readShapes(client, layout);
    check(before, layout, ['migrations']);
    if (!before.has(layout.names.migrations)) {
      await client.query(`CREATE TABLE ${layout.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${layout.migrations}`);
    const applied = new Set(rows.map((row) => row.version));
    const pending = MIGRATIONS.filter((migration) => migration.set === set && !applied.has(migration.version));
    const created = pending.flatMap((migration) => migration.creates);
    check(before, layout, created);
    for (const migration of pending) {
      for (const statement of migration.statements(layout)) await client.query(statement);
      await client.query(`INSERT INTO ${layout.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
    // Tables made by earlier runs are checked after migrating: a pending migration may be what fixes their shape.
    const existing = SET_TABLES[set].filter((role) => !created.includes(role));
    if (existing.length > 0) check(pending.length > 0 ? await readShapes(client, layout) : before, layout, existing);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

interface FoundTable {
  readonly kind: string;
  readonly columns: ReadonlyArray<Column & { readonly required: boolean }>;
  readonly primaryKey: readonly string[];
}

async function readShapes(client: Queryable, layout: PostgresLayout): Promise<Map<string, FoundTable>> {
  const { rows } = await client.query<{ table: string; kind: string; column: string | null; type: string | null; required: boolean | null; primary_key: string[] }>(
    `SELECT c.relname AS table, c.relkind AS kind, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AND NOT a.atthasdef AS required,
            array(SELECT k.attname::text FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS u(attnum, position)
                  JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = u.attnum
                  WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY u.position) AS primary_key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[])
      ORDER BY c.relname, a.attnum`,
    [layout.schema, Object.values(layout.names)],
  );
  const tables = new Map<string, { kind: string; columns: Array<Column & { required: boolean }>; primaryKey: string[] }>();
  for (const row of rows) {
    const table = tables.get(row.table) ?? { kind: row.kind, columns: [], primaryKey: row.primary_key };
    tables.set(row.table, table);
    if (row.column !== null) table.columns.push({ name: row.column, type: row.type!, required: row.required! });
  }
  return tables;
}

/** Throws TableShapeError for the first of `roles`' tables that exists and would not take our rows. */
function check(found: ReadonlyMap<string, FoundTable>, layout: PostgresLayout, roles: readonly TableRole[]): void {
  for (const role of roles) {
    const table = found.get(layout.names[role]);
    if (!table) continue;
    const differences = differ(table, SHAPES[role]);
    if (differences.length > 0) throw new TableShapeError(`${layout.schema}.${layout.names[role]}`, differences);
  }
}

function differ(table: FoundTable, expected: TableShape): string[] {
  if (table.kind !== 'r' && table.kind !== 'p') return ['it is not a table'];
  const differences: string[] = [];
  const columns = new Map(table.columns.map((column) => [column.name, column]));
  for (const want of expected.columns) {
    const have = columns.get(want.name);
    if (!have) differences.push(`column ${want.name} is missing`);
    else if (have.type !== want.type) differences.push(`column ${want.name} is ${have.type}, expected ${want.type}`);
  }
  const known = new Set(expected.columns.map((column) => column.name));
  for (const extra of table.columns) {
    if (!known.has(extra.name) && extra.required) differences.push(`column ${extra.name} is not ours and is NOT NULL without a default`);
  }
  if (table.primaryKey.join(',') !== expected.primaryKey.join(',')) {
    const have = table.primaryKey.length > 0 ? `(${table.primaryKey.join(', ')})` : 'missing';
    differences.push(`the primary key is ${have}, expected (${expected.primaryKey.join(', ')})`);
  }
  return differences;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
