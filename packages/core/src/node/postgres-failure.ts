/**
 * A failure of the Postgres storage as one line a user can act on: what is wrong, with which
 * database (its URL, password masked), and what to do. Codes are the server's SQLSTATEs and
 * Node's errnos for the socket.
 */
import { DatabaseStorageError, type DatabaseProblem } from '../errors.js';
import { TableShapeError } from './postgres-layout.js';
import type { PostgresTarget } from './postgres-target.js';

export interface FailureContext {
  readonly target: PostgresTarget;
  /** The storage's description: database and table, password masked. */
  readonly where: string;
  /** Appended to every message: what became of the work in hand (e.g. "Nothing of this commit was kept ..."). */
  readonly after: string;
}

/** The pg driver's own wording when its connect timeout fires; it gives no code. */
const TIMEOUT_MESSAGE = /timeout/i;
/** The pg driver's wording when the server closes the socket under a query. */
const LOST_MESSAGE = /Connection terminated|Client has encountered a connection error/i;

export function postgresFailure(thrown: unknown, context: FailureContext): DatabaseStorageError {
  if (thrown instanceof DatabaseStorageError) return thrown;
  if (thrown instanceof TableShapeError) {
    return new DatabaseStorageError(
      `${thrown.message}. Eventsync creates and owns that table: rename or drop it, or give Eventsync another schema or table prefix. ${context.after}`,
      context.where,
      'table-shape',
      undefined,
    );
  }
  const code = typeof (thrown as { code?: unknown } | undefined)?.code === 'string' ? (thrown as { code: string }).code : undefined;
  const said = context.target.redact(thrown instanceof Error ? thrown.message : String(thrown)).replace(/\s+/g, ' ').trim();
  const [problem, text] = explain(code, said, context.target);
  return new DatabaseStorageError(`${text} ${context.after}`.trim(), context.where, problem, code);
}

function explain(code: string | undefined, said: string, target: PostgresTarget): [DatabaseProblem, string] {
  const at = target.masked;
  const { user, database } = target;
  switch (code) {
    case 'ECONNREFUSED':
      return ['unreachable', `could not reach the database at ${at}: connection refused (ECONNREFUSED). Check that Postgres is running there and that the URL's host and port are right.`];
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return ['unreachable', `could not reach the database at ${at}: unknown host (${code}). Check the host name in the URL.`];
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return ['unreachable', `could not reach the database at ${at}: no answer (${code}). Check the URL's host and port, and that no firewall drops the connection.`];
    case 'ECONNRESET':
    case 'EPIPE':
    case '57P01': // admin_shutdown: the server shut down, or someone ended this connection
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now: starting up or shutting down
      return ['connection-lost', `lost the connection to the database at ${at}: ${said} (${code}).`];
    case '28P01':
      return ['authentication', `the database at ${at} refused the password for user "${user}" (28P01). Check the password in the URL.`];
    case '28000':
      return ['authentication', `the database at ${at} does not let user "${user}" connect from here: ${said} (28000). Check its pg_hba.conf, or the user in the URL.`];
    case '3D000':
      return ['missing-database', `database "${database}" does not exist at ${at} (3D000). Create it (createdb ${database}) or fix the database name in the URL.`];
    case '42501':
      return ['permission', `user "${user}" lacks a permission Eventsync needs in database "${database}": ${said} (42501). Grant it (to create the tables: GRANT CREATE ON SCHEMA <schema> TO "${user}"), or run Eventsync once as a user who may create them.`];
    case '53100':
      return ['disk-full', `the database server at ${at} has no disk space left: ${said} (53100). Free space on it.`];
    case '53300':
      return ['unreachable', `the database at ${at} has no free connection slot (53300). Close other connections or raise max_connections.`];
    case '22P05':
    case '22021':
      return ['unstorable-event', `the database cannot store an event's text: ${said} (${code}).`];
  }
  if (code === undefined && TIMEOUT_MESSAGE.test(said)) {
    return ['unreachable', `could not reach the database at ${at}: no answer within the connect timeout. Check the URL's host and port, and that no firewall drops the connection.`];
  }
  if (code === undefined && LOST_MESSAGE.test(said)) return ['connection-lost', `lost the connection to the database at ${at}: ${said}.`];
  return ['other', `the database at ${at} failed: ${said}${code ? ` (${code})` : ''}.`];
}
