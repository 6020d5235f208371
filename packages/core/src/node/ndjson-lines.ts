/**
 * The events of an NDJSON file, read back line by line from `from` up to `to`, each with the
 * byte offset its line starts at. A last line without its newline (one being written, or
 * torn by a crash) is not returned. Shared by the file storage (which reads its tail on
 * open) and `eventsync replay`.
 */
import type { FileHandle } from 'node:fs/promises';
import { StorageError } from '../errors.js';
import type { EventEnvelope } from '../types.js';

/** Reading goes in pieces of this size. */
const CHUNK = 1 << 20;

export interface NdjsonLine {
  readonly event: EventEnvelope;
  /** Where the line starts. */
  readonly offset: number;
  /** Where the next line starts. */
  readonly end: number;
}

export async function* readNdjsonLines(file: FileHandle, path: string, from: number, to: number): AsyncGenerator<NdjsonLine> {
  const chunk = Buffer.alloc(CHUNK);
  let carry = Buffer.alloc(0);
  let position = from;
  let lineStart = from;
  while (position < to) {
    const { bytesRead } = await file.read(chunk, 0, Math.min(CHUNK, to - position), position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let start = 0;
    for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
      const end = lineStart + newline - start + 1;
      yield { event: parseLine(data.subarray(start, newline), path, lineStart), offset: lineStart, end };
      lineStart = end;
      start = newline + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
}

function parseLine(line: Buffer, path: string, offset: number): EventEnvelope {
  try {
    return JSON.parse(line.toString('utf8')) as EventEnvelope;
  } catch {
    throw new StorageError(
      `${path} holds a line that is not an event at byte ${offset}; it was edited outside eventsync. Move it (and the sync's state directory) aside to sync afresh.`,
      path,
      undefined,
    );
  }
}
