/**
 * Storage for outputs that cannot take anything back: stdout, or a handler events are
 * forwarded to. Events go to the output first, then into the checkpoint: the watermark and
 * the ids at or after it, kept here as the output cannot be read back for them. A crash
 * between the two sends those events again on the next run: at-least-once, which is what
 * these outputs can promise; a handler dedupes by event id, as the API requires of it.
 *
 * The state file is replaced only when the watermark moves; in between, a commit appends its
 * ids to a journal beside it (seen-journal.ts), so a commit costs what its events cost.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageError } from '../errors.js';
import type { CommittedState, EventStorage, StoredEvent } from '../storage.js';
import type { EventEnvelope } from '../types.js';
import { replaceFileAtomically } from './atomic-file.js';
import { refuseOthersCheckpoint } from './checkpoint-owner.js';
import { SeenJournal, type SeenEntry } from './seen-journal.js';
import { acquireLock, type StateLock } from './writer-lock.js';
import { storageError } from './storage-error.js';

/** Where events go: resolves once the output has them. */
export interface EventOutput {
  readonly description: string;
  write(events: readonly EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

interface StateFile {
  readonly version: 2;
  readonly watermark: string | null;
  readonly seen: ReadonlyArray<readonly [string, string]>;
  /** The output's description (stdout, or the forward URL); absent from files written before it was kept. */
  readonly output?: string;
  readonly fingerprint?: Readonly<Record<string, unknown>>;
}

export class OutputStorage implements EventStorage {
  readonly guarantee = 'at-least-once' as const;
  readonly description: string;
  private readonly statePath: string;
  private lock: StateLock | undefined;
  private state: StateFile = { version: 2, watermark: null, seen: [] };
  private readonly journal: SeenJournal;
  /** The ids at or after the watermark: the state file's and the journal's. */
  private seen: SeenEntry[] = [];

  constructor(
    private readonly output: EventOutput,
    private readonly stateDir: string,
  ) {
    this.description = output.description;
    this.statePath = join(stateDir, 'checkpoint.json');
    this.journal = new SeenJournal(join(stateDir, 'checkpoint-journal.ndjson'));
  }

  async open(): Promise<CommittedState> {
    this.lock = await acquireLock(join(this.stateDir, 'lock'), this.output.description);
    try {
      return await this.recover();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async recover(): Promise<CommittedState> {
    this.state = await this.readState();
    const watermarkMs = this.watermarkMs(this.state.watermark);
    const journalled = (await this.journal.load()).filter(([, createdAt]) => Date.parse(createdAt) >= watermarkMs);
    this.seen = [...this.state.seen, ...journalled];
    return { watermark: this.state.watermark, seen: [...this.seen], fingerprint: this.state.fingerprint };
  }

  async commit(events: readonly StoredEvent[], watermark: string | null, fingerprint?: Readonly<Record<string, unknown>>): Promise<void> {
    if (events.length > 0) await this.output.write(events.map(({ event }) => event));
    const delivered = events.map(({ event }) => [event.id, event.created_at] as const);
    // The fingerprint is written once, with the first commit; the watermark whenever it moves.
    if (watermark === this.state.watermark && (fingerprint === undefined || this.state.fingerprint !== undefined)) {
      if (delivered.length > 0) await this.journal.append(delivered);
      this.seen.push(...delivered);
      return;
    }
    const kept = fingerprint ?? this.state.fingerprint;
    const watermarkMs = this.watermarkMs(watermark);
    const seen = [...this.seen, ...delivered].filter(([, createdAt]) => Date.parse(createdAt) >= watermarkMs);
    const next: StateFile = { version: 2, watermark, seen, output: this.output.description, ...(kept ? { fingerprint: kept } : {}) };
    try {
      await replaceFileAtomically(this.statePath, JSON.stringify(next));
    } catch (error) {
      throw storageError(this.statePath, 'save the checkpoint', error);
    }
    this.state = next;
    this.seen = [...seen];
    // The state file now holds every journalled id still needed: one left in the journal is
    // read back twice, which is harmless, so a failure here need not fail the commit.
    await this.journal.clear().catch(() => undefined);
  }

  private async readState(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.statePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(this.statePath, 'read the checkpoint', error);
      return { version: 2, watermark: null, seen: [] };
    }
    let parsed: Partial<StateFile> & { checkpoint?: StateFile; source?: StateFile['fingerprint']; scanFrom?: number; sinkPosition?: number };
    try {
      parsed = (JSON.parse(text) as typeof parsed | null) ?? {};
    } catch {
      throw new StorageError(`the checkpoint file ${this.statePath} is not valid JSON; move it aside to start over (events already sent would be sent again)`, this.statePath, undefined);
    }
    // One with `scanFrom` (`sinkPosition` in version 1) and without `output` was written by the storage of an events file.
    const fileStorage = parsed.scanFrom !== undefined || parsed.sinkPosition !== undefined;
    refuseOthersCheckpoint(this.stateDir, parsed.output ?? (fileStorage ? 'an events file' : undefined), this.output.description);
    // Version 1 nested the checkpoint and called the fingerprint `source`.
    const checkpoint = parsed.version === 2 ? parsed : parsed.checkpoint;
    const fingerprint = parsed.version === 2 ? parsed.fingerprint : parsed.source;
    return { version: 2, watermark: checkpoint?.watermark ?? null, seen: checkpoint?.seen ?? [], ...(fingerprint ? { fingerprint } : {}) };
  }

  private watermarkMs(watermark: string | null): number {
    return watermark === null ? Number.NEGATIVE_INFINITY : Date.parse(watermark);
  }

  async close(): Promise<void> {
    await this.output.close();
    await this.journal.close();
    await this.lock?.release();
    this.lock = undefined;
  }
}

/** Events as NDJSON on a stream (stdout). */
export class StreamOutput implements EventOutput {
  readonly description = 'stdout';

  constructor(private readonly stream: NodeJS.WritableStream) {}

  async write(events: readonly EventEnvelope[]): Promise<void> {
    let text = '';
    for (const event of events) text += `${JSON.stringify(event)}\n`;
    if (!this.stream.write(text)) await new Promise((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<void> {}
}
