/**
 * The NDJSON file sink read back, line by line in the order the sync wrote it, for replay.
 * It reads up to the length the file had when the replay began, so events a running sync
 * appends meanwhile are not chased, and it stops short of a last line without its newline
 * (one being written, or torn by a crash, which the sync cuts off on its next start).
 */
import { open } from 'node:fs/promises';
import { StorageError, type EventEnvelope } from '@eventsync/core';
import { UsageError } from '../usage-error.js';
import { selects, type ReadEvent, type ReplaySelection } from './sink-readers.js';

const CHUNK = 1 << 20;

export async function* readNdjsonFile(path: string, selection: ReplaySelection): AsyncGenerator<ReadEvent> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`there is no events file at ${path}; name the sync's file with --out <file> (or --sink file:<path>, or --data-dir)`);
    throw new StorageError(`could not read events from ${path}: ${error instanceof Error ? error.message : String(error)}`, path, code);
  }
  try {
    const { size } = await file.stat();
    const chunk = Buffer.alloc(CHUNK);
    let carry = Buffer.alloc(0);
    let position = 0;
    let lineStart = 0;
    while (position < size) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(CHUNK, size - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
        const event = parseLine(data.subarray(start, newline), path, lineStart);
        lineStart += newline - start + 1;
        start = newline + 1;
        if (selects(selection, event)) yield { event, done: lineStart / size };
      }
      carry = Buffer.from(data.subarray(start));
    }
  } finally {
    await file.close();
  }
}

function parseLine(line: Buffer, path: string, offset: number): EventEnvelope {
  try {
    return JSON.parse(line.toString('utf8')) as EventEnvelope;
  } catch {
    throw new StorageError(`${path} holds a line that is not an event at byte ${offset}; it was edited outside eventsync`, path, undefined);
  }
}
