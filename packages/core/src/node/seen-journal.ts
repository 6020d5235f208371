/**
 * The ids an at-least-once storage delivered since it last saved its checkpoint, appended as
 * they are delivered: one `["id","created_at"]` line each, fdatasynced with the commit. It is
 * what keeps such a commit O(events in it): without it every webhook batch rewrote the whole
 * checkpoint, whose ids grow with every event until a poll moves the watermark (at 40k
 * deliveries `sync --listen --stdout` had slowed to about 500 a second).
 *
 * The owner empties the journal after it saves a checkpoint that holds the ids. A crash in
 * between leaves ids that are in both, which reads back the same. A crash mid-append leaves a
 * torn last line, which is dropped: those events were not acknowledged, and at-least-once
 * sends them again.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { appendDurably } from './durable-append.js';
import { storageError } from './storage-error.js';

export type SeenEntry = readonly [id: string, createdAt: string];

export class SeenJournal {
  private file: FileHandle | undefined;
  private size = 0;

  constructor(readonly path: string) {}

  /** Opens the journal (creating it) if need be and returns its complete lines; a torn last line is cut off. */
  async load(): Promise<SeenEntry[]> {
    try {
      this.file ??= await open(this.path, 'a+', 0o600);
      // Read from the start by position: readFile() would go on from where an earlier read stopped.
      const { size } = await this.file.stat();
      const buffer = Buffer.alloc(size);
      for (let read = 0; read < size; ) {
        const { bytesRead } = await this.file.read(buffer, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      const entries: SeenEntry[] = [];
      let complete = 0;
      for (let end = buffer.indexOf(0x0a); end >= 0; end = buffer.indexOf(0x0a, complete)) {
        const entry = parseEntry(buffer.subarray(complete, end).toString('utf8'));
        if (!entry) break;
        entries.push(entry);
        complete = end + 1;
      }
      this.size = complete;
      if (complete < size) await this.file.truncate(complete);
      return entries;
    } catch (error) {
      throw storageError(this.path, 'read the checkpoint journal', error);
    }
  }

  /** Appends the entries and makes them durable; a failed append is cut back before the error goes up. */
  async append(entries: readonly SeenEntry[]): Promise<void> {
    const file = this.opened();
    const bytes = Buffer.from(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    try {
      // A commit that left the watermark where it was: a webhook batch or a tail's few events.
      // A backfill's pages move the watermark and replace the checkpoint file instead.
      await appendDurably(file, bytes, 'loop-when-quick');
    } catch (error) {
      await file.truncate(this.size).catch(() => undefined);
      throw storageError(this.path, 'write the checkpoint journal', error);
    }
    this.size += bytes.length;
  }

  /** Empties the journal, once a saved checkpoint holds what it held. */
  async clear(): Promise<void> {
    try {
      await this.opened().truncate(0);
    } catch (error) {
      throw storageError(this.path, 'empty the checkpoint journal', error);
    }
    this.size = 0;
  }

  async close(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
  }

  private opened(): FileHandle {
    if (!this.file) throw new Error('SeenJournal used before load()');
    return this.file;
  }
}

function parseEntry(line: string): SeenEntry | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' ? [value[0], value[1]] : undefined;
  } catch {
    return undefined;
  }
}
