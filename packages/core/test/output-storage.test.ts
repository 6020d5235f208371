/**
 * The at-least-once storage behind `--stdout` and `--forward`, on real files: what a reopen
 * recovers, what a crash mid-append leaves, and that a webhook batch does not rewrite the
 * checkpoint (its cost would grow with every id since the watermark last moved).
 */
import { appendFile, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, type EventEnvelope, type StoredEvent } from '@eventsync/core';
import { NdjsonFileStorage, OutputStorage, type EventOutput } from '@eventsync/core/node';

const T0 = Date.parse('2026-04-03T09:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function event(n: number): StoredEvent {
  const envelope: EventEnvelope = { id: `evt_${String(n).padStart(6, '0')}`, type: 'customer.created', created_at: iso(T0 + n * 1_000), data: { n } };
  return { event: envelope, channel: 'webhook' };
}

/** An output that keeps what it was given, and fails its writes on demand. */
class KeptOutput implements EventOutput {
  readonly description = 'test output';
  readonly written: EventEnvelope[] = [];
  failing = false;

  async write(events: readonly EventEnvelope[]): Promise<void> {
    if (this.failing) throw new Error('the handler is down');
    this.written.push(...events);
  }

  async close(): Promise<void> {}
}

async function storageIn(stateDir?: string): Promise<{ storage: OutputStorage; output: KeptOutput; stateDir: string }> {
  const dir = stateDir ?? join(await mkdtemp(join(tmpdir(), 'eventsync-output-storage-')), 'state');
  const output = new KeptOutput();
  return { storage: new OutputStorage(output, dir), output, stateDir: dir };
}

describe('OutputStorage', () => {
  it('journals webhook batches without rewriting the checkpoint, and reopens with every id', async () => {
    const { storage, output, stateDir } = await storageIn();
    await storage.open();
    await storage.commit([event(1), event(2)], iso(T0 + 2_000), { baseUrl: 'https://api.example.com' });
    const checkpoint = join(stateDir, 'checkpoint.json');
    const saved = await stat(checkpoint);
    for (let n = 3; n < 203; n += 2) await storage.commit([event(n), event(n + 1)], iso(T0 + 2_000), { baseUrl: 'https://api.example.com' });
    // The checkpoint file was not replaced: same inode, same bytes.
    expect((await stat(checkpoint)).ino).toBe(saved.ino);
    expect(JSON.parse(await readFile(checkpoint, 'utf8')).seen).toEqual([[event(2).event.id, event(2).event.created_at]]);
    expect(output.written).toHaveLength(202);
    await storage.close();

    const { storage: again } = await storageIn(stateDir);
    const state = await again.open();
    expect(state.watermark).toBe(iso(T0 + 2_000));
    expect(state.fingerprint).toEqual({ baseUrl: 'https://api.example.com' });
    expect(state.seen.map(([id]) => id)).toEqual(Array.from({ length: 201 }, (_, i) => event(i + 2).event.id));
    await again.close();
  });

  it('moves the journalled ids into the checkpoint when the watermark moves, keeping only those at or after it', async () => {
    const { storage, stateDir } = await storageIn();
    await storage.open();
    await storage.commit([event(1), event(2), event(3)], null);
    await storage.commit([event(4), event(5)], iso(T0 + 4_000));
    expect(await readFile(join(stateDir, 'checkpoint-journal.ndjson'), 'utf8')).toBe('');
    expect(JSON.parse(await readFile(join(stateDir, 'checkpoint.json'), 'utf8')).seen.map(([id]: [string]) => id)).toEqual([event(4).event.id, event(5).event.id]);
    await storage.close();

    const { storage: again } = await storageIn(stateDir);
    expect((await again.open()).seen.map(([id]) => id)).toEqual([event(4).event.id, event(5).event.id]);
    await again.close();
  });

  it('drops a journal line a crash tore, and keeps the complete ones', async () => {
    const { storage, stateDir } = await storageIn();
    await storage.open();
    await storage.commit([event(1)], iso(T0));
    await storage.commit([event(2), event(3)], iso(T0));
    await storage.close();
    const journal = join(stateDir, 'checkpoint-journal.ndjson');
    await appendFile(journal, '["evt_000004","2026-04-03T09:0');

    const { storage: again } = await storageIn(stateDir);
    expect((await again.open()).seen.map(([id]) => id)).toEqual([event(1).event.id, event(2).event.id, event(3).event.id]);
    // Cut off, so the next append starts on a line of its own.
    await again.commit([event(4)], iso(T0));
    await again.close();
    const { storage: third } = await storageIn(stateDir);
    expect((await third.open()).seen.map(([id]) => id)).toEqual([1, 2, 3, 4].map((n) => event(n).event.id));
    await third.close();
  });

  it('journals nothing for a batch the output did not take', async () => {
    const { storage, output, stateDir } = await storageIn();
    await storage.open();
    await storage.commit([event(1)], iso(T0));
    output.failing = true;
    await expect(storage.commit([event(2)], iso(T0))).rejects.toThrow('the handler is down');
    expect((await storage.recover()).seen.map(([id]) => id)).toEqual([event(1).event.id]);
    await storage.close();
    expect(await readFile(join(stateDir, 'checkpoint-journal.ndjson'), 'utf8')).toBe('');
  });

  it("refuses a state directory holding an events file's checkpoint, and an events file refuses its", async () => {
    const { storage, stateDir } = await storageIn();
    await storage.open();
    await storage.commit([event(1)], iso(T0 + 1_000));
    await storage.close();
    const path = join(stateDir, '..', 'events.ndjson');
    const file = new NdjsonFileStorage({ path, stateDir });
    await expect(file.open()).rejects.toThrow(`the checkpoint in ${stateDir} is that of test output, not of ${path}`);

    const fileStateDir = join(stateDir, '..', 'file-state');
    const writer = new NdjsonFileStorage({ path, stateDir: fileStateDir });
    await writer.open();
    await writer.commit([event(2)], iso(T0 + 2_000));
    await writer.close();
    const { storage: output } = await storageIn(fileStateDir);
    await expect(output.open()).rejects.toThrow(InvalidInputError);
    await expect(output.open()).rejects.toThrow(`is that of ${path}, not of test output`);
    // One written before outputs were recorded is told apart by its shape.
    await writeFile(join(fileStateDir, 'checkpoint.json'), JSON.stringify({ version: 2, watermark: iso(T0), scanFrom: 0 }));
    await expect(output.open()).rejects.toThrow(`is that of an events file, not of test output`);
  });
});
