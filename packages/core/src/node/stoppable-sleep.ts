/** A sleep that a stop cuts short: the core's Runtime.sleep on Node. */
import { setTimeout as sleep } from 'node:timers/promises';
import { StoppedError } from '../errors.js';

export async function stoppableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new StoppedError('stopped before the wait began');
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw new StoppedError('stopped during a wait');
    throw error;
  }
}
