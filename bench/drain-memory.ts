/**
 * Peak RSS of the real `eventsync sync --once` process draining 10k and then 200k events
 * into a file: memory must not grow with the backlog (target: at most 1.2x). The peak is
 * the kernel's VmHWM of the child, read until it exits.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, sandboxProcess, seconds, verdict } from './support.ts';

async function peakRss(events: number): Promise<{ peakKb: number; ms: number; lines: number }> {
  const sandbox = await sandboxProcess({ seed: 4, policies: false, visibilityLagMs: 0, backlog: { count: events, spanMs: 12 * 3_600_000 } });
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-'));
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [CLI, 'sync', '--once', '--lookback', '1s', '--no-status', '--data-dir', dir],
    { env: { ...process.env, EVENTSYNC_BASE_URL: sandbox.url, EVENTSYNC_API_KEY: sandbox.apiKey }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  let peakKb = 0;
  const sample = async (): Promise<void> => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) peakKb = Math.max(peakKb, Number(match[1]));
  };
  const timer = setInterval(() => void sample(), 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  const ms = performance.now() - start;
  const lines = (await readFile(join(dir, 'events.ndjson'), 'utf8')).split('\n').length - 1;
  await rm(dir, { recursive: true, force: true });
  await sandbox.stop();
  if (code !== 0) throw new Error(`sync exited with ${code}`);
  if (lines !== events) throw new Error(`synced ${lines} events, expected ${events}`);
  return { peakKb, ms, lines };
}

export async function run(): Promise<void> {
  const small = await peakRss(10_000);
  const large = await peakRss(200_000);
  const ratio = large.peakKb / small.peakKb;
  console.log('\n## Peak RSS of `eventsync sync --once` into a file');
  console.log(`10,000 events:  peak ${(small.peakKb / 1024).toFixed(1)} MiB, ${seconds(small.ms)}`);
  console.log(`200,000 events: peak ${(large.peakKb / 1024).toFixed(1)} MiB, ${seconds(large.ms)} (${Math.round(large.lines / (large.ms / 1000)).toLocaleString('en-US')} events/s end to end, fsync per page)`);
  console.log(`ratio ${ratio.toFixed(3)} (target <= 1.2: ${verdict(ratio <= 1.2)})`);
}
