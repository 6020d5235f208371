/**
 * The NDJSON file sink read back, line by line in the order the sync wrote it, for replay.
 * It reads up to the length the file had when the replay began, so events a running sync
 * appends meanwhile are not chased, and it stops short of a last line without its newline
 * (one being written, or torn by a crash, which the sync cuts off on its next start).
 */
import { open } from 'node:fs/promises';
import { StorageError } from '@eventsync/core';
import { readNdjsonLines } from '@eventsync/core/node';
import { selects, type ReadEvent, type ReplaySelection } from './sink-readers.js';

export async function* readNdjsonFile(path: string, selection: ReplaySelection): AsyncGenerator<ReadEvent> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Exit 8 like a missing SQLite file, table or source: the sink named cannot be read.
    if (code === 'ENOENT') throw new StorageError(`there is no events file at ${path}; name the sync's file with --out <file> (or --sink file:<path>, or --data-dir)`, path, code);
    throw new StorageError(`could not read events from ${path}: ${error instanceof Error ? error.message : String(error)}`, path, code);
  }
  try {
    const { size } = await file.stat();
    for await (const { event, end } of readNdjsonLines(file, path, 0, size)) {
      if (selects(selection, event)) yield { event, done: end / size };
    }
  } finally {
    await file.close();
  }
}
