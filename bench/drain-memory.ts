/**
 * Peak RSS of the real `eventsync sync --once` process draining 10k and then 200k events
 * into a file, then into Postgres: memory must not grow with the backlog (target: at most 1.2x). Both runs are
 * measured alike, by heap-probe.cjs inside the sync process: its own VmHWM as it exits, the
 * size V8 gave its young generation, and the heap still live after a full GC (flat means
 * nothing accumulates per event). The sandbox serves from a process of its own.
 *
 * The sync gets the caller's NODE_OPTIONS (so `NODE_OPTIONS=--max-old-space-size=64 npm run
 * bench` measures that flag) and the line says which were in effect. Each backlog is drained
 * twice: as users run eventsync (it sets V8 up for streaming, packages/cli/src/v8-settings.ts)
 * and with V8's own defaults named on the node command line, which eventsync then leaves
 * alone: what its settings save in memory and what they cost in CPU.
 * `EVENTSYNC_BENCH_BACKLOGS=10000,400000` measures other backlogs; the ratio is last / first.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../test/support/postgres.ts';
import { heapProbeEnv, readHeapProbe, type HeapProbe } from './heap-probe.ts';
import { CLI, sandboxProcess, seconds, verdict } from './support.ts';

const BACKLOGS = (process.env.EVENTSYNC_BENCH_BACKLOGS ?? '10000,200000').split(',').map(Number);

/** V8's defaults, named so that v8-settings.ts leaves them as they are. */
const V8_DEFAULTS = ['--maglev', '--semi-space-growth-factor=2'];

/** Where a drain writes: the NDJSON file, or a Postgres server of the benchmark's own. */
interface DrainSink {
  readonly name: string;
  /** `source` names the drain, one of its own for each backlog and settings. */
  args(dir: string, source: string): string[];
  count(dir: string, source: string): Promise<number>;
}

const FILE_SINK: DrainSink = {
  name: 'a file',
  args: (dir) => ['--data-dir', dir],
  count: (dir) => countLines(join(dir, 'events.ndjson')),
};

function postgresSink(url: string): DrainSink {
  return {
    name: 'Postgres',
    args: (dir, source) => ['--data-dir', dir, '--sink', url, '--source', source],
    count: async (_dir, source) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM eventsync_events WHERE source = $1', [source]);
        return Number(rows[0]!.count);
      } finally {
        await client.end();
      }
    },
  };
}

async function drain(events: number, sink: DrainSink, nodeArgs: readonly string[]): Promise<HeapProbe & { ms: number }> {
  const sandbox = await sandboxProcess({ seed: 4, policies: false, visibilityLagMs: 0, backlog: { count: events, spanMs: 12 * 3_600_000 } });
  const dir = await mkdtemp(join(tmpdir(), 'eventsync-bench-'));
  const probe = join(dir, 'probe.json');
  const source = `drain-${events}${nodeArgs.length > 0 ? '-v8-defaults' : ''}`;
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [...nodeArgs, CLI, 'sync', '--once', '--lookback', '1s', '--no-status', '--rate-limit', 'read:1000000/1m', '--budget-share', '1', ...sink.args(dir, source)],
    {
      env: {
        ...process.env,
        EVENTSYNC_BASE_URL: sandbox.url,
        EVENTSYNC_API_KEY: sandbox.apiKey,
        ...heapProbeEnv(probe),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const ms = performance.now() - start;
  try {
    if (code !== 0) throw new Error(`sync exited with ${code}:\n${stderr}`);
    const stored = await sink.count(dir, source);
    if (stored !== events) throw new Error(`synced ${stored} events, expected ${events}`);
    return { ...(await readHeapProbe(probe)), ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await sandbox.stop();
  }
}

/** Streamed: the 200k file is 50 MB, which a heap-capped benchmark process could not hold as one string. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

export async function run(): Promise<void> {
  await measure(FILE_SINK);
  const server = await startPostgres();
  try {
    await measure(postgresSink(server.url));
  } finally {
    await server.stop();
  }
}

async function measure(sink: DrainSink): Promise<void> {
  const ours = await drains(sink, []);
  const v8s = await drains(sink, V8_DEFAULTS);
  console.log(`\n## Peak RSS of \`eventsync sync --once\` into ${sink.name}`);
  console.log(`peak RSS: VmHWM of the sync process itself, read as it exits; node flags: ${process.env.NODE_OPTIONS || 'defaults'}`);
  for (const run of ours) console.log(describe(run));
  const ratio = ours.at(-1)!.peakRssKb / ours[0]!.peakRssKb;
  console.log(
    `peak RSS ratio ${ratio.toFixed(3)} (target <= 1.2: ${verdict(ratio <= 1.2)}); ` +
      `live heap ratio ${(ours.at(-1)!.liveHeapBytes / ours[0]!.liveHeapBytes).toFixed(3)}`,
  );
  console.log(`with V8's own defaults (node ${V8_DEFAULTS.join(' ')}):`);
  for (const run of v8s) console.log(describe(run));
  const v8Ratio = v8s.at(-1)!.peakRssKb / v8s[0]!.peakRssKb;
  const big = ours.at(-1)!;
  const bigV8 = v8s.at(-1)!;
  console.log(
    `peak RSS ratio ${v8Ratio.toFixed(3)}; at ${big.events.toLocaleString('en-US')} events eventsync's settings take ` +
      `${(big.peakRssKb / bigV8.peakRssKb).toFixed(2)}x the memory and ${(big.cpuMs / bigV8.cpuMs).toFixed(2)}x the CPU of V8's defaults`,
  );
}

async function drains(sink: DrainSink, nodeArgs: readonly string[]): Promise<Array<HeapProbe & { ms: number; events: number }>> {
  const runs: Array<HeapProbe & { ms: number; events: number }> = [];
  for (const events of BACKLOGS) runs.push({ ...(await drain(events, sink, nodeArgs)), events });
  return runs;
}

function describe(run: HeapProbe & { ms: number; events: number }): string {
  const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
  const rate = Math.round(run.events / (run.ms / 1000)).toLocaleString('en-US');
  return (
    `${run.events.toLocaleString('en-US')} events: peak RSS ${mib(run.peakRssKb * 1024)}, young generation ${mib(run.youngGenerationBytes)}, ` +
    `live heap after GC ${mib(run.liveHeapBytes)}, CPU ${seconds(run.cpuMs)}, ${seconds(run.ms)} (${rate} events/s end to end, a durable commit per page)`
  );
}
