/**
 * Backfill under a rate limit: 6,000 events at 100 a page, the pages one after another (each
 * needs the previous page's cursor), under `read:20/1s`. The yardstick is the true minimum of
 * that work (`minimumMs`), from a round trip measured in the same run against the same
 * sandbox. The client should come within 5 % of it and receive no 429 once it knows the
 * policy. Baseline: the `fetchWithRetry` loop vendors' examples show (fire, and on a 429
 * sleep Retry-After, up to 3 times).
 */
import axios from 'axios';
import { createNodeClient } from '@eventsync/core/node';
import { median, sandboxProcess, seconds, verdict } from './support.ts';

const EVENTS = 6_000;
const PAGE = 100;
const LIMIT = 20;
const WINDOW_MS = 1_000;
const POLICY = `read:${LIMIT}/1s`;
/** A second key of the same sandbox: its own budget, so measuring the round trip costs the backfill nothing. */
const PROBE_KEY = 'wlcro_test_round_trip_probe';

/**
 * One round trip as the client runs a backfill: the median time from one page's answer to
 * the next's over back-to-back pages, fewer than the limit so that nothing waits.
 */
async function roundTripMs(url: string): Promise<{ ms: number; samples: number }> {
  const client = createNodeClient({ baseUrl: url, apiKey: PROBE_KEY, policies: { read: 'read:1000000/1s' } });
  const answered: number[] = [];
  // The feed asks for page n+1 as page n arrives: stopping at LIMIT - 1 pages sends LIMIT at most.
  for await (const _page of client.events.pages({ limit: PAGE })) {
    answered.push(performance.now());
    if (answered.length === LIMIT - 1) break;
  }
  client.close();
  const gaps = answered.slice(1).map((at, i) => at - answered[i]!);
  return { ms: median(gaps), samples: gaps.length };
}

/**
 * The least time `pages` sequential requests can take under `limit` per rolling `windowMs`,
 * one `roundTripMs` each. The server counts request i+1 no sooner than one round trip after
 * request i (it is sent once i's answer is back) and request i+limit no sooner than one window
 * after request i. While `limit` round trips fit in a window, each group of `limit` after the
 * first therefore waits one window, and the last group runs its round trips back to back.
 */
function minimumMs(pages: number, limit: number, windowMs: number, roundTripMs: number): { ms: number; windows: number; roundTrips: number } {
  if (limit * roundTripMs >= windowMs) return { ms: pages * roundTripMs, windows: 0, roundTrips: pages };
  const windows = Math.ceil(pages / limit) - 1;
  const roundTrips = pages - windows * limit;
  return { ms: windows * windowMs + roundTrips * roundTripMs, windows, roundTrips };
}

async function naiveLoop(baseUrl: string, apiKey: string): Promise<{ elapsed: number; refused: number; events: number; gaveUp: boolean }> {
  let refused = 0;
  let events = 0;
  const fetchWithRetry = async (url: string, retries = 3): Promise<{ status: number; data: string; headers: Record<string, string> }> => {
    const res = await axios.get<string>(url, { headers: { 'X-Api-Key': apiKey }, validateStatus: () => true, responseType: 'text' });
    if (res.status === 429) refused++;
    if (res.status === 429 && retries > 0) {
      const retryAfter = Number.parseInt(String(res.headers['retry-after'] ?? '1'), 10);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      return fetchWithRetry(url, retries - 1);
    }
    return { status: res.status, data: res.data, headers: res.headers as Record<string, string> };
  };
  const start = performance.now();
  let cursor: string | null = null;
  do {
    const url: string = `${baseUrl}/events?${cursor ? `cursor=${encodeURIComponent(cursor)}` : 'limit=100'}`;
    const res = await fetchWithRetry(url);
    if (res.status !== 200) return { elapsed: performance.now() - start, refused, events, gaveUp: true };
    const page = JSON.parse(res.data) as { data: unknown[]; has_more: boolean; next_cursor: string | null };
    events += page.data.length;
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
  return { elapsed: performance.now() - start, refused, events, gaveUp: false };
}

export async function run(): Promise<void> {
  const pages = Math.ceil(EVENTS / PAGE);
  const options = {
    seed: 1,
    policies: { read: POLICY },
    backlog: { count: EVENTS, spanMs: 3_600_000 },
    keys: [{ key: PROBE_KEY, name: 'round-trip probe' }],
  };

  const sandbox = await sandboxProcess(options);
  const before = await roundTripMs(sandbox.url);
  const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: POLICY } });
  const start = performance.now();
  let events = 0;
  for await (const page of client.events.pages({ limit: PAGE })) events += page.events.length;
  const elapsed = performance.now() - start;
  const refused = client.api.stats.rateLimited;
  client.close();
  // Measured again after the run (the probe key's window has long emptied): the lower reading is
  // the one less disturbed by whatever else the machine was doing, and keeps the minimum a minimum.
  const after = await roundTripMs(sandbox.url);
  await sandbox.stop();
  const roundTrip = Math.min(before.ms, after.ms);

  const naiveSandbox = await sandboxProcess(options);
  const naive = await naiveLoop(naiveSandbox.baseUrl, naiveSandbox.apiKey);
  await naiveSandbox.stop();

  const minimum = minimumMs(pages, LIMIT, WINDOW_MS, roundTrip);
  const ratio = elapsed / minimum.ms;
  const r = `${roundTrip.toFixed(2)} ms`;
  console.log(`\n## Backfill under a rate limit: ${EVENTS} events, ${PAGE} a page, policy ${POLICY}`);
  console.log(
    `round trip r = ${r}: the lower of ${before.ms.toFixed(2)} ms (before the backfill) and ${after.ms.toFixed(2)} ms (after), each the median gap ` +
      `between answers of ${before.samples + 1} back-to-back pages from the same sandbox on another key, nothing throttled`,
  );
  console.log(
    `true minimum: ${pages} sequential pages, ${LIMIT} per rolling ${seconds(WINDOW_MS)} window; each group of ${LIMIT} after the first is counted ` +
      `one window after the group before it, and the last ${minimum.roundTrips} pages run back to back: ` +
      `${minimum.windows} × ${seconds(WINDOW_MS)} + ${minimum.roundTrips} × ${r} = ${(minimum.ms / 1000).toFixed(3)} s`,
  );
  console.log(
    `eventsync: ${events} events in ${(elapsed / 1000).toFixed(3)} s, ratio to minimum ${ratio.toFixed(3)} (target <= 1.05: ${verdict(ratio <= 1.05)}), ` +
      `429s received ${refused} (target 0: ${verdict(refused === 0)})`,
  );
  console.log(
    `naive fetchWithRetry loop: ${naive.events} events in ${(naive.elapsed / 1000).toFixed(3)} s, ratio ${(naive.elapsed / minimum.ms).toFixed(3)}, 429s received ${naive.refused}${naive.gaveUp ? ', GAVE UP after 3 retries on one page' : ''}`,
  );
}
