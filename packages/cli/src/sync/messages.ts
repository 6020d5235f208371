/** What `eventsync sync` tells its user beyond the status line: start-up notes, refusals with a way on, the summary. */
import { ValidationError, type SyncProgress } from '@eventsync/core';
import type { NodeClient } from '@eventsync/core/node';
import { formatSeconds } from '../status-line.js';
import { UsageError } from '../usage-error.js';

/** Said once at start when the clocks disagree by more than the feed's resolution: the sync follows the API's. */
export function clockOffsetNote(client: NodeClient): string | undefined {
  const offset = client.api.clock.offset;
  if (!offset) return undefined;
  const ms = (offset.low + offset.high) / 2;
  if (Math.abs(ms) < 2_000) return undefined;
  return `this machine's clock is ${formatSeconds(Math.abs(ms))} ${ms < 0 ? 'ahead of' : 'behind'} the API's; the sync judges what the feed shows by the API's clock`;
}

/** For the status line while a 429's Retry-After holds the read bucket. */
export function pauseNote(client: NodeClient): string | undefined {
  const { pausedUntil } = client.limiter.status(client.config.policies.read.bucket);
  const left = pausedUntil - Date.now();
  return left > 0 ? `paused ${Math.ceil(left / 1000)} s by the API's rate limit` : undefined;
}

/** A checkpoint is refused when it belongs to another source: its watermark would skip the new source's history. */
export function checkSameSource(saved: Readonly<Record<string, unknown>> | undefined, current: Record<string, unknown>, where: string): void {
  if (!saved || canonical(saved) === canonical(current)) return;
  throw new UsageError(
    `the checkpoint of ${where} belongs to another sync (${JSON.stringify(saved)}); ` +
      `this one is ${JSON.stringify(current)}. Use another sink and --state-dir (or --source), or move the old ones aside to start over.`,
  );
}

/** JSON with keys in order: a database (jsonb) hands an object back with its keys reordered. */
function canonical(value: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))));
}

/** A checkpoint older than the feed's retention is a gap that no retry closes: say so, and how to go on. */
export function explainRetention(error: unknown, stateDir: string): unknown {
  if (!(error instanceof ValidationError) || error.field !== 'since') return error;
  return new UsageError(
    `${error.message}\nThe checkpoint in ${stateDir} is older than the API keeps events, so some events are gone from the feed. ` +
      'To resume from the oldest event still kept (accepting that gap), move that directory aside and run again with --since set to the time the message names.',
  );
}

export function summary(progress: SyncProgress, withChannels: boolean, elapsedMs: number): string {
  const { delivered, byChannel, duplicatesSkipped, watermark } = progress;
  const channels = withChannels ? ` (${byChannel.webhook} by webhook, ${byChannel.poll} by polling)` : '';
  return (
    `${delivered} events written${channels}, ${duplicatesSkipped} duplicates skipped, in ${(elapsedMs / 1000).toFixed(2)} s; ` +
    `complete up to ${watermark === null ? '-' : new Date(watermark).toISOString()}`
  );
}
