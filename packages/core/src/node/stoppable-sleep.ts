/** A sleep that a stop cuts short: the core's Runtime.sleep on Node. */
import { setTimeout as sleep } from 'node:timers/promises';
import { StoppedError } from '../errors.js';

/** Waits `ms`; rejects with StoppedError, clearing the timer, as soon as any of `signals` aborts. */
export async function stoppableSleep(ms: number, ...signals: ReadonlyArray<AbortSignal | undefined>): Promise<void> {
  const given = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (given.some((signal) => signal.aborted)) throw new StoppedError('stopped before the wait began');
  // One controller for all: AbortSignal.any is missing from the oldest Node 20 releases.
  const either = new AbortController();
  const abort = (): void => either.abort();
  for (const signal of given) signal.addEventListener('abort', abort, { once: true });
  try {
    await sleep(ms, undefined, { signal: either.signal });
  } catch (error) {
    if (either.signal.aborted) throw new StoppedError('stopped during a wait');
    throw error;
  } finally {
    for (const signal of given) signal.removeEventListener('abort', abort);
  }
}
