/**
 * One writer per output: a lock file holding the writer's pid and host (beside an NDJSON file,
 * or in the state directory of an output that has no file). A lock whose process is gone (a
 * kill -9 on this host) is stale and taken over; a live one refuses the second sync with a
 * message naming it.
 *
 * Syncs started at the same moment race for it (packages/core/test/writer-lock.test.ts):
 * - The lock appears whole: it is written to a file of this process's own and hard-linked
 *   into place, which fails if a lock is there. Created empty and then written, a rival could
 *   read it empty, judge it stale and take it too.
 * - A stale lock is taken over by one sync at a time, holding `<lock>.takeover` (made the
 *   same way), and deleted only if it still names the dead writer. Two syncs that found the
 *   same dead lock would otherwise both delete it, the second deleting the lock the first had
 *   just taken. A takeover lock left by a sync killed in those few milliseconds is stale by
 *   the same test of its pid.
 */
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError } from '../errors.js';
import { storageError } from './storage-error.js';

export interface StateLock {
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
}

export async function acquireLock(path: string, what: string): Promise<StateLock> {
  const directory = dirname(path);
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw storageError(directory, 'create the directory', error);
  }
  const me = JSON.stringify({ pid: process.pid, host: hostname() } satisfies LockOwner);
  const takeover = `${path}.takeover`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await createWhole(path, me)) return { release: () => rm(path, { force: true }) };
    const owner = await readOwner(path);
    if (owner && isAlive(owner)) {
      throw new StorageError(
        `another sync (pid ${owner.pid} on ${owner.host}) is writing ${what}; stop it first, or give this one another --state-dir and output`,
        path,
        'locked',
      );
    }
    if (await createWhole(takeover, me)) {
      try {
        if (sameOwner(await readOwner(path), owner)) await rm(path, { force: true });
      } finally {
        await rm(takeover, { force: true });
      }
      continue;
    }
    const taker = await readOwner(takeover);
    if (taker && !isAlive(taker)) await rm(takeover, { force: true });
    else await sleep(2 + Math.random() * 8); // another sync is taking it over: look again once it has
  }
  throw new StorageError(`could not take the lock ${path}: another sync keeps taking it`, path, 'locked');
}

/** Creates `path` holding `content`, whole, unless something is there already (then false). */
async function createWhole(path: string, content: string): Promise<boolean> {
  const mine = `${path}.${process.pid}.new`;
  try {
    await writeFile(mine, content, { mode: 0o600 });
    await link(mine, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (FAT, some network shares): created in place, which
    // leaves a rival the instant before the write to read it empty.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return createInPlace(path, content);
    throw storageError(path, 'create the lock file', error);
  } finally {
    await rm(mine, { force: true });
  }
}

async function createInPlace(path: string, content: string): Promise<boolean> {
  try {
    await writeFile(path, content, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storageError(path, 'create the lock file', error);
  }
}

function sameOwner(a: LockOwner | undefined, b: LockOwner | undefined): boolean {
  return a?.pid === b?.pid && a?.host === b?.host;
}

/** Who holds the lock of `directory` and whether that process is alive (as far as this host can tell); undefined when no one does. */
export async function stateLockOwner(directory: string): Promise<(LockOwner & { readonly alive: boolean }) | undefined> {
  const owner = await readOwner(join(directory, 'lock'));
  return owner && { ...owner, alive: isAlive(owner) };
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return undefined; // unreadable or half-written: stale
  }
}

/** A lock from another host cannot be checked from here: it counts as held. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
