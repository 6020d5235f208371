/**
 * Events as NDJSON lines appended to a file. Its position is the file's length after the
 * last acknowledged write; `recover` truncates back to the saved position, which drops
 * whatever a crash wrote after the last checkpoint (and a torn last line with it).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Sink } from '../sync-engine.js';
import { storageError } from './storage-error.js';
import type { EventEnvelope } from '../types.js';

export interface NdjsonFileSinkOptions {
  /** fsync after each write, so a checkpoint never points past what is on disk. Default true. */
  readonly durable?: boolean;
}

export class NdjsonFileSink implements Sink<number> {
  private file: FileHandle | undefined;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly options: NdjsonFileSinkOptions = {},
  ) {}

  async recover(position: number | undefined): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.file ??= await open(this.path, 'a+', 0o600);
    const { size } = await this.file.stat();
    const target = position ?? 0;
    if (size < target) {
      throw new Error(
        `${this.path} is shorter (${size} bytes) than the checkpoint says (${target}); it was edited or truncated outside eventsync. Move it and the state directory aside to sync afresh.`,
      );
    }
    if (size > target) await this.file.truncate(target);
    this.size = target;
  }

  /**
   * Appends the events and resolves with the new length once they are on disk. A write may
   * take only part of the bytes (a disk filling up), so it goes on until all are in; when
   * it fails the file is cut back to where it was, and the position does not move.
   */
  async write(events: readonly EventEnvelope[]): Promise<number> {
    const file = this.file;
    if (!file) throw new Error('NdjsonFileSink.write called before recover()');
    let text = '';
    for (const event of events) text += `${JSON.stringify(event)}\n`;
    const bytes = Buffer.from(text, 'utf8');
    try {
      for (let written = 0; written < bytes.length; ) {
        written += (await file.write(bytes, written, bytes.length - written)).bytesWritten;
      }
      if (this.options.durable ?? true) await file.datasync();
    } catch (error) {
      await file.truncate(this.size).catch(() => undefined);
      throw storageError(this.path, 'write events to', error);
    }
    this.size += bytes.length;
    return this.size;
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }
}

/** Events as NDJSON on a stream (stdout). It cannot take lines back: after a crash, up to one page may be written again. */
export class NdjsonStreamSink implements Sink<undefined> {
  constructor(private readonly stream: NodeJS.WritableStream) {}

  async recover(): Promise<void> {}

  async write(events: readonly EventEnvelope[]): Promise<undefined> {
    let text = '';
    for (const event of events) text += `${JSON.stringify(event)}\n`;
    if (!this.stream.write(text)) await new Promise((resolve) => this.stream.once('drain', resolve));
    return undefined;
  }

  async close(): Promise<void> {}
}
