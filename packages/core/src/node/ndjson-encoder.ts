/**
 * Events as NDJSON lines, encoded into one buffer that is reused commit after commit.
 * Building each page as a concatenated string and then a Buffer gave the garbage collector
 * two more copies of every page to deal with (README.md, "Memory"). Callers must be done
 * with the bytes before the next `encode`: the storage's commits take turns.
 */
import type { EventEnvelope } from '../types.js';

const INITIAL_BYTES = 64 * 1024;
/** A page that needed more than this is rare; its buffer is not kept for the next one. */
const KEPT_BYTES = 1024 * 1024;

export class NdjsonEncoder {
  private buffer: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);

  /**
   * The events, one JSON line each; `starts[i]` is where event i's line begins. The bytes are
   * valid until the next call.
   */
  encode(events: readonly EventEnvelope[], starts: number[] = []): Buffer {
    if (this.buffer.length > KEPT_BYTES) this.buffer = Buffer.allocUnsafe(INITIAL_BYTES);
    let length = 0;
    starts.length = 0;
    for (const event of events) {
      starts.push(length);
      const line = JSON.stringify(event);
      // UTF-8 takes at most 3 bytes per UTF-16 code unit; 1 more for the newline.
      const needed = length + line.length * 3 + 1;
      if (needed > this.buffer.length) this.buffer = grown(this.buffer, length, needed);
      length += this.buffer.write(line, length);
      this.buffer[length++] = 0x0a;
    }
    return this.buffer.subarray(0, length);
  }
}

function grown(buffer: Buffer, used: number, needed: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(needed, buffer.length * 2));
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}
