/**
 * The NDJSON file storage on real files: what a reopen recovers, what a crash leaves, what
 * a commit costs, and one writer at a time.
 */
import { appendFile, mkdtemp, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, StorageError, type EventEnvelope, type StoredEvent } from '@eventsync/core';
import { NdjsonFileStorage } from '@eventsync/core/node';

const T0 = Date.parse('2026-04-03T09:00:00.000Z');

function event(n: number, createdMs = T0 + n * 1_000): StoredEvent {
  const envelope: EventEnvelope = { id: `evt_${String(n).padStart(6, '0')}`, type: 'customer.created', created_at: new Date(createdMs).toISOString(), data: { n } };
  return { event: envelope, channel: 'poll' };
}

async function storageIn(dir?: string): Promise<{ storage: NdjsonFileStorage; dir: string; path: string }> {
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'eventsync-ndjson-storage-')));
  const path = join(base, 'events.ndjson');
  return { storage: new NdjsonFileStorage({ path, stateDir: join(base, 'state') }), dir: base, path };
}

const iso = (ms: number): string => new Date(ms).toISOString();

describe('NdjsonFileStorage', () => {
  it('reopens with the watermark and exactly the ids at or after it, read back from the file', async () => {
    const { storage, dir } = await storageIn();
    expect(await storage.open()).toEqual({ watermark: null, seen: [], fingerprint: undefined });
    await storage.commit([event(1), event(2), event(3)], iso(T0 + 2_000), { baseUrl: 'https://api.example.com' });
    await storage.commit([event(4), event(5)], iso(T0 + 2_000)); // a webhook batch: the watermark stays
    await storage.close();

    const again = (await storageIn(dir)).storage;
    const state = await again.open();
    expect(state.watermark).toBe(iso(T0 + 2_000));
    expect(state.fingerprint).toEqual({ baseUrl: 'https://api.example.com' });
    expect(state.seen.map(([id]) => id)).toEqual(['evt_000002', 'evt_000003', 'evt_000004', 'evt_000005']);
    await again.close();
  });

  it('cuts off a torn last line and keeps the complete ones a crash left unacknowledged', async () => {
    const { storage, dir, path } = await storageIn();
    await storage.open();
    await storage.commit([event(1)], iso(T0));
    await storage.close();
    // The process died mid-commit: one whole line written, the next one half.
    await appendFile(path, `${JSON.stringify(event(2).event)}\n${JSON.stringify(event(3).event).slice(0, 20)}`);

    const again = (await storageIn(dir)).storage;
    const state = await again.open();
    expect(state.seen.map(([id]) => id)).toEqual(['evt_000001', 'evt_000002']);
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.filter(Boolean)).toHaveLength(2);
    await again.close();
  });

  it('does not rewrite the checkpoint for commits that only add events, however many came since the watermark moved', async () => {
    const { storage, dir } = await storageIn();
    await storage.open();
    await storage.commit([event(0)], iso(T0));
    const statePath = join(dir, 'state', 'checkpoint.json');
    const before = await stat(statePath);
    for (let n = 1; n <= 2_000; n++) await storage.commit([{ ...event(n), channel: 'webhook' }], iso(T0));
    const after = await stat(statePath);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.size).toBe(before.size);
    // When the watermark moves, the checkpoint stays a few bytes: the ids are in the file.
    await storage.commit([], iso(T0 + 1_500_000));
    expect((await stat(statePath)).size).toBeLessThan(300);
    await storage.close();
  });

  it('finds the ids after the watermark even when older events were written after them', async () => {
    const { storage, dir } = await storageIn();
    await storage.open();
    // A late backfill page of old events arrives after a webhook brought a new one.
    await storage.commit([event(100)], null);
    await storage.commit([event(1), event(2)], iso(T0 + 50_000));
    await storage.close();
    const again = (await storageIn(dir)).storage;
    expect((await again.open()).seen.map(([id]) => id)).toEqual(['evt_000100']);
    await again.close();
  });

  it('refuses a second writer while the first runs, naming it, and lets one in after a crash', async () => {
    const { storage, dir } = await storageIn();
    await storage.open();
    // Another state directory, the same output: still one writer.
    const second = new NdjsonFileStorage({ path: join(dir, 'events.ndjson'), stateDir: join(dir, 'other-state') });
    // The lock file names this very process, which a second writer in it would take over: pretend another live one.
    const lockPath = join(dir, 'events.ndjson.lock');
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as { pid: number; host: string };
    await writeFile(lockPath, JSON.stringify({ ...lock, pid: process.ppid }));
    await expect(second.open()).rejects.toThrow(StorageError);
    await expect(second.open()).rejects.toThrow(new RegExp(`another sync \\(pid ${process.ppid} on .+\\) is writing`));
    // A dead writer's lock is stale.
    await writeFile(lockPath, JSON.stringify({ ...lock, pid: 2 ** 22 + 12_345 }));
    await expect(second.open()).resolves.toMatchObject({ watermark: null });
    await second.close();
    await storage.close();
  });

  it("refuses a state directory holding another file's checkpoint, which would skip this file's history", async () => {
    const { storage, dir } = await storageIn();
    await storage.open();
    await storage.commit([event(0), event(1)], iso(T0 + 1_000));
    await storage.close();
    // The same state directory, another events file: as two syncs sharing the default state directory.
    const other = new NdjsonFileStorage({ path: join(dir, 'other.ndjson'), stateDir: join(dir, 'state') });
    await expect(other.open()).rejects.toThrow(InvalidInputError);
    await expect(other.open()).rejects.toThrow(`the checkpoint in ${join(dir, 'state')} is that of ${join(dir, 'events.ndjson')}, not of ${join(dir, 'other.ndjson')}`);
    await other.close();
    // Its own file is welcome back.
    const again = (await storageIn(dir)).storage;
    await expect(again.open()).resolves.toMatchObject({ watermark: iso(T0 + 1_000) });
    await again.close();
  });

  it('refuses a file shorter than its checkpoint says, instead of syncing past a hole', async () => {
    const { storage, dir, path } = await storageIn();
    await storage.open();
    for (let n = 0; n < 5; n++) await storage.commit([event(n)], iso(T0 + n * 1_000));
    await storage.close();
    await truncate(path, 10);
    await expect((await storageIn(dir)).storage.open()).rejects.toThrow(/shorter .* than the checkpoint says/);
  });
});
