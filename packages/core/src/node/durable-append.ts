/**
 * Appends bytes to a file, then (when asked) fdatasyncs them: the write half of every commit
 * of the NDJSON storage and of the at-least-once storages' journal.
 *
 * Both halves run on the event loop's own thread when they are quick. Handing work to
 * libuv's threadpool and back costs a thread wake-up each way, and on a busy machine that
 * wait, not the work, was most of a webhook commit:
 * - A small write only copies a few KiB into the page cache, so it is always made here. A
 *   larger one (a backfill's page over WRITE_ON_LOOP_BYTES) goes to the threadpool so that
 *   it does not hold the loop.
 * - An fdatasync waits on the device, for 0.1-0.3 ms on a local SSD and for many
 *   milliseconds on a network volume. Where it is made is the caller's choice
 *   (`Durability`), since it depends on what else the loop has to do meanwhile:
 *   - A webhook batch (`loop-when-quick`): the loop's other work is small, and the two
 *     wake-ups were most of a commit's latency. The fdatasync is made here while the file's
 *     recent batches' took under SYNC_ON_LOOP_MS (SyncPace below), so the loop stops for no
 *     longer than a garbage collection does; once they take longer, on the threadpool. The
 *     pace is learnt after the fact: a device that stalls without warning (a network volume
 *     failing over) holds the loop for as long as that one call takes, then loses it.
 *     Answering webhooks after an fdatasync made here gave 1.2-1.3x the deliveries a second
 *     of the threadpool's, at a lower p99 (bench/webhook-receiver.ts).
 *   - A page of the feed (`threadpool`): the next page's answer arrives meanwhile, and a
 *     backfill is bound by the loop's CPU, so the loop parses it while the device works. The
 *     same fdatasync made on the loop made a 250k-event drain 12% slower.
 *
 * A write may take only part of the bytes (a disk filling up), so it goes on until all are
 * in. What fails is thrown as it came (an errno); the caller cuts the file back.
 */
import { fdatasyncSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** Up to this many bytes are written on the event loop's thread. */
const WRITE_ON_LOOP_BYTES = 64 * 1024;

/** An fdatasync is made on the loop's thread while the file's recent webhook batches' fdatasyncs took less than this. */
export const SYNC_ON_LOOP_MS = 1;

/** How fast a file's fdatasyncs have been: decides where the next one is made. */
export class SyncPace {
  /** Moving average of recent durations; undefined until one is measured, so the first goes to the threadpool. */
  private averageMs: number | undefined;

  get onLoop(): boolean {
    return this.averageMs !== undefined && this.averageMs < SYNC_ON_LOOP_MS;
  }

  /**
   * Weighs in one duration. A fifth of the weight goes to the newest: one slow fdatasync
   * (20 ms) sends the next few to the threadpool, whose durations (hand-over included) bring
   * the average back under the bar within about ten commits once the device is quick again.
   */
  record(ms: number): void {
    this.averageMs = this.averageMs === undefined ? ms : this.averageMs * 0.8 + ms * 0.2;
  }
}

const paces = new WeakMap<FileHandle, SyncPace>();

/** Whether and where a commit's fdatasync is made (see the top of this file). */
export type Durability = 'none' | 'threadpool' | 'loop-when-quick';

export async function appendDurably(file: FileHandle, bytes: Uint8Array, durability: Durability): Promise<void> {
  if (bytes.length <= WRITE_ON_LOOP_BYTES) {
    for (let written = 0; written < bytes.length; ) written += writeSync(file.fd, bytes, written, bytes.length - written);
  } else {
    for (let written = 0; written < bytes.length; ) written += (await file.write(bytes, written, bytes.length - written)).bytesWritten;
  }
  if (durability !== 'none') await datasync(file, durability === 'loop-when-quick');
}

async function datasync(file: FileHandle, mayBlockLoop: boolean): Promise<void> {
  if (!mayBlockLoop) return file.datasync();
  let pace = paces.get(file);
  if (!pace) paces.set(file, (pace = new SyncPace()));
  const startedAt = performance.now();
  if (pace.onLoop) fdatasyncSync(file.fd);
  else await file.datasync();
  // Only these are weighed: a page's fdatasync flushes far more bytes than a webhook batch's,
  // and would keep the batches off the loop for as long as a backfill runs.
  pace.record(performance.now() - startedAt);
}
