/**
 * One writer per output: a lock file holding the writer's pid and host, created exclusively
 * (beside an NDJSON file, or in the state directory of an output that has no file). A lock whose process is gone (a kill -9 on this host) is stale and taken over;
 * a live one refuses the second sync with a message naming it.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
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
  const me: LockOwner = { pid: process.pid, host: hostname() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(JSON.stringify(me));
      await file.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(path);
    if (owner && isAlive(owner)) {
      throw new StorageError(
        `another sync (pid ${owner.pid} on ${owner.host}) is writing ${what}; stop it first, or give this one another --state-dir and output`,
        path,
        'locked',
      );
    }
    await rm(path, { force: true });
  }
  throw new StorageError(`could not take the lock ${path}: another sync keeps taking it`, path, 'locked');
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
