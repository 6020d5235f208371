/**
 * A failure of the SQLite storage as one line a user can act on: which file, what is wrong in
 * words, and what to do. better-sqlite3 throws `SqliteError` with the (extended) result code in
 * `code` (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, ...); the file system checks before opening
 * throw Node's errnos. Both become a StorageError whose `systemCode` keeps the code.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '../errors.js';
import { CAUSES } from './storage-error.js';

/** What the failed step was, and what became of the work in hand. */
export interface FailureContext {
  /** The database file. */
  readonly file: string;
  /** Completes "could not ...": e.g. "commit to". */
  readonly doing: string;
  /** Appended to the message: e.g. "Nothing of this commit was kept; ...". */
  readonly after: string;
  /** How long SQLite waited for a lock before giving up, for SQLITE_BUSY's message. */
  readonly busyTimeoutMs: number;
}

export function sqliteFailure(thrown: unknown, context: FailureContext): StorageError {
  if (thrown instanceof StorageError) return thrown;
  const code = typeof (thrown as { code?: unknown } | undefined)?.code === 'string' ? (thrown as { code: string }).code : undefined;
  const said = (thrown instanceof Error ? thrown.message : String(thrown)).replace(/\s+/g, ' ').trim();
  const cause = explain(code, said, context);
  return new StorageError(`could not ${context.doing} the SQLite database ${context.file}: ${cause} ${context.after}`, context.file, code);
}

/** The cause in words and what to do about it; the primary code decides (`SQLITE_IOERR_WRITE` is an `SQLITE_IOERR`). */
function explain(code: string | undefined, said: string, { file, busyTimeoutMs }: FailureContext): string {
  const primary = code?.match(/^SQLITE_[A-Z]+/)?.[0];
  switch (primary) {
    case 'SQLITE_FULL':
      return `the disk is full (${code}). Free space on it.`;
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return (
        `another connection kept the database locked for more than ${busyTimeoutMs / 1000} s (${code}): ` +
        'a long transaction elsewhere (a database browser, a backup, a script) holds it. End that transaction.'
      );
    case 'SQLITE_NOTADB':
      return `the file is not a SQLite database (${code}). Point the storage at another file, or move that one away.`;
    case 'SQLITE_CORRUPT':
      return `the database is corrupt (${code}): ${said}. Restore it from a backup, or move it away and sync again.`;
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return `the database is read-only to this process (${code}). Make ${file} and its directory writable by this user.`;
    case 'SQLITE_CANTOPEN':
      return `the file cannot be opened (${code}). Check that its directory exists and that this user may create files there.`;
    case 'SQLITE_IOERR':
      return `an I/O error on the device (${code}): ${said}. Check the disk.`;
  }
  return `${said}${code ? ` (${code})` : ''}.`;
}

/**
 * Checks, before SQLite opens `file`, that its directory exists and that this process may
 * create files there (SQLite's own SQLITE_CANTOPEN does not say which): WAL mode needs
 * `<file>-wal` and `<file>-shm` beside the database even when the database itself exists.
 */
export function checkDirectory(file: string): void {
  const dir = dirname(file);
  const problem = (code: string, words: string, todo: string): StorageError =>
    new StorageError(`could not open the SQLite database ${file}: ${words} (${code}). ${todo}`, file, code);
  const elsewhere = 'or point the storage at another path.';
  const fail = (thrown: unknown, words: string, todo: string): StorageError => {
    const code = (thrown as NodeJS.ErrnoException).code ?? 'EACCES';
    return problem(code, `${words}: ${CAUSES[code] ?? (thrown as Error).message}`, todo);
  };
  let stat;
  try {
    stat = statSync(dir, { throwIfNoEntry: false });
  } catch (thrown) {
    throw fail(thrown, `its directory ${dir} cannot be reached`, `Make it and the directories above it searchable by this user, ${elsewhere}`);
  }
  if (!stat) throw problem('ENOENT', `its directory ${dir} does not exist`, `Create it (mkdir -p ${dir}), ${elsewhere}`);
  if (!stat.isDirectory()) throw problem('ENOTDIR', `${dir} is not a directory`, `Move that file away, ${elsewhere}`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (thrown) {
    const todo = `Make it writable by this user (SQLite keeps ${file}-wal and ${file}-shm beside the database), ${elsewhere}`;
    throw fail(thrown, `its directory ${dir} is not writable`, todo);
  }
}
