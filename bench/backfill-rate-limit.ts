/**
 * Backfill under a rate limit. The physical minimum for N events at 100 a page under R
 * requests a window is ceil(N/100)/R windows; the client should come within 5 % of it and
 * receive no 429 once it knows the policy. Baseline: a loop written like seed 000's
 * `fetchWithRetry` (fire, and on a 429 sleep Retry-After, up to 3 times).
 */
import axios from 'axios';
import { createNodeClient } from '@eventsync/core/node';
import { sandboxProcess, seconds, verdict } from './support.ts';

const EVENTS = 6_000;
const LIMIT = 20;
const WINDOW_MS = 1_000;
const POLICY = `read:${LIMIT}/1s`;

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
  const pages = Math.ceil(EVENTS / 100);
  const minimum = (pages / LIMIT) * WINDOW_MS;
  const options = { seed: 1, policies: { read: POLICY }, backlog: { count: EVENTS, spanMs: 3_600_000 } };

  const sandbox = await sandboxProcess(options);
  const client = createNodeClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, policies: { read: POLICY } });
  const start = performance.now();
  let events = 0;
  for await (const page of client.events.pages({ limit: 100 })) events += page.events.length;
  const elapsed = performance.now() - start;
  const refused = client.api.stats.rateLimited;
  client.close();
  await sandbox.stop();

  const naiveSandbox = await sandboxProcess(options);
  const naive = await naiveLoop(naiveSandbox.baseUrl, naiveSandbox.apiKey);
  await naiveSandbox.stop();

  const ratio = elapsed / minimum;
  console.log(`\n## Backfill under a rate limit: ${EVENTS} events, 100 a page, policy ${POLICY}`);
  console.log(`physical minimum ${pages} pages / ${LIMIT} per window = ${seconds(minimum)}`);
  console.log(`eventsync: ${events} events in ${seconds(elapsed)}, ratio to minimum ${ratio.toFixed(3)} (target <= 1.05: ${verdict(ratio <= 1.05)}), 429s received ${refused} (target 0: ${verdict(refused === 0)})`);
  console.log(
    `naive fetchWithRetry loop: ${naive.events} events in ${seconds(naive.elapsed)}, ratio ${(naive.elapsed / minimum).toFixed(3)}, 429s received ${naive.refused}${naive.gaveUp ? ', GAVE UP after 3 retries on one page' : ''}`,
  );
}
