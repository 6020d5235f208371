/**
 * The SQLite storage's tables, created and migrated when a storage opens.
 *
 * Versions are rows of `<prefix>migrations`, not SQLite's `user_version`: one file may hold
 * several layouts under different table prefixes, and `user_version` is one number per file.
 * Migrating runs in one `BEGIN IMMEDIATE` transaction, so when two processes open a new file
 * at once, the second waits (busy timeout) for the first to commit, then finds nothing left
 * to do; every statement is also `IF NOT EXISTS`, so a half-known state cannot fail it.
 *
 * The shape each table must have is not written down a second time: it is what the
 * migrations produce on an empty in-memory database, compared column by column (name,
 * declared type, primary key) with the tables found. A table of ours that someone else
 * created first, with another shape, is refused with what differs.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { StorageError } from '../errors.js';
import type { Tables } from './sqlite-tables.js';

type Database = BetterSqlite3.Database;

interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: (tables: Tables) => string;
}

// Append only: a migration that has run somewhere is never edited. Times are ISO 8601 text
// with milliseconds (`toISOString`), so they sort as text; data and checkpoint are JSON text.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, checkpoints and writers',
    sql: (t) => `
      CREATE TABLE IF NOT EXISTS "${t.events}" (
        source TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, created_at TEXT NOT NULL,
        data TEXT NOT NULL, channel TEXT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (source, id));
      CREATE INDEX IF NOT EXISTS "${t.events}_source_created_at" ON "${t.events}" (source, created_at);
      CREATE TABLE IF NOT EXISTS "${t.checkpoints}" (
        source TEXT NOT NULL PRIMARY KEY, checkpoint TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS "${t.writers}" (
        source TEXT NOT NULL PRIMARY KEY, token TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
        started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL);`,
  },
];

/** The layout version this code writes. */
export const LAYOUT_VERSION = MIGRATIONS.at(-1)!.version;

const allTables = (t: Tables): string[] => [t.migrations, t.events, t.checkpoints, t.writers];

const migrationsTable = (t: Tables): string =>
  `CREATE TABLE IF NOT EXISTS "${t.migrations}" (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)`;

/**
 * Brings the tables under `tables` to LAYOUT_VERSION and checks their shape.
 * @throws StorageError when a table has another shape or a newer Eventsync laid the file out;
 *   SQLite's own errors (busy, not a database, disk full) pass through for the caller to word.
 */
export function migrate(db: Database, tables: Tables, file: string, Driver: typeof BetterSqlite3): void {
  const expected = expectedShapes(Driver, tables);
  db.transaction(() => {
    checkShape(db, tables.migrations, expected, file, 'if-present');
    db.exec(migrationsTable(tables));
    const applied = (db.prepare(`SELECT coalesce(max(version), 0) AS version FROM "${tables.migrations}"`).get() as { version: number }).version;
    if (applied > LAYOUT_VERSION) {
      throw new StorageError(
        `could not open the SQLite database ${file}: its tables (prefix ${tables.prefix}) were laid out by a newer Eventsync ` +
          `(layout version ${applied}; this one knows up to ${LAYOUT_VERSION}). Upgrade Eventsync, or use another table prefix.`,
        file,
        undefined,
      );
    }
    // Tables of ours that are there before any migration was recorded are someone else's:
    // check them first, or a migration statement would fail on them with a bare SQL error.
    if (applied === 0) for (const table of allTables(tables)) checkShape(db, table, expected, file, 'if-present');
    const record = db.prepare(`INSERT INTO "${tables.migrations}" (version, description, applied_at) VALUES (?, ?, ?)`);
    for (const migration of MIGRATIONS) {
      if (migration.version <= applied) continue;
      db.exec(migration.sql(tables));
      record.run(migration.version, migration.description, new Date().toISOString());
    }
    for (const table of allTables(tables)) checkShape(db, table, expected, file, 'required');
  }).immediate();
}

interface Column {
  readonly name: string;
  readonly type: string;
  readonly notnull: number;
  readonly dflt_value: unknown;
  /** Position in the primary key, from 1; 0 when not part of it. */
  readonly pk: number;
}

type Shapes = ReadonlyMap<string, readonly Column[]>;

/** What the migrations produce on an empty database: the one statement of each table's shape. */
function expectedShapes(Driver: typeof BetterSqlite3, tables: Tables): Shapes {
  const scratch = new Driver(':memory:');
  try {
    scratch.exec(migrationsTable(tables));
    for (const migration of MIGRATIONS) scratch.exec(migration.sql(tables));
    return new Map(allTables(tables).map((table) => [table, columnsOf(scratch, table)]));
  } finally {
    scratch.close();
  }
}

function columnsOf(db: Database, table: string): Column[] {
  return db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`).all(table) as Column[];
}

function checkShape(db: Database, table: string, expected: Shapes, file: string, presence: 'if-present' | 'required'): void {
  const want = expected.get(table)!;
  const found = new Map(columnsOf(db, table).map((column) => [column.name, column]));
  if (found.size === 0 && presence === 'if-present') return;
  const differences: string[] = [];
  for (const column of want) {
    const have = found.get(column.name);
    if (!have) differences.push(`column ${column.name} is missing`);
    else if (have.type.toUpperCase() !== column.type) differences.push(`column ${column.name} is ${have.type || 'untyped'}, not ${column.type}`);
  }
  const key = (columns: Iterable<Column>): string =>
    [...columns]
      .filter((column) => column.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((column) => column.name)
      .join(', ');
  if (key(found.values()) !== key(want)) differences.push(`its primary key is (${key(found.values())}), not (${key(want)})`);
  for (const [name, column] of found) {
    // Extra columns are the user's business, unless they make our inserts fail.
    if (!want.some((w) => w.name === name) && column.notnull && column.dflt_value === null) differences.push(`column ${name} is NOT NULL without a default`);
  }
  if (differences.length === 0) return;
  throw new StorageError(
    `could not open the SQLite database ${file}: table ${table} exists with another shape than Eventsync's: ${differences.join('; ')}. ` +
      'Rename or drop that table, or choose another table prefix.',
    file,
    undefined,
  );
}
