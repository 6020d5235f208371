/**
 * A CursorStore in one JSON file, replaced atomically: write a temp file, fsync it, rename
 * it over the old one, fsync the directory. A kill -9 or a power cut leaves either the old
 * state or the new one, never half of each.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CursorStore } from '../cursor.js';
import { storageError } from './storage-error.js';

export class FileCursorStore<State> implements CursorStore<State> {
  private readonly tempPath: string;

  constructor(readonly path: string) {
    this.tempPath = join(dirname(path), `.${Date.now().toString(36)}-${process.pid}.tmp`);
  }

  async load(): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as State;
    } catch {
      throw new Error(`the checkpoint file ${this.path} is not valid JSON; move it aside to start over (events already synced would be synced again)`);
    }
  }

  /** Replaces the state; on failure (a full disk) the old state stays as it was and the temp file goes. */
  async save(state: State): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const file = await open(this.tempPath, 'w', 0o600);
      try {
        await file.writeFile(JSON.stringify(state));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(this.tempPath, this.path);
    } catch (error) {
      await rm(this.tempPath, { force: true }).catch(() => undefined);
      throw storageError(this.path, 'save the checkpoint', error);
    }
    await syncDirectory(dirname(this.path));
  }
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
export async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await directory.close();
  }
}
