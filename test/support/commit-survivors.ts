/**
 * The child process of test/commit-memory.e2e.test.ts: commits pages of a backfill the way the
 * sync engine does (CheckpointTracker first, then the storage), under `--trace-gc-nvp`, so the
 * parent can read from V8's own lines what its young-generation collections promoted. It runs
 * the built packages, as a user's sync does.
 *
 * argv: `postgres <url>`, `file <directory>`, or `pages` (the same pages, awaited as a commit
 * would be, with no tracker and nothing stored: what the measurement costs by itself), then the
 * number of pages to measure. It prints `measure start` and `measure end` around those pages;
 * before them come a full GC, which moves what is live into the old generation as the start-up
 * of every long sync does, and some pages to warm up.
 */
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { CheckpointTracker, type EventEnvelope } from '@eventsync/core';
import { NdjsonFileStorage, PostgresStorage } from '@eventsync/core/node';
import { FIRST_CREATED_AT, madeEvents } from './stored-events.ts';

const [kind, target, measured] = process.argv.slice(2);
const pages = Number(measured);
const PAGE = 100;
const WARM_UP = 50;
// Long after every event: the whole backlog is old, so each page moves the watermark (a backfill).
const serverTime = FIRST_CREATED_AT + 30 * 86_400_000;

const storage =
  kind === 'postgres'
    ? new PostgresStorage({ url: target!, source: 'survivors' })
    : kind === 'file'
      ? new NdjsonFileStorage({ path: join(target!, 'events.ndjson'), stateDir: target!, durable: false })
      : undefined;
const tracker = new CheckpointTracker(await storage?.open());
(globalThis as { gc?: () => void }).gc?.();
tracker.beginPass(serverTime, 'sweep');

async function commitPage(number: number): Promise<void> {
  const events: EventEnvelope[] = madeEvents(PAGE, { from: number * PAGE, startMs: FIRST_CREATED_AT + number * PAGE }).map(({ event }) => event);
  if (!storage) {
    await setImmediate();
    return;
  }
  const fresh = tracker.fresh(events);
  tracker.commitPage({ events, hasMore: true, nextCursor: 'next', requestedAt: serverTime, serverTime }, fresh, serverTime);
  await storage.commit(
    fresh.map((event) => ({ event, channel: 'poll' as const })),
    new Date(tracker.watermark!).toISOString(),
  );
}

for (let number = 0; number < WARM_UP; number++) await commitPage(number);
console.log('measure start');
for (let number = WARM_UP; number < WARM_UP + pages; number++) await commitPage(number);
console.log('measure end');
await storage?.close();
