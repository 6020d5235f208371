/**
 * Unthrottled drain of 100k events: the client's feed iterator (typed errors, limiter,
 * retries, prefetch) against a bare axios loop over the same pages, alternating runs
 * against the same sandbox process. Target: client / bare >= 0.9.
 */
import http from 'node:http';
import axios from 'axios';
import { createNodeClient } from '@eventsync/core/node';
import { median, sandboxProcess, seconds, verdict } from './support.ts';

const EVENTS = 100_000;
const ROUNDS = 3;

async function bareLoop(baseUrl: string, apiKey: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true });
  const instance = axios.create({ httpAgent: agent, headers: { 'X-Api-Key': apiKey }, responseType: 'text', transformResponse: [(data: unknown) => data] });
  let events = 0;
  let cursor: string | null = null;
  do {
    const url: string = `${baseUrl}/events?${cursor ? `cursor=${encodeURIComponent(cursor)}` : 'limit=100'}`;
    const page = JSON.parse((await instance.get<string>(url)).data) as { data: unknown[]; has_more: boolean; next_cursor: string | null };
    events += page.data.length;
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
  agent.destroy();
  return events;
}

async function clientLoop(url: string, apiKey: string): Promise<number> {
  // A policy far above what one connection can do: the limiter is in the path but never holds a request.
  const client = createNodeClient({ baseUrl: url, apiKey, policies: { read: 'read:1000000/1s' } });
  let events = 0;
  for await (const page of client.events.pages({ limit: 100 })) events += page.events.length;
  client.close();
  return events;
}

async function timed(task: () => Promise<number>): Promise<{ rate: number; ms: number }> {
  const start = performance.now();
  const events = await task();
  const ms = performance.now() - start;
  if (events !== EVENTS) throw new Error(`drained ${events} events, expected ${EVENTS}`);
  return { rate: events / (ms / 1000), ms };
}

export async function run(): Promise<void> {
  const sandbox = await sandboxProcess({ seed: 2, policies: false, backlog: { count: EVENTS, spanMs: 6 * 3_600_000 } });
  const bare: number[] = [];
  const client: number[] = [];
  await bareLoop(sandbox.baseUrl, sandbox.apiKey); // warm both sides up once
  for (let round = 0; round < ROUNDS; round++) {
    bare.push((await timed(() => bareLoop(sandbox.baseUrl, sandbox.apiKey))).rate);
    client.push((await timed(() => clientLoop(sandbox.url, sandbox.apiKey))).rate);
  }
  await sandbox.stop();
  const ratio = median(client) / median(bare);
  console.log(`\n## Unthrottled drain: ${EVENTS.toLocaleString('en-US')} events, 100 a page, median of ${ROUNDS} alternating rounds`);
  console.log(`bare axios loop: ${Math.round(median(bare)).toLocaleString('en-US')} events/s (${seconds(EVENTS / median(bare) * 1000)})`);
  console.log(`eventsync feed:  ${Math.round(median(client)).toLocaleString('en-US')} events/s (${seconds(EVENTS / median(client) * 1000)})`);
  console.log(`ratio ${ratio.toFixed(3)} (target >= 0.9: ${verdict(ratio >= 0.9)})`);
}
