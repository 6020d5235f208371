/**
 * Events as NDJSON lines appended to a file. Its position is the file's length after the
 * last acknowledged write; `recover` truncates back to the saved position, which drops
 * whatever a crash wrote after the last checkpoint (and a torn last line with it).
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Sink } from '../poller.js';
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

  async write(events: readonly EventEnvelope[]): Promise<number> {
    if (!this.file) throw new Error('NdjsonFileSink.write called before recover()');
    let text = '';
    for (const event of events) text += `${JSON.stringify(event)}\n`;
    const bytes = Buffer.from(text, 'utf8');
    await this.file.write(bytes);
    if (this.options.durable ?? true) await this.file.datasync();
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
