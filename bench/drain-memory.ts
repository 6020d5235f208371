/**
 * Peak RSS of the real `eventsync sync --once` process draining 10k and then 200k events
 * into a file: memory must not grow with the backlog (target: at most 1.2x). The peak is
 * the kernel's VmHWM of the child, read until it exits. Beside it, the heap still live
 * after a full GC at exit (heap-probe.cjs): flat means nothing accumulates per event.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, sandboxProcess, seconds, verdict } from './support.ts';

const HEAP_PROBE = fileURLToPath(new URL('./heap-probe.cjs', import.meta.url));

async function peakRss(events: number): Promise<{ peakKb: number; liveHeap: number; ms: number; lines: number }> {
  const sandbox = await sandboxProcess({ seed: 4, policies: false, visibilityLagMs: 0, backlog: { count: events, spanMs: 12 * 3_600_000 } });
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-'));
  const probe = join(dir, 'heap.txt');
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [CLI, 'sync', '--once', '--lookback', '1s', '--no-status', '--rate-limit', 'read:1000000/1m', '--data-dir', dir],
    {
      env: {
        ...process.env,
        EVENTSYNC_BASE_URL: sandbox.url,
        EVENTSYNC_API_KEY: sandbox.apiKey,
        EVENTSYNC_HEAP_PROBE: probe,
        NODE_OPTIONS: `--expose-gc --require ${HEAP_PROBE}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
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
  const liveHeap = Number(await readFile(probe, 'utf8'));
  await rm(dir, { recursive: true, force: true });
  await sandbox.stop();
  if (code !== 0) throw new Error(`sync exited with ${code}:\n${stderr}`);
  if (lines !== events) throw new Error(`synced ${lines} events, expected ${events}`);
  return { peakKb, liveHeap, ms, lines };
}

export async function run(): Promise<void> {
  const small = await peakRss(10_000);
  const large = await peakRss(200_000);
  const ratio = large.peakKb / small.peakKb;
  console.log('\n## Peak RSS of `eventsync sync --once` into a file');
  const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
  console.log(`10,000 events:  peak RSS ${mib(small.peakKb * 1024)}, live heap after GC ${mib(small.liveHeap)}, ${seconds(small.ms)}`);
  console.log(
    `200,000 events: peak RSS ${mib(large.peakKb * 1024)}, live heap after GC ${mib(large.liveHeap)}, ${seconds(large.ms)} ` +
      `(${Math.round(large.lines / (large.ms / 1000)).toLocaleString('en-US')} events/s end to end, fsync per page)`,
  );
  console.log(`peak RSS ratio ${ratio.toFixed(3)} (target <= 1.2: ${verdict(ratio <= 1.2)}); live heap ratio ${(large.liveHeap / small.liveHeap).toFixed(3)}`);
}
