/**
 * A throwaway Postgres server for one test file (or one benchmark): a data directory of its
 * own under a temp folder, listening on 127.0.0.1 only (no Unix socket), a password-
 * authenticated role that owns a database of its own; stop() shuts it down and removes it.
 * Each caller starts its own, so test files that vitest runs in parallel never share one.
 *
 * Postgres refuses to run as root. As root (CI) the server runs as the `postgres` system user,
 * which Debian's package creates (scripts/ensure-postgres.sh installs it), and the temp folder
 * is handed to that user; as anyone else it runs as the caller.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.ts';

const run = promisify(execFile);

export interface PostgresServer {
  /** A role that owns the test database, not a superuser: what a user would give Eventsync. */
  readonly url: string;
  /** The superuser on the same database, for what a test arranges around the storage: roles, tablespaces, killed connections. */
  readonly adminUrl: string;
  readonly port: number;
  /** The temp folder holding the data directory; owned by the server's user. */
  readonly dir: string;
  /** The user the server runs as, for files and mounts it must own. */
  readonly owner: { readonly uid: number; readonly gid: number };
  /** A database of the given name owned by the test role; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const ROLE = 'eventsync';
const DATABASE = 'eventsync';
const SUPERUSER = 'postgres';
const asRoot = process.getuid?.() === 0;

/** Debian's newest server version, else whatever initdb is on the PATH (Homebrew and the like). */
function binary(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((version) => existsSync(join(root, version, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin', name) : name;
}

/** The command line that runs a server binary as the server's user. */
function serverCommand(name: string, args: readonly string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', SUPERUSER, '--', binary(name), ...args]] : [binary(name), [...args]];
}

/** Runs a server binary as the server's user; `cwd` must be a folder that user may enter. */
async function asServer(name: string, args: string[], cwd: string): Promise<void> {
  const [file, argv] = serverCommand(name, args);
  try {
    await run(file, argv, { cwd });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string };
    if (code === 'ENOENT') throw new Error(`${name} not found: run scripts/ensure-postgres.sh (it installs Debian's postgresql)`);
    throw new Error(`${name} ${args[0] ?? ''} failed: ${stderr?.trim() || String(error)}`);
  }
}

function serverOwner(): { uid: number; gid: number } {
  if (!asRoot) return { uid: userInfo().uid, gid: userInfo().gid };
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, SUPERUSER], { encoding: 'utf8' }).trim()));
  return { uid: uid!, gid: gid! };
}

const randomSecret = () => randomBytes(12).toString('hex');

export async function startPostgres(): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-pg-'));
  const data = join(dir, 'data');
  let running = false;
  const stopNow = () => {
    if (!running) return;
    running = false;
    const [file, argv] = serverCommand('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    execFileSync(file, argv, { cwd: dir, stdio: 'ignore' });
  };
  // A test process that ends without stop() (a failed hook) must not leave a server behind.
  process.once('exit', stopNow);
  try {
    const owner = serverOwner();
    await chown(dir, owner.uid, owner.gid);
    const adminPassword = randomSecret();
    const password = randomSecret();
    const passwordFile = join(dir, 'superuser-password');
    await writeFile(passwordFile, adminPassword, { mode: 0o600 });
    await chown(passwordFile, owner.uid, owner.gid);
    // --no-sync: a throwaway cluster need not survive a power cut; the server itself still fsyncs.
    await asServer('initdb', ['-D', data, `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-sync'], dir);
    await rm(passwordFile);
    const port = await listen(dir, data);
    running = true;

    const admin = new pg.Client({ connectionString: `postgres://${SUPERUSER}:${adminPassword}@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${password}'`);
      await admin.query(`CREATE DATABASE ${DATABASE} OWNER ${ROLE}`);
    } finally {
      await admin.end();
    }

    const urlOf = (database: string) => `postgres://${ROLE}:${password}@127.0.0.1:${port}/${database}`;
    const adminUrl = `postgres://${SUPERUSER}:${adminPassword}@127.0.0.1:${port}/${DATABASE}`;
    return {
      url: urlOf(DATABASE),
      adminUrl,
      port,
      dir,
      owner,
      async createDatabase(name) {
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} OWNER ${ROLE}`);
        } finally {
          await client.end();
        }
        return urlOf(name);
      },
      async stop() {
        if (!running) return;
        await asServer('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'], dir);
        running = false;
        process.off('exit', stopNow);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stopNow();
    process.off('exit', stopNow);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts the server on a free loopback port. Another server may take the port between
 * freePort() and the bind; then it tries another.
 */
async function listen(dir: string, data: string): Promise<number> {
  const log = join(dir, 'server.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await appendFile(join(data, 'postgresql.conf'), `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n`);
    try {
      await asServer('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start'], dir);
      return port;
    } catch (error) {
      const text = await readFile(log, 'utf8').catch(() => '');
      if (attempt < 3 && /could not bind|address already in use/i.test(text)) continue;
      throw new Error(`${(error as Error).message}\n${text}`);
    }
  }
}
