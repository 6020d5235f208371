/**
 * Where a commit's fdatasync is made: on the loop's thread while the device answers quickly,
 * on the threadpool once it does not, so a slow volume never holds the event loop for long.
 */
import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The fdatasync made on the loop's thread, counted: a branch that skipped it would lose data silently.
const onLoop = vi.hoisted(() => ({ calls: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    fdatasyncSync: (fd: number) => {
      onLoop.calls++;
      fs.fdatasyncSync(fd);
    },
  };
});

import { appendDurably, SYNC_ON_LOOP_MS, SyncPace, type Durability } from '../src/node/durable-append.js';

describe('SyncPace', () => {
  it('sends the first fdatasync to the threadpool, then keeps them on the loop while they are quick', () => {
    const pace = new SyncPace();
    expect(pace.onLoop).toBe(false);
    pace.record(0.3);
    expect(pace.onLoop).toBe(true);
  });

  it('moves off the loop after a slow fdatasync and back once the device is quick again', () => {
    const pace = new SyncPace();
    pace.record(0.2);
    pace.record(20);
    expect(pace.onLoop).toBe(false);
    let commits = 0;
    while (!pace.onLoop && commits < 100) {
      pace.record(0.3);
      commits++;
    }
    expect(commits).toBeGreaterThan(5);
    expect(commits).toBeLessThan(20);
  });

  it('stays off the loop on a device that is always slow', () => {
    const pace = new SyncPace();
    for (let commit = 0; commit < 50; commit++) pace.record(SYNC_ON_LOOP_MS * 3);
    expect(pace.onLoop).toBe(false);
  });
});

describe('appendDurably', () => {
  afterEach(() => vi.restoreAllMocks());

  it('appends every byte; a webhook batch\'s fdatasync is made on the loop or the threadpool by how long the last ones took, a page\'s on the threadpool', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'eventsync-durable-append-')), 'out.ndjson');
    const file = await open(path, 'a');
    const threadpool = vi.spyOn(file, 'datasync');
    // Each fdatasync appears to take `syncMs`: the clock moves by that much between two readings.
    let syncMs = 0.2;
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += syncMs / 2));
    try {
      const lines: string[] = [];
      let mode: Durability = 'loop-when-quick';
      const append = async (): Promise<void> => {
        const line = `{"n":${lines.length}}\n`;
        lines.push(line);
        await appendDurably(file, Buffer.from(line), mode);
      };
      await append();
      expect(threadpool).toHaveBeenCalledTimes(1); // nothing measured yet
      await append();
      await append();
      expect(threadpool).toHaveBeenCalledTimes(1); // quick: made on the loop
      expect(onLoop.calls).toBe(2);

      syncMs = 25;
      await append(); // decided before it was measured: still on the loop
      await append();
      await append();
      expect(threadpool).toHaveBeenCalledTimes(3);

      // A page of the feed leaves the loop free for the next page, however quick the device.
      syncMs = 0.2;
      for (let commit = 0; commit < 20; commit++) await append();
      const calls = threadpool.mock.calls.length;
      await append();
      expect(threadpool).toHaveBeenCalledTimes(calls); // quick again: back on the loop
      mode = 'threadpool';
      await append();
      await append();
      expect(threadpool).toHaveBeenCalledTimes(calls + 2);

      // A page's fdatasync, however slow (it flushes a whole page), says nothing of a batch's.
      syncMs = 40;
      for (let page = 0; page < 5; page++) await append();
      syncMs = 0.2;
      mode = 'loop-when-quick';
      await append();
      expect(threadpool).toHaveBeenCalledTimes(calls + 7); // the batch stays on the loop
      expect(onLoop.calls + threadpool.mock.calls.length).toBe(lines.length); // one fdatasync per append, wherever made
      expect(await readFile(path, 'utf8')).toBe(lines.join(''));
    } finally {
      await file.close();
    }
  });
});
