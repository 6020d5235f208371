/**
 * Appends bytes to a file, then (when asked) fdatasyncs them: the write half of every commit
 * of the NDJSON storage and of the at-least-once storages' journal.
 *
 * A small write is made on the event loop's own thread. Copying a few KiB into the page
 * cache takes microseconds; handing it to libuv's threadpool and back costs a thread wake-up
 * each way, and on a busy machine those showed as 100-200 µs of main-thread time per webhook
 * commit, about as much as the rest of the commit (bench/webhook-receiver.ts). A larger write
 * (a backfill's page) still goes to the threadpool so that it does not hold the loop, and
 * so does the fdatasync always: it waits on the device.
 *
 * A write may take only part of the bytes (a disk filling up), so it goes on until all are
 * in. What fails is thrown as it came (an errno); the caller cuts the file back.
 */
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Up to this many bytes are written on the event loop's thread. */
const WRITE_ON_LOOP_BYTES = 64 * 1024;

export async function appendDurably(file: FileHandle, bytes: Uint8Array, durable: boolean): Promise<void> {
  if (bytes.length <= WRITE_ON_LOOP_BYTES) {
    for (let written = 0; written < bytes.length; ) written += writeSync(file.fd, bytes, written, bytes.length - written);
  } else {
    for (let written = 0; written < bytes.length; ) written += (await file.write(bytes, written, bytes.length - written)).bytesWritten;
  }
  if (durable) await file.datasync();
}
