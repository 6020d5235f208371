/**
 * Events as NDJSON lines appended to a file, exactly once, with the checkpoint beside it.
 *
 * A commit costs what its events cost: one append and one fdatasync. The checkpoint is a
 * watermark W plus the ids stored at or after it (checkpoint.ts); only W is written down, in
 * a small state file replaced atomically when W moves (on poll pages, not on webhook
 * batches), and the ids are read back from the file itself. That works because of where they
 * can be: an event created at or after W was written after W's moment, so it lies at or after
 * the offset of the oldest such event still in memory when W was saved (`scanFrom`). Opening
 * scans from `scanFrom` to the end and keeps the ids whose `created_at >= W`.
 *
 * What a crash leaves: complete lines after the last commit are events the sync fetched and
 * wrote but had not acknowledged; they are in the file and so in the checkpoint, stored
 * once. A torn last line is cut off. A state file that lags the data (the crash came between
 * the two) holds an older W, which is the safe side: W never passes an event not stored.
 * A write that fails (a full disk) is cut back before the error goes up.
 *
 * One writer at a time: a lock file beside the output (writer-lock.ts).
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { StorageError } from '../errors.js';
import type { CommittedState, EventStorage, StoredEvent } from '../storage.js';
import { replaceFileAtomically } from './atomic-file.js';
import { refuseOthersCheckpoint } from './checkpoint-owner.js';
import { appendDurably, type Durability } from './durable-append.js';
import { NdjsonEncoder } from './ndjson-encoder.js';
import { readNdjsonLines } from './ndjson-lines.js';
import { acquireLock, type StateLock } from './writer-lock.js';
import { storageError } from './storage-error.js';

export interface NdjsonFileStorageOptions {
  /** The NDJSON file. */
  readonly path: string;
  /** Where the checkpoint and the lock live. */
  readonly stateDir: string;
  /** fdatasync after each commit, so a checkpoint never points past what is on disk. Default true. */
  readonly durable?: boolean;
}

/** The state file: small, whatever the checkpoint holds. */
interface StateFile {
  readonly version: 2;
  readonly watermark: string | null;
  /** No event created at or after `watermark` lies before this byte offset. */
  readonly scanFrom: number;
  /** The NDJSON file that offset is in, absolute (absent from state files written before it was kept). */
  readonly output?: string;
  readonly fingerprint?: Readonly<Record<string, unknown>>;
}

/** What version 1 wrote (a full checkpoint per commit), read once and replaced. */
interface StateFileV1 {
  readonly version: 1;
  readonly checkpoint: { readonly watermark: string | null };
  readonly sinkPosition?: number;
  readonly source?: Readonly<Record<string, unknown>>;
}

export class NdjsonFileStorage implements EventStorage {
  readonly guarantee = 'exactly-once' as const;
  readonly description: string;
  private readonly statePath: string;
  /** The events file, absolute: what the checkpoint records as its output (checkpoint-owner.ts). */
  private readonly output: string;
  private file: FileHandle | undefined;
  private lock: StateLock | undefined;
  private size = 0;
  private saved: StateFile = { version: 2, watermark: null, scanFrom: 0 };
  /** Stored events at or after the saved watermark, with their offsets: where the next `scanFrom` comes from. */
  private readonly recent = new Map<string, { readonly createdMs: number; readonly offset: number }>();
  private readonly encoder = new NdjsonEncoder();

  constructor(private readonly options: NdjsonFileStorageOptions) {
    this.description = options.path;
    this.statePath = join(options.stateDir, 'checkpoint.json');
    this.output = resolve(options.path);
  }

  async open(): Promise<CommittedState> {
    try {
      await mkdir(this.options.stateDir, { recursive: true });
      await mkdir(dirname(this.options.path), { recursive: true });
    } catch (error) {
      throw storageError(this.options.path, 'create the directories for', error);
    }
    // Locked by the file itself: two syncs with different state directories must not share an output either.
    this.lock = await acquireLock(`${this.options.path}.lock`, this.options.path);
    try {
      this.file = await open(this.options.path, 'a+', 0o600);
      return await this.recover();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async recover(): Promise<CommittedState> {
    const file = this.opened();
    this.saved = await this.readState();
    this.checkOutput(this.saved);
    this.size = await this.cutTornLine(file);
    this.recent.clear();
    const seen: Array<readonly [string, string]> = [];
    const watermarkMs = this.saved.watermark === null ? Number.NEGATIVE_INFINITY : Date.parse(this.saved.watermark);
    for await (const { event, offset } of readNdjsonLines(file, this.options.path, this.saved.scanFrom, this.size)) {
      const createdMs = Date.parse(event.created_at);
      if (createdMs < watermarkMs) continue;
      this.recent.set(event.id, { createdMs, offset });
      seen.push([event.id, event.created_at]);
    }
    return { watermark: this.saved.watermark, seen, fingerprint: this.saved.fingerprint };
  }

  async commit(events: readonly StoredEvent[], watermark: string | null, fingerprint?: Readonly<Record<string, unknown>>): Promise<void> {
    const file = this.opened();
    if (events.length > 0) await this.append(file, events, watermark === null ? Number.NEGATIVE_INFINITY : Date.parse(watermark));
    if (watermark !== this.saved.watermark || (fingerprint !== undefined && this.saved.fingerprint === undefined)) {
      await this.saveState(watermark, fingerprint ?? this.saved.fingerprint);
    }
  }

  async close(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await this.lock?.release();
    this.lock = undefined;
  }

  private opened(): FileHandle {
    if (!this.file) throw new Error('NdjsonFileStorage used before open()');
    return this.file;
  }

  /**
   * Appends the events and makes them durable (durable-append.ts); when that fails the file is
   * cut back. Only events at or after `watermarkMs`, the watermark committed with them, go into
   * `recent`: saveState would delete the others at once, and a Map that grows and shrinks by
   * a page each commit keeps what passed through it alive beyond its size (the reason is in
   * CheckpointTracker's remember(), checkpoint.ts).
   */
  private async append(file: FileHandle, events: readonly StoredEvent[], watermarkMs: number): Promise<void> {
    const starts: number[] = [];
    const bytes = this.encoder.encode(events.map(({ event }) => event), starts);
    try {
      await appendDurably(file, bytes, durability(events, this.options.durable ?? true));
    } catch (error) {
      await file.truncate(this.size).catch(() => undefined);
      throw storageError(this.options.path, 'write events to', error);
    }
    events.forEach(({ event }, index) => {
      const createdMs = Date.parse(event.created_at);
      if (createdMs >= watermarkMs) this.recent.set(event.id, { createdMs, offset: this.size + starts[index]! });
    });
    this.size += bytes.length;
  }

  private async saveState(watermark: string | null, fingerprint: Readonly<Record<string, unknown>> | undefined): Promise<void> {
    const watermarkMs = watermark === null ? Number.NEGATIVE_INFINITY : Date.parse(watermark);
    let scanFrom = this.size;
    for (const [id, { createdMs, offset }] of this.recent) {
      if (createdMs < watermarkMs) this.recent.delete(id);
      else scanFrom = Math.min(scanFrom, offset);
    }
    const state: StateFile = { version: 2, watermark, scanFrom, output: this.output, ...(fingerprint ? { fingerprint } : {}) };
    try {
      await replaceFileAtomically(this.statePath, JSON.stringify(state));
    } catch (error) {
      throw storageError(this.statePath, 'save the checkpoint', error);
    }
    this.saved = state;
  }

  private async readState(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.statePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 2, watermark: null, scanFrom: 0 };
      throw storageError(this.statePath, 'read the checkpoint', error);
    }
    let state: StateFile | StateFileV1;
    try {
      state = JSON.parse(text) as StateFile | StateFileV1;
    } catch {
      throw new StorageError(
        `the checkpoint file ${this.statePath} is not valid JSON; move it aside to start over (events already synced would be synced again)`,
        this.statePath,
        undefined,
      );
    }
    if (state.version === 2) return state;
    // Version 1 kept the file's committed length: what lies past it was never acknowledged, and goes.
    if (state.sinkPosition !== undefined) await this.opened().truncate(state.sinkPosition);
    return { version: 2, watermark: state.checkpoint.watermark, scanFrom: 0, ...(state.source ? { fingerprint: state.source } : {}) };
  }

  /** Refuses the checkpoint of another output (checkpoint-owner.ts). */
  private checkOutput(state: StateFile): void {
    // One without `output` and without `scanFrom` was written by the storage of stdout or a forward URL.
    const recorded = state.output ?? (typeof state.scanFrom === 'number' ? undefined : 'stdout or a forward URL');
    refuseOthersCheckpoint(this.options.stateDir, recorded, this.output);
  }

  /** Cuts off a last line a crash left half-written; returns the file's length. */
  private async cutTornLine(file: FileHandle): Promise<number> {
    const { size } = await file.stat();
    if (size < this.saved.scanFrom) {
      throw new StorageError(
        `${this.options.path} is shorter (${size} bytes) than the checkpoint says (${this.saved.scanFrom}); it was edited or truncated outside eventsync. Move it and the state directory aside to sync afresh.`,
        this.options.path,
        undefined,
      );
    }
    let end = size;
    const tail = Buffer.alloc(4096);
    while (end > 0) {
      const start = Math.max(0, end - tail.length);
      const { bytesRead } = await file.read(tail, 0, end - start, start);
      const newline = tail.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline >= 0) {
        end = start + newline + 1;
        break;
      }
      end = start;
    }
    if (end < size) await file.truncate(end);
    return end;
  }
}

/** Webhook batches may make their fdatasync on the loop's thread; pages leave it free for the next page (durable-append.ts). */
function durability(events: readonly StoredEvent[], durable: boolean): Durability {
  if (!durable) return 'none';
  return events.every(({ channel }) => channel === 'webhook') ? 'loop-when-quick' : 'threadpool';
}
