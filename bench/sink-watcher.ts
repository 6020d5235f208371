/**
 * When each event reaches a file sink, seen from outside the process that writes it: a watch
 * on the sinks' folder (inotify: told at each append, no polling interval in the figure)
 * reads the lines each file gained and records, per event, the time from its `created_at`
 * (the sandbox's clock, which is this machine's) to the moment its line was in the file.
 *
 * That latency moves with every hold-up on an event's way (a request waiting for the event
 * loop or a slot, an answer waiting to be parsed, a commit waiting its turn), where the
 * checkpoint lag only moves when a pass comes late by more than its poll interval.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export class SinkWatcher {
  private readonly offsets = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();
  private watcher: FSWatcher | undefined;
  /** created_at to arrival, ms, of every event that arrived while recording. */
  readonly latenciesMs: number[] = [];
  private recordingSince: number | undefined;
  private readonly directory: string;
  private readonly include: (file: string) => boolean;

  /** @param include which files count (by file name), e.g. every connection but one. */
  constructor(directory: string, include: (file: string) => boolean) {
    // Plain fields, not parameter properties: node runs the benchmarks by stripping types only.
    this.directory = directory;
    this.include = include;
  }

  /** Starts watching from the files' current ends: lines already there are not counted. */
  async start(): Promise<void> {
    for (const file of await readdir(this.directory)) {
      if (file.endsWith('.ndjson') && this.include(file)) this.offsets.set(file, (await stat(join(this.directory, file))).size);
    }
    this.watcher = watch(this.directory, (_event, file) => {
      if (file && file.endsWith('.ndjson') && this.include(file)) this.readNew(file);
    });
  }

  /** Counts events created from now on (a backlog's old events would measure the backlog, not the wait). */
  record(): void {
    this.recordingSince = Date.now();
  }

  stopRecording(): void {
    this.recordingSince = undefined;
  }

  close(): void {
    this.watcher?.close();
  }

  /** Reads what `file` gained since last time; one read per file at a time, the next queued behind it. */
  private readNew(file: string): void {
    const arrivedAt = Date.now();
    const previous = this.pending.get(file) ?? Promise.resolve();
    this.pending.set(file, previous.then(() => this.read(file, arrivedAt)).catch(() => undefined));
  }

  private async read(file: string, arrivedAt: number): Promise<void> {
    const handle = await open(join(this.directory, file), 'r');
    try {
      const from = this.offsets.get(file) ?? 0;
      const { size } = await handle.stat();
      if (size <= from) return;
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      // Only whole lines: a line still being written is read with the next change.
      const end = buffer.lastIndexOf(0x0a) + 1;
      this.offsets.set(file, from + end);
      if (this.recordingSince === undefined) return;
      for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
        if (line === '') continue;
        const createdAt = Date.parse((JSON.parse(line) as { created_at: string }).created_at);
        if (createdAt >= this.recordingSince) this.latenciesMs.push(arrivedAt - createdAt);
      }
    } finally {
      await handle.close();
    }
  }
}
