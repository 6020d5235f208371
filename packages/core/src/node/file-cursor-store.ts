/** A CursorStore in one JSON file, replaced atomically (atomic-file.ts) on every save. */
import { readFile } from 'node:fs/promises';
import type { CursorStore } from '../checkpoint.js';
import { replaceFileAtomically } from './atomic-file.js';
import { storageError } from './storage-error.js';

export class FileCursorStore<State> implements CursorStore<State> {
  constructor(readonly path: string) {}

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

  /** Replaces the state; on failure (a full disk) the old state stays as it was. */
  async save(state: State): Promise<void> {
    try {
      await replaceFileAtomically(this.path, JSON.stringify(state));
    } catch (error) {
      throw storageError(this.path, 'save the checkpoint', error);
    }
  }
}
