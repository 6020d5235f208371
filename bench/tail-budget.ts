/**
 * What tailing a live feed costs of the key's rate budget, counted by the sandbox. A feed of
 * 5 events/s with the API's 10 s visibility lag; `eventsync sync` (polling only) runs a
 * warm-up, then the sandbox's request count is read over a steady minute.
 *
 * Baseline, derived from how the work runs: one request per poll (a poll brings fewer than
 * a page of events) plus a sweep on the first pass at least a look-back less half an interval
 * after the last one (sync-engine.ts, sweepDue), which re-reads the window since the
 * watermark, (look-back + sweep period) long. Of that window's last 10 s only half the events
 * are visible yet (each becomes visible after a uniform delay of up to the lag), so a sweep
 * reads (look-back + sweep period - lag / 2) x rate events, at 100 a page, and replaces the
 * poll that would have read one. Afterwards the sync stops, a `--once` run completes the file,
 * and the file must equal the feed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, sandboxProcess, verdict } from './support.ts';

const RATE = 5;
const LOOKBACK_S = 15;
const VISIBILITY_LAG_S = 10;
const WARM_UP_MS = 30_000;
const MEASURE_MS = 60_000;

async function requestsServed(adminUrl: string): Promise<number> {
  const stats = (await (await fetch(`${adminUrl}/_sandbox/stats`)).json()) as { requests: { total: number } };
  return stats.requests.total;
}

async function idsOf(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id);
}

function runSync(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done };
}

async function measure(pollIntervalS: number): Promise<void> {
  const sandbox = await sandboxProcess({ seed: 4, generator: { ratePerSecond: RATE }, backlog: { count: 200, spanMs: 600_000 } });
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-tail-'));
  const out = join(dir, 'events.ndjson');
  const args = ['sync', '--out', out, '--state-dir', join(dir, 'state'), '--no-status', '--poll-interval', `${pollIntervalS}s`];
  const env = { EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey };
  const live = runSync(args, env);
  await sleep(WARM_UP_MS);
  const before = await requestsServed(sandbox.url);
  await sleep(MEASURE_MS);
  const perMinute = ((await requestsServed(sandbox.url)) - before - 1) / (MEASURE_MS / 60_000);
  live.child.kill('SIGTERM');
  await live.done;
  await fetch(`${sandbox.url}/_sandbox/generator`, { method: 'POST', body: JSON.stringify({ ratePerSecond: 0 }), headers: { 'content-type': 'application/json' } });
  await sleep(11_000); // every event visible
  const finish = runSync([...args, '--once'], env);
  const code = await finish.done;
  const feed = ((await (await fetch(`${sandbox.url}/_sandbox/events/ids`)).json()) as { ids: string[] }).ids;
  const file = await idsOf(out);
  await sandbox.stop();

  const polls = 60 / pollIntervalS;
  const sweepPeriodS = pollIntervalS * Math.max(1, Math.ceil((LOOKBACK_S - pollIntervalS / 2) / pollIntervalS));
  const sweeps = 60 / sweepPeriodS;
  const sweepPages = Math.ceil(((LOOKBACK_S + sweepPeriodS - VISIBILITY_LAG_S / 2) * RATE) / 100);
  const pollPages = Math.ceil((pollIntervalS * RATE) / 100);
  const baseline = (polls - sweeps) * pollPages + sweeps * sweepPages;
  const missing = feed.filter((id) => !new Set(file).has(id)).length;
  const twice = file.length - new Set(file).size;
  console.log(
    `poll interval ${pollIntervalS} s: ${perMinute.toFixed(1)} requests/min vs derived ${baseline.toFixed(1)} ` +
      `(${(polls - sweeps).toFixed(1)} polls x ${pollPages} page + ${sweeps.toFixed(1)} sweeps x ${sweepPages} pages), ratio ${(perMinute / baseline).toFixed(2)}; ` +
      `${feed.length} events, ${missing} missing, ${twice} twice, --once exit ${code} (target: <= 35/min at 2 s, 0 lost: ${verdict(missing === 0 && twice === 0 && (pollIntervalS !== 2 || perMinute <= 36))})`,
  );
}

export async function run(): Promise<void> {
  console.log(`\n## Tailing budget: a feed of ${RATE} events/s with the 10 s visibility lag, requests counted by the sandbox over a steady minute`);
  await measure(2);
  await measure(30);
}
